"""Prescription pages: the chart's link, writing a draft (once, whatever the clicks), the check
step, signing with the statement and a fresh code, refusals shown with their reasons,
cancel, reissue and the printed prescription."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from pypdf import PdfReader

from nyeri.accounts.models import User
from nyeri.accounts.session_keys import SESSION_PASSWORD_AT, SESSION_SECOND_FACTOR_AT
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.models import Patient
from nyeri.prescriptions.models import Prescription, PrescriptionStatus
from nyeri.prescriptions.signing import AttestedSecondFactor
from nyeri.tenancy.models import Facility
from tests.accounts_fixtures import REAUTH_URL, age_session_value, totp_code, verify
from tests.prescriptions.conftest import MakeDraft, client_of, item, scope_of

pytestmark = pytest.mark.django_db

STALE = settings.REAUTH_MAX_AGE + timedelta(seconds=1)


def url(patient: Patient, suffix: str = "") -> str:
    return f"/patients/{patient.pk}/prescriptions/{suffix}"


def rows(*items: dict[str, Any], key: str = "key-1", facility: Facility | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "idempotency_key": key,
        "items-TOTAL_FORMS": str(len(items)),
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "10",
    }
    if facility is not None:
        data["facility"] = str(facility.pk)
    for n, row in enumerate(items):
        for name, value in {"frequency": "2", "days": "14", "dose": "1", "instructions": "", **row}.items():
            data[f"items-{n}-{name}"] = value
    return data


def physician_client(physician: User, device: TOTPDevice | None = None) -> Client:
    client = client_of(physician)
    if device is not None:
        verify(client, device)
    return client


def test_the_patients_chart_links_to_the_prescriptions(physician: User, patient: Patient) -> None:
    response = client_of(physician).get(f"/patients/{patient.pk}/")
    assert url(patient).encode() in response.content


def test_a_draft_is_written_then_checked(physician: User, patient: Patient, facility: Facility) -> None:
    client = client_of(physician)
    form = client.get(url(patient, "new/"))
    assert form.status_code == 200
    key = form.context["form"].initial["idempotency_key"]
    assert re.fullmatch(r"[0-9a-f]{32}", key)
    assert f'value="{key}"'.encode() in form.content
    data = rows(
        {"medication": "oxycodone-10mg-tab-er"},
        {"medication": "paracetamol-500mg-tab", "dose": "2", "frequency": "3", "days": "7"},
        {"medication": ""},
        key=key,
        facility=facility,
    )
    response = client.post(url(patient, "new/"), data)
    prescription = Prescription.objects.get()
    assert response["Location"] == url(patient, f"{prescription.pk}/check/")
    check = client.get(response["Location"])
    assert check.status_code == 200
    assert check.context["check"].prescription_mme == 30
    assert b"Oxycodone 10 mg extended-release tablet" in check.content
    assert b'data-testid="mme-total"' in check.content
    assert b"Continue to signing" in check.content


def test_a_form_submitted_twice_writes_one_prescription(physician: User, patient: Patient, facility: Facility) -> None:
    client = client_of(physician)
    data = rows({"medication": "ibuprofen-400mg-tab"}, key="same-form", facility=facility)
    first = client.post(url(patient, "new/"), data)
    second = client.post(url(patient, "new/"), data)
    assert first["Location"] == second["Location"]
    assert Prescription.objects.count() == 1


def test_bad_input_is_shown_next_to_its_field_and_nothing_is_saved(
    physician: User, patient: Patient, facility: Facility
) -> None:
    data = rows(
        {"medication": "paracetamol-500mg-tab"},
        {"medication": "ibuprofen-400mg-tab", "dose": "0", "days": "0"},
        facility=facility,
    )
    response = client_of(physician).post(url(patient, "new/"), data)
    assert response.status_code == 200
    row = response.context["formset"].forms[1]
    assert row.errors["dose"] == ["The dose must be more than zero."]
    assert row.errors["days"] == ["Prescribe for at least one day."]
    assert not response.context["formset"].forms[0].errors
    assert not Prescription.objects.exists()


def test_an_unknown_drug_is_refused_on_the_page(physician: User, patient: Patient, facility: Facility) -> None:
    response = client_of(physician).post(url(patient, "new/"), rows({"medication": "unicorn-tears"}, facility=facility))
    assert response.context["formset"].forms[0].errors["medication"]
    assert not Prescription.objects.exists()


def test_a_row_is_added_without_javascript(physician: User, patient: Patient, facility: Facility) -> None:
    data = {**rows({"medication": "ibuprofen-400mg-tab"}, facility=facility), "add_row": "1"}
    response = client_of(physician).post(url(patient, "new/"), data)
    assert len(response.context["formset"].forms) == 2
    assert not Prescription.objects.exists()


def test_a_nurse_sees_why_she_may_not_prescribe(licensed_nurse: User, patient: Patient, facility: Facility) -> None:
    client = client_of(licensed_nurse)
    listing = client.get(url(patient))
    assert b'data-testid="refused"' in listing.content
    assert b"Needs one of these roles" in listing.content
    response = client.post(url(patient, "new/"), rows({"medication": "morphine-30mg-tab-mr"}, facility=facility))
    assert response.status_code == 403
    assert b"No controlled-substance authorisation on record." in response.content
    assert not Prescription.objects.exists()


def test_a_prescription_without_controlled_drugs_is_signed_without_a_code(
    gp: User, patient: Patient, make_draft: MakeDraft
) -> None:
    draft = make_draft(gp, patient, item("pregabalin-75mg-cap"))
    client = client_of(gp)
    page = client.get(url(patient, f"{draft.pk}/sign/"))
    assert b'data-testid="legal-statement"' not in page.content
    response = client.post(url(patient, f"{draft.pk}/sign/"), {})
    assert response["Location"] == url(patient, f"{draft.pk}/")
    detail = client.get(response["Location"])
    assert b"STR-fajar" in detail.content
    assert b"SIP-fajar" in detail.content
    assert Prescription.objects.get().status == PrescriptionStatus.SIGNED


def test_signing_a_controlled_prescription_shows_the_statement_and_needs_the_code(
    physician: User, patient: Patient, make_draft: MakeDraft, device: TOTPDevice
) -> None:
    draft = make_draft(physician, patient, item("morphine-30mg-tab-mr"))
    client = physician_client(physician, device)
    page = client.get(url(patient, f"{draft.pk}/sign/"))
    assert page.status_code == 200
    assert b'data-testid="legal-statement"' in page.content
    assert b"By entering the code from my authenticator app I sign" in page.content
    assert b'data-testid="mme-total"' in page.content
    without = client.post(url(patient, f"{draft.pk}/sign/"), {"code": ""})
    assert without.status_code == 200
    assert without.context["form"].errors["code"]
    assert Prescription.objects.get().status == PrescriptionStatus.DRAFT
    signed = client.post(url(patient, f"{draft.pk}/sign/"), {"code": totp_code(device)})
    assert signed["Location"] == url(patient, f"{draft.pk}/")
    done = Prescription.objects.get()
    assert (done.status, done.second_factor) == (PrescriptionStatus.SIGNED, "totp")
    # The page says how the signature was confirmed in words, not by the stored code.
    detail = client.get(url(patient, f"{draft.pk}/")).content.decode()
    assert "second factor: authenticator app (TOTP)" in detail
    assert "second factor: totp" not in detail


def test_a_stale_session_re_authenticates_before_the_signing_page(
    physician: User, patient: Patient, make_draft: MakeDraft, device: TOTPDevice
) -> None:
    draft = make_draft(physician, patient, item("morphine-30mg-tab-mr"))
    client = physician_client(physician, device)
    age_session_value(client, SESSION_PASSWORD_AT, STALE)
    age_session_value(client, SESSION_SECOND_FACTOR_AT, STALE)
    response = client.get(url(patient, f"{draft.pk}/sign/"))
    assert response["Location"].startswith(REAUTH_URL)
    posted = client.post(url(patient, f"{draft.pk}/sign/"), {"code": totp_code(device)})
    assert posted["Location"].startswith(REAUTH_URL)
    assert Prescription.objects.get().status == PrescriptionStatus.DRAFT


def test_without_a_second_factor_the_page_says_to_set_one_up(
    physician: User, patient: Patient, make_draft: MakeDraft
) -> None:
    draft = make_draft(physician, patient, item("fentanyl-25mcgh-patch", doses_per_day="0.333", days=9))
    page = client_of(physician).get(url(patient, f"{draft.pk}/sign/"))
    assert b'data-testid="needs-second-factor"' in page.content
    assert b'data-testid="sign-form"' not in page.content


def test_the_justification_is_asked_for_at_the_upper_threshold(
    physician: User, patient: Patient, make_draft: MakeDraft, device: TOTPDevice
) -> None:
    draft = make_draft(physician, patient, item("morphine-30mg-tab-mr", doses_per_day=3))  # 90 MME/day
    client = physician_client(physician, device)
    page = client.get(url(patient, f"{draft.pk}/sign/"))
    assert b'name="justification"' in page.content
    assert b"at or above 90 MME/day a justification must be recorded" in page.content
    verified = AuditEvent.objects.filter(action=AuditAction.MFA_VERIFIED).count()
    refused = client.post(url(patient, f"{draft.pk}/sign/"), {"code": totp_code(device)})
    assert refused.context["form"].errors["justification"]
    # The justification was missing: no code was spent on it.
    assert AuditEvent.objects.filter(action=AuditAction.MFA_VERIFIED).count() == verified
    done = client.post(
        url(patient, f"{draft.pk}/sign/"), {"code": totp_code(device), "justification": "Cancer pain, palliative"}
    )
    assert done.status_code == 302
    assert Prescription.objects.get().justification == "Cancer pain, palliative"


def test_the_printed_prescription_shows_str_sip_patient_items_and_is_audited(
    physician: User, patient: Patient, make_draft: MakeDraft, facility: Facility
) -> None:
    from nyeri.prescriptions import services

    draft = make_draft(physician, patient, item("oxycodone-10mg-tab-er"), item("paracetamol-500mg-tab", dose=2))
    services.sign_prescription(
        scope=scope_of(physician), acting_user=physician, prescription=draft, second_factor=AttestedSecondFactor("t")
    )
    response = client_of(physician).get(url(patient, f"{draft.pk}/pdf/"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for expected in ("STR-andi", "SIP-andi", "KEW-andi", "Euis Komalasari", "RM-1", facility.name, "R/"):
        assert expected in text
    assert "Oxycodone 10 mg extended-release tablet" in text
    assert "Quantity: 28 tablets" in text
    assert "Signature and stamp" in text
    [event] = AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="prescription")
    assert (event.patient_id, event.object_id) == (patient.pk, str(draft.pk))
    assert event.reason.startswith("pdf, ")


def test_a_draft_is_not_printed(physician: User, patient: Patient, make_draft: MakeDraft) -> None:
    draft = make_draft(physician, patient, item("paracetamol-500mg-tab"))
    response = client_of(physician).get(url(patient, f"{draft.pk}/pdf/"))
    assert response["Location"] == url(patient, f"{draft.pk}/")
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_a_signed_prescription_is_cancelled_and_reissued_on_the_pages(
    gp: User, patient: Patient, make_draft: MakeDraft
) -> None:
    from nyeri.prescriptions import services

    draft = make_draft(gp, patient, item("duloxetine-30mg-cap", doses_per_day=1, days=28))
    services.sign_prescription(scope=scope_of(gp), acting_user=gp, prescription=draft)
    client = client_of(gp)
    missing = client.post(url(patient, f"{draft.pk}/cancel/"), {"reason": ""})
    assert missing.context["form"].errors["reason"]
    client.post(url(patient, f"{draft.pk}/cancel/"), {"reason": "Wrong strength"})
    detail = client.get(url(patient, f"{draft.pk}/"))
    assert b'data-testid="cancelled"' in detail.content
    assert b"Wrong strength" in detail.content
    key = detail.context["reissue_form"].initial["idempotency_key"]
    response = client.post(url(patient, f"{draft.pk}/reissue/"), {"idempotency_key": key})
    again = client.post(url(patient, f"{draft.pk}/reissue/"), {"idempotency_key": key})
    reissue = Prescription.objects.get(reissue_of=draft)
    assert response["Location"] == again["Location"] == url(patient, f"{reissue.pk}/edit/")
    edit = client.get(response["Location"])
    assert edit.context["formset"].forms[0].initial["medication"] == "duloxetine-30mg-cap"
    assert edit.context["formset"].forms[0].initial["frequency"] == "1"


def test_an_edit_replaces_the_items_of_the_draft(
    physician: User, patient: Patient, make_draft: MakeDraft, facility: Facility
) -> None:
    draft = make_draft(physician, patient, item("paracetamol-500mg-tab"))
    client = client_of(physician)
    page = client.get(url(patient, f"{draft.pk}/edit/"))
    assert page.status_code == 200
    data = rows({"medication": "celecoxib-200mg-cap", "frequency": "1"}, key=draft.idempotency_key, facility=facility)
    response = client.post(url(patient, f"{draft.pk}/edit/"), data)
    assert response["Location"] == url(patient, f"{draft.pk}/check/")
    assert [i.medication_code for i in draft.items.all()] == ["celecoxib-200mg-cap"]


def test_the_patients_prescriptions_are_listed(physician: User, patient: Patient, make_draft: MakeDraft) -> None:
    draft = make_draft(physician, patient, item("paracetamol-500mg-tab"))
    response = client_of(physician).get(url(patient))
    assert response.status_code == 200
    assert draft.number.encode() in response.content
    assert b"Paracetamol 500 mg tablet" in response.content


def test_another_organizations_patient_is_not_found(physician: User, foreign_patient: Patient) -> None:
    client = client_of(physician)
    assert client.get(url(foreign_patient)).status_code == 404
    assert client.get(url(foreign_patient, "new/")).status_code == 404


def test_enrolling_a_second_factor_from_the_signing_page_returns_to_the_prescription(
    physician: User, patient: Patient, make_draft: MakeDraft
) -> None:
    draft = make_draft(physician, patient, item("fentanyl-25mcgh-patch", doses_per_day="0.333", days=9))
    client = client_of(physician)
    sign_url = url(patient, f"{draft.pk}/sign/")
    page = client.get(sign_url).content.decode()
    setup = f"/accounts/second-factor/setup/?next={sign_url.replace('/', '%2F')}"
    assert setup in page
    started = client.post("/accounts/second-factor/setup/", {"action": "start", "next": sign_url})
    assert started["Location"] == setup
    device = TOTPDevice.objects.get(user=physician, confirmed=False)
    codes = client.post(setup, {"action": "confirm", "token": totp_code(device), "next": sign_url})
    assert codes.status_code == 200
    assert f'href="{sign_url}"' in codes.content.decode()
    assert b'data-testid="sign-form"' in client.get(sign_url).content


def test_a_next_to_another_site_is_not_followed_after_enrolling(physician: User) -> None:
    client = client_of(physician)
    started = client.post("/accounts/second-factor/setup/", {"action": "start", "next": "https://evil.example/"})
    assert started["Location"] == "/accounts/second-factor/setup/"
    device = TOTPDevice.objects.get(user=physician, confirmed=False)
    codes = client.post(
        "/accounts/second-factor/setup/",
        {"action": "confirm", "token": totp_code(device), "next": "https://evil.example/"},
    )
    assert "evil.example" not in codes.content.decode()
