"""Two questions the requirements engine answers for procedures: who may order one
(``order_procedure``: a physician with a valid STR and a SIP for the facility) and, under
fluoroscopy, who operated the C-arm (``operate_equipment:c_arm``): refused with the reason
naming the field, on the page too, and amendable like the other fields of a performance."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.models import Patient
from nyeri.facilities.models import Equipment
from nyeri.procedures import services
from nyeri.procedures.models import ProcedurePerformance, ProcedureRecord
from nyeri.procedures.refusals import ProcedureRefused
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import Role
from nyeri.workforce.kinds import Specialty
from tests.procedures.conftest import MakeStaff, Order, Staff, client_of

ESI = {"procedure_code": "esi_transforaminal", "body_site": "lower_back", "laterality": "left"}


# --- Ordering ------------------------------------------------------------------------------------


def test_a_nurse_may_not_order_a_procedure_and_nothing_is_saved(nurse: Staff, patient: Patient) -> None:
    with pytest.raises(ProcedureRefused) as caught:
        services.order_procedure(scope=nurse.scope, acting_user=nurse.user, patient=patient, **ESI)
    reason = caught.value.reasons[0]
    assert (reason.code, reason.subject) == ("ordered_by.role_missing", "ordered_by")
    assert reason.message_en.startswith("You may not order procedures here (Ns Siti): Needs one of these roles")
    assert not ProcedureRecord.objects.exists()
    denied = AuditEvent.objects.get(action=AuditAction.PERMISSION_DENIED, object_type="procedure")
    assert denied.patient_id == patient.pk
    assert "order_procedure refused" in denied.reason


def test_a_physician_whose_sip_expired_may_not_order(make_staff: MakeStaff, patient: Patient) -> None:
    lapsed = make_staff(Role.PAIN_PHYSICIAN, "dr_lapsed", residency=Specialty.ANESTHESIOLOGY, sip_expired=True)
    with pytest.raises(ProcedureRefused) as caught:
        services.order_procedure(scope=lapsed.scope, acting_user=lapsed.user, patient=patient, **ESI)
    assert [r.code for r in caught.value.reasons] == ["ordered_by.credential_expired"]


def test_a_licensed_physicians_order_records_the_decision_relied_on(physician: Staff, patient: Patient) -> None:
    record = services.order_procedure(scope=physician.scope, acting_user=physician.user, patient=patient, **ESI)
    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="procedure", object_id=str(record.pk))
    assert f"order_procedure allowed for person {physician.person.pk}" in event.reason


def test_bad_input_is_named_before_the_privilege_is_asked(nurse: Staff, patient: Patient) -> None:
    with pytest.raises(ValidationError) as caught:
        services.order_procedure(
            scope=nurse.scope,
            acting_user=nurse.user,
            patient=patient,
            procedure_code="esi_transforaminal",
            body_site="",
        )
    assert "body_site" in caught.value.message_dict


def test_the_order_page_shows_why_the_nurse_may_not_order(nurse: Staff, patient: Patient, facility: Facility) -> None:
    client = client_of(nurse.user, "id")
    response = client.post(
        f"/patients/{patient.pk}/procedures/new/?procedure=esi_transforaminal",
        {
            "procedure": "esi_transforaminal",
            "body_site": "lower_back",
            "laterality": "left",
            "guidance": "fluoroscopy",
            "anesthesia": "local",
            "facility": str(facility.pk),
        },
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert 'data-testid="refused"' in html
    assert "Ns Siti" in html
    assert "Memerlukan salah satu peran berikut" in html
    assert not ProcedureRecord.objects.exists()


def test_the_api_refuses_the_nurses_order_with_the_reason_codes(nurse: Staff, patient: Patient) -> None:
    response = client_of(nurse.user).post(
        f"/api/patients/{patient.pk}/procedures", json.dumps(ESI), content_type="application/json"
    )
    assert response.status_code == 403
    error = response.json()["error"]
    assert [r["code"] for r in error["reasons"]] == ["ordered_by.role_missing"]
    assert error["fields"][0]["field"] == "ordered_by"


# --- The C-arm operator --------------------------------------------------------------------------


def test_fluoroscopy_needs_the_c_arm_operator_named_as_the_field(
    order: Order, nurse: Staff, physician: Staff, c_arm: Equipment
) -> None:
    with pytest.raises(ValidationError) as caught, translation.override("en"):
        services.record_performance(
            scope=nurse.scope, acting_user=nurse.user, record=order(), performer=physician.person
        )
    assert caught.value.message_dict == {
        "imaging_operator": [
            "Fluoroscopy (C-arm) guidance needs the radiographer or x-ray assistant who operated the C-arm: choose who."
        ]
    }
    assert not ProcedurePerformance.objects.exists()


def test_a_c_arm_operator_the_engine_does_not_allow_is_refused_with_the_reason(
    order: Order, nurse: Staff, physician: Staff, make_staff: MakeStaff, c_arm: Equipment
) -> None:
    lapsed = make_staff(Role.RADIOGRAPHER, "rad_lapsed", sip_expired=True)
    with pytest.raises(ProcedureRefused) as caught:
        services.record_performance(
            scope=nurse.scope,
            acting_user=nurse.user,
            record=order(),
            performer=physician.person,
            imaging_operator=lapsed.person,
        )
    [reason] = caught.value.reasons
    assert (reason.code, reason.subject) == ("imaging_operator.credential_expired", "imaging_operator")
    assert reason.message_en.startswith("C-arm operator Rad Lapsed: ")
    # A nurse is no C-arm operator either.
    with pytest.raises(ProcedureRefused) as nurse_refused:
        services.record_performance(
            scope=nurse.scope,
            acting_user=nurse.user,
            record=order(),
            performer=physician.person,
            imaging_operator=nurse.person,
        )
    assert [r.code for r in nurse_refused.value.reasons] == ["imaging_operator.role_missing"]
    assert not ProcedurePerformance.objects.exists()


def test_a_c_arm_operator_is_recorded_with_fluoroscopy_only(
    order: Order, nurse: Staff, physician: Staff, radiographer: Staff, ultrasound: Equipment
) -> None:
    record = order(procedure_code="suprascapular_nerve_block", body_site="shoulder", laterality="right")
    with pytest.raises(ValidationError) as caught:
        services.record_performance(
            scope=nurse.scope,
            acting_user=nurse.user,
            record=record,
            performer=physician.person,
            imaging_operator=radiographer.person,
        )
    assert "imaging_operator" in caught.value.message_dict


def test_the_operator_is_recorded_decided_and_amendable(
    performed: ProcedurePerformance, nurse: Staff, radiographer: Staff, make_staff: MakeStaff
) -> None:
    assert performed.imaging_operator == radiographer.person
    assert f"operate_equipment:c_arm allowed for person {radiographer.person.pk}" in performed.decision
    assistant = make_staff(Role.XRAY_ASSISTANT, "asisten_rontgen")
    successor = services.amend_performance(
        scope=nurse.scope,
        acting_user=nurse.user,
        performance=performed,
        reason="Yang mengoperasikan C-arm adalah asisten rontgen",
        imaging_operator=assistant.person,
    )
    assert (successor.version, successor.imaging_operator) == (2, assistant.person)
    assert f"operate_equipment:c_arm allowed for person {assistant.person.pk}" in successor.decision
    nurse_operator = nurse.person
    with pytest.raises(ProcedureRefused):
        services.amend_performance(
            scope=nurse.scope,
            acting_user=nurse.user,
            performance=successor,
            reason="x",
            imaging_operator=nurse_operator,
        )


def test_the_pages_ask_for_the_operator_refuse_with_the_reason_and_show_who_it_was(
    order: Order,
    nurse: Staff,
    physician: Staff,
    radiographer: Staff,
    make_staff: MakeStaff,
    patient: Patient,
    c_arm: Equipment,
) -> None:
    lapsed = make_staff(Role.RADIOGRAPHER, "rad_lapsed", sip_expired=True)
    record = order()
    client = client_of(nurse.user)
    url = f"/patients/{patient.pk}/procedures/{record.pk}/perform/"
    form = client.get(url).content.decode()
    assert 'name="imaging_operator"' in form
    assert f"{radiographer.person.full_name} (allowed)" in form
    assert "Rad Lapsed (not allowed here)" in form
    data = {
        "procedure_code": "esi_transforaminal",
        "performed_at": (timezone.localtime() - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
        "performer": str(physician.person.pk),
        "anesthesia": "local",
        "guidance": "fluoroscopy",
        "body_site": "lower_back",
        "laterality": "left",
        "imaging_operator": "",
    }
    missing = client.post(url, data)
    assert missing.status_code == 200
    assert "who operated the C-arm: choose who." in missing.content.decode()
    refused = client.post(url, {**data, "imaging_operator": str(lapsed.person.pk)})
    assert refused.status_code == 403
    assert "C-arm operator Rad Lapsed: " in refused.content.decode()
    done = client.post(url, {**data, "imaging_operator": str(radiographer.person.pk)})
    assert done.status_code == 302
    detail = client.get(f"/patients/{patient.pk}/procedures/{record.pk}/").content.decode()
    assert f'data-testid="c-arm-operator">C-arm operator: {radiographer.person.full_name}' in detail
