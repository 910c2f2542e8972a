"""The compliance officer's review of break-glass grants: the queue, the events read, the verdict."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.access import access_patient
from nyeri.clinical.breakglass import selectors, services
from nyeri.clinical.breakglass.models import BreakGlassGrant, ReviewOutcome
from nyeri.clinical.models import Patient
from nyeri.tenancy.models import Facility, Organization
from tests.breakglass.conftest import REASON, make_patient, scope_of
from tests.conftest import log_in


@pytest.fixture
def grant(branch_nurse: User, patient: Patient, officers: list[User]) -> BreakGlassGrant:
    """A grant of the branch nurse, during which she opened the chart twice."""
    now = timezone.now() - timedelta(minutes=5)
    made = services.break_glass(
        scope=scope_of(branch_nurse), acting_user=branch_nurse, patient=patient, reason=REASON, now=now
    )
    for purpose in ("chart", "diagnoses"):
        access_patient(scope_of(branch_nurse), patient.pk, purpose=purpose)
    return made


def review(officer: User, grant: BreakGlassGrant, outcome: str, note: str) -> BreakGlassGrant:
    return services.review_grant(scope=scope_of(officer), acting_user=officer, grant=grant, outcome=outcome, note=note)


def test_the_queue_lists_unreviewed_grants_with_user_patient_reason_times_and_events(
    officer_client: Client, grant: BreakGlassGrant, patient: Patient
) -> None:
    response = officer_client.get("/break-glass/reviews/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-grant="{grant.pk}"' in html
    assert "Ns_Cimahi" in html
    assert "ns_cimahi" in html
    assert "RM-0042" in html
    assert "Sri Wahyuni" in html
    assert REASON in html
    # The BREAK_GLASS row and the two reads.
    assert "3 events" in html
    assert "Marked for review" in html
    # A compliance officer is not a clinical role: identification only.
    assert patient.nik not in html
    assert "1961" not in html
    event = AuditEvent.objects.filter(object_type="break_glass_review").latest("id")
    assert (event.action, event.reason) == (AuditAction.READ, "status unreviewed; page 1")


def test_the_queue_links_to_the_audit_report_filtered_by_user_patient_and_period(
    officer_client: Client, grant: BreakGlassGrant, branch_nurse: User, patient: Patient
) -> None:
    url = selectors.audit_report_url(grant)
    query = parse_qs(urlsplit(url).query)
    day = timezone.localdate(grant.starts_at).isoformat()
    assert query["user"] == [str(branch_nurse.pk)]
    assert query["patient"] == [str(patient.pk)]
    assert query["date_from"] == [day]
    assert url.replace("&", "&amp;") in officer_client.get("/break-glass/reviews/").content.decode()
    report = officer_client.get(url)
    assert report.status_code == 200
    assert f"break-glass grant {grant.pk}" in report.content.decode()


def test_the_grant_page_lists_what_the_user_did_during_it_and_its_reading_is_audited(
    officer_client: Client, grant: BreakGlassGrant, patient: Patient, officers: list[User]
) -> None:
    html = officer_client.get(f"/break-glass/reviews/{grant.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert html.count(f"break-glass grant {grant.pk}") == 2
    assert "Emergency access" in html
    assert REASON in html
    assert 'data-testid="review-form"' in html
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.actor_id, event.patient_id, event.object_id) == (
        AuditAction.READ,
        officers[0].pk,
        patient.pk,
        str(grant.pk),
    )


def test_reviewing_a_grant_records_the_outcome_and_note_once_with_an_audit_row(
    grant: BreakGlassGrant, officers: list[User]
) -> None:
    reviewed = review(officers[0], grant, ReviewOutcome.NOT_JUSTIFIED, "  Pasien tidak dalam keadaan darurat.  ")
    grant.refresh_from_db()
    assert (grant.review_outcome, grant.review_note, grant.reviewed_by_id) == (
        ReviewOutcome.NOT_JUSTIFIED,
        "Pasien tidak dalam keadaan darurat.",
        officers[0].pk,
    )
    assert grant.reviewed_at is not None
    assert reviewed.is_reviewed
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.object_type, event.object_id, event.patient_id) == (
        AuditAction.UPDATE,
        "break_glass_grant",
        str(grant.pk),
        grant.patient_id,
    )
    assert event.reason == "reviewed: not_justified; note: Pasien tidak dalam keadaan darurat."
    with translation.override("en"), pytest.raises(ValidationError) as again:
        review(officers[1], BreakGlassGrant.objects.get(pk=grant.pk), ReviewOutcome.JUSTIFIED, "Oke")
    assert again.value.message_dict == {"outcome": ["This emergency access has already been reviewed."]}
    assert BreakGlassGrant.objects.get(pk=grant.pk).reviewed_by_id == officers[0].pk


def test_a_review_needs_an_outcome_and_a_note_naming_each_field(grant: BreakGlassGrant, officers: list[User]) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        review(officers[0], grant, "maybe", " ")
    assert refused.value.message_dict == {
        "outcome": ["Choose whether the emergency access was justified."],
        "note": ["Write a note on your review."],
    }
    assert not BreakGlassGrant.objects.get(pk=grant.pk).is_reviewed


def test_the_review_page_moves_the_grant_from_the_queue_to_the_reviewed_list(
    officer_client: Client, grant: BreakGlassGrant
) -> None:
    response = officer_client.post(
        f"/break-glass/reviews/{grant.pk}/", {"outcome": "justified", "note": "Pasien IGD, sesuai prosedur."}
    )
    assert response.status_code == 302
    assert f'data-grant="{grant.pk}"' not in officer_client.get("/break-glass/reviews/").content.decode()
    reviewed = officer_client.get("/break-glass/reviews/", {"status": "reviewed"}, HTTP_ACCEPT_LANGUAGE="en")
    html = reviewed.content.decode()
    assert f'data-grant="{grant.pk}"' in html
    assert "Justified" in html
    assert f'data-grant="{grant.pk}"' in officer_client.get("/break-glass/reviews/?status=all").content.decode()
    page = officer_client.get(f"/break-glass/reviews/{grant.pk}/").content.decode()
    assert 'data-testid="review-form"' not in page
    assert "Pasien IGD, sesuai prosedur." in page


def test_the_review_page_shows_each_missing_field(officer_client: Client, grant: BreakGlassGrant) -> None:
    response = officer_client.post(f"/break-glass/reviews/{grant.pk}/", {"note": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose whether the emergency access was justified." in html
    assert "Write a note on your review." in html


def test_clinicians_cannot_see_or_review_grants_and_are_audited(branch_nurse: User, grant: BreakGlassGrant) -> None:
    client = log_in(Client(), branch_nurse)
    assert client.get("/break-glass/reviews/").status_code == 403
    assert client.get(f"/break-glass/reviews/{grant.pk}/").status_code == 403
    post = client.post(f"/break-glass/reviews/{grant.pk}/", {"outcome": "justified", "note": "saya sendiri"})
    assert post.status_code == 403
    assert not BreakGlassGrant.objects.get(pk=grant.pk).is_reviewed
    with pytest.raises(PermissionDenied):
        review(branch_nurse, grant, ReviewOutcome.JUSTIFIED, "saya sendiri")
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.reason) == (AuditAction.PERMISSION_DENIED, "not a compliance officer")


def test_another_organizations_officer_finds_no_grant(
    grant: BreakGlassGrant, foreign_officer: User, other_org: Organization
) -> None:
    client = log_in(Client(), foreign_officer)
    assert client.get(f"/break-glass/reviews/{grant.pk}/").status_code == 404
    assert f'data-grant="{grant.pk}"' not in client.get("/break-glass/reviews/?status=all").content.decode()


def test_the_queue_takes_the_same_queries_for_one_grant_or_many(
    org: Organization,
    facility: Facility,
    branch_nurse: User,
    officers: list[User],
    grant: BreakGlassGrant,
) -> None:
    scope = scope_of(officers[0])
    with CaptureQueriesContext(connection) as one:
        assert [g.event_count for g in selectors.review_queue(scope).object_list] == [3]  # type: ignore[attr-defined]
    for n in range(4):
        other = make_patient(org, facility, f"RM-9{n}", f"Pasien {n}")
        services.break_glass(scope=scope_of(branch_nurse), acting_user=branch_nurse, patient=other, reason=REASON)
    with CaptureQueriesContext(connection) as many:
        page = selectors.review_queue(scope)
        assert len(page.object_list) == 5
        assert all(g.patient.mrn and g.user.username for g in page.object_list)
    assert len(many) == len(one)
