"""The prescription API: catalogue, drafts with an Idempotency-Key, preview, signing (with the
re-authentication and the second factor), refusals with reasons, cancel, reissue, PDF."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from pypdf import PdfReader

from nyeri.accounts.models import User
from nyeri.accounts.services import create_api_token
from nyeri.accounts.session_keys import SESSION_PASSWORD_AT
from nyeri.accounts.token_scopes import ALL_SCOPES
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.models import Patient
from nyeri.prescriptions.models import Prescription, PrescriptionStatus
from nyeri.tenancy.roles import Role
from tests.accounts_fixtures import age_session_value, totp_code, verify
from tests.conftest import MakeMember
from tests.prescriptions.conftest import MakeDraft, client_of, item
from tests.queries import statements_of

pytestmark = pytest.mark.django_db

STALE = settings.REAUTH_MAX_AGE + timedelta(seconds=1)
OXY = {"medication": "oxycodone-10mg-tab-er", "dose": 1, "doses_per_day": 2, "days": 14}
PARA = {"medication": "paracetamol-500mg-tab", "dose": 2, "doses_per_day": 3, "days": 7}


def post(client: Client, url: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(url, body, content_type="application/json", headers=headers)


def create(client: Client, patient: Patient, *items: dict[str, Any], key: str = "k-1") -> Any:
    return post(client, f"/api/patients/{patient.pk}/prescriptions", {"items": list(items)}, **{"Idempotency-Key": key})


def test_the_catalogue_of_the_jurisdiction_is_listed(physician: User) -> None:
    response = client_of(physician).get("/api/medications", {"page_size": 500})
    assert response.status_code == 200
    rows = {r["code"]: r for r in response.json()["items"]}
    assert "hydrocodone-apap-5-325-tab" not in rows  # US only
    oxy = rows["oxycodone-10mg-tab-er"]
    assert (oxy["controlled_class"], oxy["controlled_label"], oxy["mme_factor"], oxy["mme_table"]) == (
        "narkotika_II",
        "Narcotic, class II (Indonesia)",
        "1.5",
        "CDC-2022",
    )
    assert rows["diazepam-5mg-tab"]["benzodiazepine"] is True


def test_the_catalogue_is_paged_by_generic_name_in_the_same_statements_whatever_the_page(physician: User) -> None:
    client = client_of(physician)
    whole = client.get("/api/medications", {"page_size": 500}).json()
    count = whole["count"]
    assert count == len(whole["items"]) > 3
    first = client.get("/api/medications").json()
    assert (first["count"], first["page"], first["page_size"]) == (count, 1, 50)
    second = client.get("/api/medications", {"page": 2, "page_size": 3}).json()
    assert (second["count"], second["pages"]) == (count, -(-count // 3))
    assert second["items"] == whole["items"][3:6]
    # The catalogue is read from the code's data files: no statement per medication.
    assert statements_of(lambda: client.get("/api/medications", {"page_size": 1})) == statements_of(
        lambda: client.get("/api/medications", {"page_size": 500})
    )


def test_a_draft_is_created_once_per_idempotency_key(physician: User, patient: Patient) -> None:
    client = client_of(physician)
    first = create(client, patient, OXY, PARA)
    again = create(client, patient, OXY, PARA)
    assert first.status_code == 201, first.content
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == again.json()["id"]
    body = first.json()
    assert (body["status"], body["contains_controlled"], body["number"]) == (
        "draft",
        True,
        f"R-{patient.organization_id}-{body['id']:06d}",
    )
    assert [(i["medication"], i["quantity"], i["mme_per_day"]) for i in body["items"]] == [
        ("oxycodone-10mg-tab-er", 28, "30.00"),
        ("paracetamol-500mg-tab", 42, None),
    ]
    assert Prescription.objects.count() == 1


def test_bad_input_is_a_422_naming_each_field_and_nothing_is_saved(physician: User, patient: Patient) -> None:
    client = client_of(physician)
    response = create(
        client,
        patient,
        {**OXY, "dose": 0},
        {"medication": "unicorn-tears", "dose": -1, "doses_per_day": 2, "days": 0},
    )
    assert response.status_code == 422
    fields = {f["field"]: f["message"] for f in response.json()["error"]["fields"]}
    assert fields == {
        "items.0.dose": "The dose must be more than zero.",
        "items.1.medication": "unicorn-tears is not in the medication catalogue.",
        "items.1.dose": "The dose must be more than zero.",
        "items.1.days": "Prescribe for at least one day.",
    }
    malformed = create(client, patient, {**OXY, "days": "soon"})
    assert malformed.status_code == 422
    assert malformed.json()["error"]["fields"][0]["field"] == "items.0.days"
    assert not Prescription.objects.exists()


def test_a_nurse_is_refused_with_the_engines_reasons(licensed_nurse: User, patient: Patient) -> None:
    response = create(client_of(licensed_nurse), patient, OXY)
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "forbidden"
    messages = [f["message"] for f in error["fields"] if f["field"] == "prescriber"]
    assert "No controlled-substance authorisation on record." in messages
    assert not Prescription.objects.exists()


def test_the_preview_gives_mme_and_warnings_before_signing(
    physician: User, patient: Patient, make_draft: MakeDraft
) -> None:
    from nyeri.prescriptions import services
    from nyeri.prescriptions.signing import AttestedSecondFactor
    from tests.prescriptions.conftest import scope_of

    earlier = make_draft(physician, patient, item("morphine-30mg-tab-mr", doses_per_day=2))
    services.sign_prescription(
        scope=scope_of(physician), acting_user=physician, prescription=earlier, second_factor=AttestedSecondFactor("t")
    )
    client = client_of(physician)
    draft = create(client, patient, OXY, {**PARA, "medication": "diazepam-5mg-tab", "doses_per_day": 1}).json()
    response = client.get(f"/api/prescriptions/{draft['id']}/preview")
    assert response.status_code == 200
    body = response.json()
    assert body["mme"] == {
        "table": "CDC-2022",
        "this_prescription": "30.00",
        "other_active": "60.00",
        "total": "90.00",
        "warn_at": "50",
        "justify_at": "90",
    }
    assert [w["code"] for w in body["warnings"]] == ["mme_justify", "opioid_benzodiazepine"]
    assert body["justification_required"] is True
    assert body["controlled"] is True
    assert [a["medication"] for a in body["active"]] == ["morphine-30mg-tab-mr"]
    assert body["may_sign"] == {"allowed": True, "reasons": []}


def test_items_are_previewed_without_saving(physician: User, patient: Patient) -> None:
    response = post(client_of(physician), f"/api/patients/{patient.pk}/prescriptions/preview", {"items": [OXY]})
    assert response.status_code == 200
    assert response.json()["mme"]["total"] == "30.00"
    assert not Prescription.objects.exists()


def test_a_prescription_without_controlled_drugs_is_signed(gp: User, patient: Patient) -> None:
    client = client_of(gp)
    draft = create(client, patient, {**PARA, "medication": "gabapentin-300mg-cap"}).json()
    response = post(client, f"/api/prescriptions/{draft['id']}/sign", {})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["prescriber_registration"], body["prescriber_permit"]) == (
        "signed",
        "STR-fajar",
        "SIP-fajar",
    )


def test_signing_a_controlled_drug_needs_a_recent_password_and_a_code(
    physician: User, patient: Patient, device: TOTPDevice
) -> None:
    client = client_of(physician)
    verify(client, device)
    draft = create(client, patient, OXY).json()
    sign_url = f"/api/prescriptions/{draft['id']}/sign"
    no_code = post(client, sign_url, {})
    assert no_code.status_code == 422
    assert [f["field"] for f in no_code.json()["error"]["fields"]] == ["code"]
    age_session_value(client, SESSION_PASSWORD_AT, STALE)
    stale = post(client, sign_url, {"code": totp_code(device)})
    assert stale.status_code == 403
    assert stale.json()["error"]["code"] == "reauthentication_required"
    assert Prescription.objects.get().status == PrescriptionStatus.DRAFT
    fresh = client_of(physician)
    verify(fresh, device)
    signed = post(fresh, sign_url, {"code": totp_code(device)})
    assert signed.status_code == 200, signed.content
    assert (signed.json()["status"], signed.json()["second_factor"]) == ("signed", "totp")


def test_an_api_token_alone_cannot_sign_a_controlled_prescription(
    physician: User, patient: Patient, device: TOTPDevice
) -> None:
    _token, secret = create_api_token(acting_user=physician, name="script", expires_in_days=1)
    client = Client()
    auth = {"Authorization": f"Bearer {secret}"}
    headers = {**auth, "Idempotency-Key": "t-1"}
    draft = post(client, f"/api/patients/{patient.pk}/prescriptions", {"items": [OXY]}, **headers)
    assert draft.status_code == 201, draft.content
    response = post(client, f"/api/prescriptions/{draft.json()['id']}/sign", {"code": totp_code(device)}, **auth)
    # Refused by the token's rule (nyeri/accounts/token_scopes.py) before signing is tried.
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert Prescription.objects.get().status == PrescriptionStatus.DRAFT


def test_a_token_with_every_scope_cannot_sign_even_beside_a_freshly_verified_session(
    physician: User, patient: Patient, device: TOTPDevice
) -> None:
    client = client_of(physician)
    verify(client, device)
    draft = create(client, patient, OXY).json()
    _token, secret = create_api_token(acting_user=physician, name="script", expires_in_days=1, scopes=ALL_SCOPES)
    sign_url = f"/api/prescriptions/{draft['id']}/sign"
    response = post(client, sign_url, {"code": totp_code(device)}, Authorization=f"Bearer {secret}")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert Prescription.objects.get().status == PrescriptionStatus.DRAFT
    # The same session without the token signs: the refusal was the token's.
    assert post(client, sign_url, {"code": totp_code(device)}).status_code == 200


def test_cancel_reissue_and_pdf_through_the_api(gp: User, patient: Patient) -> None:
    client = client_of(gp)
    draft = create(client, patient, {**PARA, "medication": "amitriptyline-25mg-tab", "doses_per_day": 1}).json()
    post(client, f"/api/prescriptions/{draft['id']}/sign", {})
    pdf = client.get(f"/api/prescriptions/{draft['id']}/pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert "SIP-fajar" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, object_id=str(draft["id"])).count() == 1
    no_reason = post(client, f"/api/prescriptions/{draft['id']}/cancel", {"reason": ""})
    assert no_reason.status_code == 422
    assert no_reason.json()["error"]["fields"][0]["field"] == "reason"
    cancelled = post(client, f"/api/prescriptions/{draft['id']}/cancel", {"reason": "Duplicate"})
    assert (cancelled.json()["status"], cancelled.json()["cancel_reason"]) == ("cancelled", "Duplicate")
    reissue = post(client, f"/api/prescriptions/{draft['id']}/reissue", {}, **{"Idempotency-Key": "re-1"})
    assert reissue.status_code == 201
    assert (reissue.json()["reissue_of_id"], reissue.json()["status"]) == (draft["id"], "draft")
    listing = client.get(f"/api/patients/{patient.pk}/prescriptions")
    assert [p["status"] for p in listing.json()["items"]] == ["draft", "cancelled"]


def test_the_patients_prescriptions_are_paged_and_each_reads_as_its_detail(
    physician: User, patient: Patient, make_draft: MakeDraft
) -> None:
    older = make_draft(physician, patient, item("paracetamol-500mg-tab"), item("amitriptyline-25mg-tab", 1, 1))
    newer = [make_draft(physician, patient, item("paracetamol-500mg-tab")) for _ in range(2)]
    client = client_of(physician)
    url = f"/api/patients/{patient.pk}/prescriptions"
    first = client.get(url, {"page_size": 2}).json()
    assert (first["count"], first["page"], first["pages"], first["page_size"]) == (3, 1, 2, 2)
    assert [p["id"] for p in first["items"]] == [newer[1].pk, newer[0].pk]
    [row] = client.get(url, {"page_size": 2, "page": 2}).json()["items"]
    # The list item is the prescription as its own endpoint shows it, items in order.
    assert row == client.get(f"/api/prescriptions/{older.pk}").json()
    assert [i["medication"] for i in row["items"]] == ["paracetamol-500mg-tab", "amitriptyline-25mg-tab"]
    assert row["number"] == older.number
    assert client.get(url, {"page": 5}).json()["items"] == []
    assert client.get(url, {"page": 0}).status_code == 422


def test_another_organizations_prescriptions_are_not_found(
    physician: User, patient: Patient, foreign_patient: Patient, make_draft: MakeDraft, make_member: MakeMember
) -> None:
    draft = make_draft(physician, patient, item("paracetamol-500mg-tab"))
    stranger = client_of(make_member(foreign_patient.organization, Role.PAIN_PHYSICIAN, username="other"))
    assert stranger.get(f"/api/prescriptions/{draft.pk}").status_code == 404
    assert stranger.get(f"/api/prescriptions/{draft.pk}/pdf").status_code == 404
    assert client_of(physician).get(f"/api/patients/{foreign_patient.pk}/prescriptions").status_code == 404
