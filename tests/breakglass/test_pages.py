"""Break-glass on the pages: the refusal that offers it, breaking the glass, the search."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.breakglass import services
from nyeri.clinical.breakglass.models import BreakGlassGrant
from nyeri.clinical.diagnoses.models import Diagnosis
from nyeri.clinical.models import AssessmentSource, AssessmentStatus, PainAssessment, Patient
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.accounts_fixtures import VERIFY_URL, give_second_factor, stale_copy
from tests.breakglass.conftest import REASON, make_patient, scope_of, visit
from tests.conftest import MakeMember, log_in


def patient_pages(patient: Patient, main_nurse: User) -> list[str]:
    """Every page of the patient's record (ids of a visit, an assessment and a diagnosis of theirs)."""
    encounter = visit(patient, patient.registered_at, main_nurse)
    assessment = PainAssessment.objects.create(
        organization=patient.organization,
        patient=patient,
        facility=patient.registered_at,
        instrument_code="nrs",
        instrument_version="1",
        recorded_at=timezone.now() - timedelta(days=1),
        recorded_by=main_nurse,
        source=AssessmentSource.CLINICIAN,
        status=AssessmentStatus.CURRENT,
    )
    diagnosis = Diagnosis.objects.create(
        organization=patient.organization,
        patient=patient,
        facility=patient.registered_at,
        icd10_code="M54.5",
        icd10_title="Low back pain",
        icd10_edition="2019",
        recorded_by=main_nurse,
        recorded_at=timezone.now(),
    )
    return [
        f"/patients/{patient.pk}/",
        f"/patients/{patient.pk}/care/",
        f"/patients/{patient.pk}/encounters/new/",
        f"/patients/encounters/{encounter.pk}/",
        f"/patients/{patient.pk}/assessments/new/",
        f"/patients/assessments/{assessment.pk}/",
        f"/patients/assessments/{assessment.pk}/amend/",
        f"/patients/{patient.pk}/diagnoses/",
        f"/patients/{patient.pk}/diagnoses/new/",
        f"/patients/{patient.pk}/diagnoses/{diagnosis.pk}/",
    ]


def test_every_page_of_a_patient_outside_ones_care_is_refused_with_the_break_glass_offer(
    branch_client: Client, patient: Patient, main_nurse: User
) -> None:
    for url in patient_pages(patient, main_nurse):
        response = branch_client.get(url)
        assert response.status_code == 403, url
        html = response.content.decode()
        assert 'data-testid="break-glass"' in html, url
        assert f'action="/break-glass/patients/{patient.pk}/"' in html, url
        # Identification only: record number and name, nothing of the record.
        assert "RM-0042" in html, url
        assert "Sri Wahyuni" in html, url
        assert patient.nik not in html, url
        assert "1961" not in html, url
    refusals = AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED, patient_id=patient.pk)
    assert refusals.count() == 10
    assert not AuditEvent.objects.filter(action=AuditAction.READ, patient_id=patient.pk).exists()


def test_the_refusal_page_is_translated(branch_nurse: User, patient: Patient) -> None:
    client = log_in(Client(), branch_nurse)
    english = client.get(f"/patients/{patient.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This patient is not in your care" in english
    assert "Reason for emergency access" in english


def test_another_organizations_patient_is_not_found_on_the_refusal_and_break_glass_pages(
    branch_client: Client, foreign_patient: Patient
) -> None:
    assert branch_client.get(f"/patients/{foreign_patient.pk}/").status_code == 404
    assert branch_client.get(f"/break-glass/patients/{foreign_patient.pk}/").status_code == 404
    assert branch_client.post(f"/break-glass/patients/{foreign_patient.pk}/", {"reason": REASON}).status_code == 404
    assert not BreakGlassGrant.objects.exists()


def test_breaking_the_glass_opens_the_page_that_was_refused_until_the_grant_ends(
    branch_client: Client, branch_nurse: User, patient: Patient, officers: list[User]
) -> None:
    asked = f"/patients/{patient.pk}/diagnoses/"
    refused = branch_client.get(asked)
    assert f'name="next" value="{asked}"' in refused.content.decode()
    response = branch_client.post(f"/break-glass/patients/{patient.pk}/", {"reason": REASON, "next": asked})
    assert response.status_code == 302
    assert response["Location"] == asked
    grant = BreakGlassGrant.objects.get()
    assert branch_client.get(asked).status_code == 200
    read = AuditEvent.objects.filter(action=AuditAction.READ, patient_id=patient.pk).latest("id")
    assert read.reason == f"diagnoses; break-glass grant {grant.pk}"
    # Once the grant has ended the page is refused again.
    BreakGlassGrant.objects.filter(pk=grant.pk).update(
        starts_at=timezone.now() - timedelta(hours=2), ends_at=timezone.now() - timedelta(hours=1)
    )
    assert branch_client.get(asked).status_code == 403


def test_a_grant_made_earlier_has_ended_and_the_page_is_refused(
    branch_nurse: User, branch_client: Client, patient: Patient
) -> None:
    services.break_glass(
        scope=scope_of(branch_nurse),
        acting_user=branch_nurse,
        patient=patient,
        reason=REASON,
        now=timezone.now() - timedelta(minutes=61),
    )
    assert branch_client.get(f"/patients/{patient.pk}/").status_code == 403


def test_the_reason_is_required_and_its_error_is_shown_under_the_field(branch_client: Client, patient: Patient) -> None:
    response = branch_client.post(
        f"/break-glass/patients/{patient.pk}/", {"reason": "darurat"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Give the reason for emergency access, at least 20 characters." in html
    assert "has-error" in html
    assert not BreakGlassGrant.objects.exists()


def test_a_redirect_after_breaking_the_glass_never_leaves_the_site(branch_client: Client, patient: Patient) -> None:
    response = branch_client.post(
        f"/break-glass/patients/{patient.pk}/", {"reason": REASON, "next": "https://evil.example/"}
    )
    assert response["Location"] == f"/patients/{patient.pk}/"


def test_a_member_without_a_clinical_role_is_refused_the_break_glass_page(
    org: Organization, patient: Patient, officer_client: Client
) -> None:
    assert officer_client.get(f"/break-glass/patients/{patient.pk}/").status_code == 403
    assert officer_client.post(f"/break-glass/patients/{patient.pk}/", {"reason": REASON}).status_code == 403
    assert not BreakGlassGrant.objects.exists()


def test_breaking_the_glass_needs_the_second_factor_settled_but_no_reauthentication(
    branch_nurse: User, patient: Patient
) -> None:
    device, _ = give_second_factor(branch_nurse)
    client = log_in(Client(), branch_nurse)
    # Password only: the second factor is not settled yet.
    response = client.post(f"/break-glass/patients/{patient.pk}/", {"reason": REASON})
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY_URL)
    assert not BreakGlassGrant.objects.exists()
    from tests.accounts_fixtures import verify

    verify(client, device)
    response = client.post(f"/break-glass/patients/{patient.pk}/", {"reason": REASON})
    assert response.status_code == 302
    assert BreakGlassGrant.objects.count() == 1


def test_the_patient_list_shows_a_patient_outside_ones_care_by_record_number_and_name_only(
    org: Organization, branch: Facility, branch_client: Client, patient: Patient
) -> None:
    make_patient(org, branch, "RM-7", "Ujang Cimahi")
    html = branch_client.get("/patients/", {"q": "wahyuni"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="not-in-care"' in html
    assert "RM-0042" in html
    assert "Sri Wahyuni" in html
    assert "1961" not in html
    assert f'href="/break-glass/patients/{patient.pk}/"' in html
    assert f'href="/patients/{patient.pk}/"' not in html
    assert "Not in your care" in html


@pytest.mark.parametrize("role", [Role.NURSE, Role.PAIN_PHYSICIAN])
def test_a_patient_seen_at_ones_facility_opens_without_breaking_the_glass(
    org: Organization, branch: Facility, patient: Patient, main_nurse: User, make_member: MakeMember, role: Role
) -> None:
    visit(patient, branch, main_nurse)
    user = make_member(org, role, username=f"u_{role}", facilities=(branch,))
    client = log_in(Client(), user)
    assert client.get(f"/patients/{patient.pk}/care/").status_code == 200
    read = AuditEvent.objects.filter(action=AuditAction.READ, patient_id=patient.pk).latest("id")
    assert "break-glass" not in read.reason


def test_showing_a_patients_identification_on_the_break_glass_page_is_audited(
    branch_client: Client, branch_nurse: User, patient: Patient
) -> None:
    assert branch_client.get(f"/break-glass/patients/{patient.pk}/").status_code == 200
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.actor_id, event.patient_id, event.object_type) == (
        AuditAction.READ,
        branch_nurse.pk,
        patient.pk,
        "patient_identification",
    )


def _opens_profile(client: Client) -> bool:
    return client.get("/accounts/profile/").status_code == 200


def test_breaking_the_glass_rotates_the_key(branch_client: Client, patient: Patient, officers: list[User]) -> None:
    before = branch_client.cookies["sessionid"].value
    response = branch_client.post(f"/break-glass/patients/{patient.pk}/", {"reason": REASON})
    assert response.status_code == 302
    assert branch_client.cookies["sessionid"].value != before
    assert not _opens_profile(stale_copy(before))
    assert branch_client.get(f"/patients/{patient.pk}/diagnoses/").status_code == 200
