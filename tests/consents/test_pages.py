"""The consents page (state per kind, history, record and withdraw forms) in both languages, the
chart's summary and link, and the walls: another organization's patient or consent is not found."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.models import ConsentKind, Patient, PatientConsent
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.conftest import MakeMember, log_in

from .conftest import give


def page_of(patient: Patient) -> str:
    return f"/patients/{patient.pk}/consents/"


def test_the_page_shows_each_kinds_state_and_the_history_in_english(
    english_client: Client, clinician: User, patient: Patient
) -> None:
    give(clinician, patient, ConsentKind.TREATMENT)
    research = give(clinician, patient, ConsentKind.RESEARCH, how="verbal_witnessed", witness="Ns. Rina")
    english_client.post(f"/patients/consents/{research.pk}/withdraw/", {"reason": "No longer in the study"})
    response = english_client.get(page_of(patient))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Treatment at the pain clinic" in html
    assert "Not recorded" in html  # data processing, diary contact, procedure
    assert "Withdrawn on " in html
    assert "Verbal, witnessed" in html
    assert "Ns. Rina" in html
    assert "No longer in the study" in html
    assert "Record a consent" in html
    read = AuditEvent.objects.filter(action=AuditAction.READ, patient_id=patient.pk).latest("id")
    assert (read.object_type, read.reason) == ("patient", "consents")


def test_the_page_is_in_indonesian_for_an_indonesian_user(
    clinician_client: Client, clinician: User, patient: Patient, facility: Facility
) -> None:
    give(clinician, patient, ConsentKind.DATA_PROCESSING)
    html = clinician_client.get(page_of(patient)).content.decode()
    assert '<html lang="id">' in html
    for indonesian in ("Kembali ke pasien", "Riwayat", "Fasilitas"):
        assert indonesian in html
    assert facility.name in html


def test_recording_from_the_page_redirects_to_the_list(english_client: Client, patient: Patient) -> None:
    response = english_client.post(
        page_of(patient),
        {
            "kind": "procedure",
            "scope_note": "Radiofrequency ablation, right L4-L5 facet",
            "how": "signed_form",
            "given_at": "",
            "witness": "",
            "facility": patient.registered_at_id,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == page_of(patient)
    consent = PatientConsent.objects.get()
    assert (consent.kind, consent.scope_note, consent.facility_id) == (
        "procedure",
        "Radiofrequency ablation, right L4-L5 facet",
        patient.registered_at_id,
    )
    page = english_client.get(page_of(patient)).content.decode()
    assert "The consent is recorded." in page
    assert "Radiofrequency ablation, right L4-L5 facet" in page


def test_bad_input_is_shown_under_its_field_and_nothing_is_saved(english_client: Client, patient: Patient) -> None:
    future = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = english_client.post(
        page_of(patient),
        {
            "kind": "treatment",
            "how": "verbal_witnessed",
            "witness": "",
            "given_at": future,
            "facility": patient.registered_at_id,
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["witness"] == ["A verbal consent needs the name of its witness."]
    assert form.errors["given_at"] == [
        "A consent is recorded once it has been given: the time cannot be in the future."
    ]
    assert not PatientConsent.objects.exists()


def test_withdrawing_from_the_page_and_a_missing_reason(
    english_client: Client, clinician: User, patient: Patient
) -> None:
    consent = give(clinician, patient, ConsentKind.DIARY_CONTACT, how="electronic")
    url = f"/patients/consents/{consent.pk}/withdraw/"
    refused = english_client.post(url, {"reason": " "})
    assert refused.status_code == 200
    assert "Give the reason for the withdrawal." in refused.content.decode()
    assert PatientConsent.objects.get().status == "given"
    done = english_client.post(url, {"reason": "Prefers not to be phoned"})
    assert done.status_code == 302
    assert done["Location"] == page_of(patient)
    stored = PatientConsent.objects.get()
    assert (stored.status, stored.withdrawal_reason) == ("withdrawn", "Prefers not to be phoned")
    assert english_client.get(url).status_code == 405


def test_another_organizations_patient_and_consent_are_not_found(
    english_client: Client, foreign_patient: Patient, foreign_consent: PatientConsent
) -> None:
    assert english_client.get(page_of(foreign_patient)).status_code == 404
    assert english_client.post(page_of(foreign_patient), {"kind": "treatment"}).status_code == 404
    assert english_client.post(f"/patients/consents/{foreign_consent.pk}/withdraw/", {"reason": "x"}).status_code == 404
    assert PatientConsent.objects.get().status == "given"
    assert not AuditEvent.objects.filter(patient_id=foreign_patient.pk).exclude(actor__username="ns_lain").exists()


def test_a_compliance_officer_cannot_open_the_consents(
    org: Organization, patient: Patient, make_member: MakeMember, client: Client
) -> None:
    log_in(client, make_member(org, Role.COMPLIANCE_OFFICER, username="hendra"))
    assert client.get(page_of(patient)).status_code == 403


def test_the_chart_links_to_the_consents_and_sums_up_those_in_force(
    english_client: Client, clinician: User, patient: Patient
) -> None:
    chart = english_client.get(f"/patients/{patient.pk}/").content.decode()
    assert f'href="{page_of(patient)}"' in chart
    assert "No consent has been recorded for this patient yet." in chart
    give(clinician, patient, ConsentKind.TREATMENT)
    give(clinician, patient, ConsentKind.PROCEDURE, scope_note="Genicular nerve block, left knee")
    research = give(clinician, patient, ConsentKind.RESEARCH)
    english_client.post(f"/patients/consents/{research.pk}/withdraw/", {"reason": "Changed her mind"})
    response = english_client.get(f"/patients/{patient.pk}/")
    summary = response.content.decode().split('data-testid="consent-summary"')[1].split("</section>")[0]
    assert "Treatment at the pain clinic" in summary
    assert "Procedure (informed consent)</span>: Genicular nerve block, left knee" in summary
    assert "Research" not in summary
    assert response.context["consent_summary"].kinds == [ConsentKind.TREATMENT, ConsentKind.PROCEDURE]
