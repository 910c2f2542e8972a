"""The consent API: list (state per kind and history, audited), record, withdraw; 422 naming each field,
404 for another organization's patient or consent, 403 without care access."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.models import ConsentKind, Patient, PatientConsent
from nyeri.tenancy.models import Facility
from tests.conftest import log_in

from .conftest import give


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def fields_of(response: Any) -> dict[str, str]:
    return {f["field"]: f["message"] for f in response.json()["error"]["fields"]}


def test_a_clinician_records_lists_and_withdraws_consents(
    english_client: Client, english_clinician: User, patient: Patient
) -> None:
    url = f"/api/patients/{patient.pk}/consents"
    created = post(english_client, url, {"kind": "data_processing", "how": "signed_form"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["kind"], body["kind_label"], body["status"], body["facility_id"], body["recorded_by_id"]) == (
        "data_processing",
        "Processing of personal health data",
        "given",
        patient.registered_at_id,
        english_clinician.pk,
    )
    verbal = post(
        english_client,
        url,
        {
            "kind": "diary_contact",
            "how": "verbal_witnessed",
            "witness": "Ns. Rina",
            "given_at": "2026-01-05T09:00:00+07:00",
        },
    )
    assert verbal.status_code == 201, verbal.content
    withdrawn = post(english_client, f"/api/consents/{verbal.json()['id']}/withdraw", {"reason": "Changed number"})
    assert withdrawn.status_code == 200
    assert (withdrawn.json()["status"], withdrawn.json()["withdrawal_reason"]) == ("withdrawn", "Changed number")
    assert withdrawn.json()["withdrawn_by_id"] == english_clinician.pk

    listed = english_client.get(url)
    assert listed.status_code == 200
    found = listed.json()
    assert found["active_kinds"] == ["data_processing"]
    states = {s["kind"]: (s["status"], s["consent_ids"]) for s in found["states"]}
    assert states["data_processing"] == ("given", [body["id"]])
    assert states["diary_contact"] == ("withdrawn", [])
    assert states["research"] == ("none", [])
    assert [c["id"] for c in found["history"]] == [body["id"], verbal.json()["id"]]  # newest given first
    read = AuditEvent.objects.filter(action=AuditAction.READ, patient_id=patient.pk).latest("id")
    assert (read.object_type, read.reason, read.actor) == ("patient", "api: consents", english_clinician)
    writes = AuditEvent.objects.filter(object_type="patient_consent").order_by("id")
    assert [(e.action, e.object_id) for e in writes] == [
        (AuditAction.CREATE, str(body["id"])),
        (AuditAction.CREATE, str(verbal.json()["id"])),
        (AuditAction.UPDATE, str(verbal.json()["id"])),
    ]


def test_bad_input_is_a_422_naming_each_field_and_nothing_is_saved(
    english_client: Client, patient: Patient, other_facility: Facility
) -> None:
    url = f"/api/patients/{patient.pk}/consents"
    future = (timezone.now() + timedelta(days=1)).isoformat()
    bad = post(english_client, url, {"kind": "procedure", "how": "verbal_witnessed", "given_at": future})
    assert bad.status_code == 422
    assert fields_of(bad) == {
        "given_at": "A consent is recorded once it has been given: the time cannot be in the future.",
        "witness": "A verbal consent needs the name of its witness.",
        "scope_note": "Name the procedure the patient consents to.",
    }
    unknown = post(english_client, url, {"kind": "newsletter", "how": "signed_form"})
    assert fields_of(unknown) == {"kind": "Choose what the patient consents to."}
    foreign = post(english_client, url, {"kind": "treatment", "how": "signed_form", "facility_id": other_facility.pk})
    assert fields_of(foreign) == {"facility_id": "This facility is not part of your organization."}
    assert not PatientConsent.objects.exists()


def test_withdrawing_twice_or_without_a_reason_is_a_422(
    english_client: Client, clinician: User, patient: Patient
) -> None:
    consent = give(clinician, patient, ConsentKind.RESEARCH)
    url = f"/api/consents/{consent.pk}/withdraw"
    assert fields_of(post(english_client, url, {"reason": ""})) == {"reason": "Give the reason for the withdrawal."}
    assert post(english_client, url, {"reason": "Left the study"}).status_code == 200
    again = post(english_client, url, {"reason": "Again"})
    assert again.status_code == 422
    assert list(fields_of(again)) == ["status"]
    assert PatientConsent.objects.get().withdrawal_reason == "Left the study"


def test_another_organizations_patient_and_consent_are_not_found(
    english_client: Client, foreign_patient: Patient, foreign_consent: PatientConsent
) -> None:
    assert english_client.get(f"/api/patients/{foreign_patient.pk}/consents").status_code == 404
    recorded = post(
        english_client, f"/api/patients/{foreign_patient.pk}/consents", {"kind": "research", "how": "electronic"}
    )
    assert recorded.status_code == 404
    withdrawn = post(english_client, f"/api/consents/{foreign_consent.pk}/withdraw", {"reason": "x"})
    assert withdrawn.status_code == 404
    assert withdrawn.json()["error"]["code"] == "not_found"
    assert PatientConsent.objects.get() == foreign_consent
    assert PatientConsent.objects.get().status == "given"


def test_a_member_without_care_access_gets_a_403_offering_break_glass(
    branch_nurse: User, clinician: User, patient: Patient
) -> None:
    consent = give(clinician, patient)
    client = log_in(Client(), branch_nurse)
    listed = client.get(f"/api/patients/{patient.pk}/consents")
    assert listed.status_code == 403
    assert listed.json()["error"]["code"] == "care_access_required"
    assert post(client, f"/api/consents/{consent.pk}/withdraw", {"reason": "x"}).status_code == 403
    assert PatientConsent.objects.get().status == "given"
