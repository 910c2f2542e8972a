"""Corrections of imaging results: an amendment is a new version (the earlier kept, with who,
when and why), *entered in error* keeps the result marked and without a current result; in
the services, on the pages (every refusal with its reason) and through the API. On PostgreSQL
the result rows are append-only (migration 0002)."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import translation

from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.clinical.models import Patient
from nyeri.imaging import selectors, services
from nyeri.imaging.models import ImagingResult, Referral, ResultRevision
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import Role
from tests.imaging.conftest import MakeStaff, Staff

pytestmark = pytest.mark.usefixtures("equipment")


def recorded(doctor: Staff, radiographer: Staff, patient: Patient) -> ImagingResult:
    placed = services.order_imaging(
        scope=doctor.scope,
        acting_user=doctor.user,
        patient=patient,
        modality="xray",
        body_region="lower_back",
        clinical_question="Spondylosis?",
    )
    return services.record_imaging_result(
        scope=radiographer.scope,
        acting_user=radiographer.user,
        order=placed,
        findings="Osteophytes L3-L5.",
        impression="Lumbar spondylosis.",
    )


def returned(clinic_doctor: Staff, hospital_doctor: Staff, patient: Patient, facility: Facility) -> Referral:
    placed = services.order_imaging(
        scope=clinic_doctor.scope,
        acting_user=clinic_doctor.user,
        patient=patient,
        modality="xray",
        body_region="lower_back",
        clinical_question="Spondylosis?",
    )
    referral = services.refer(
        scope=clinic_doctor.scope, acting_user=clinic_doctor.user, order=placed, to_facility=facility
    )
    services.accept_referral(scope=hospital_doctor.scope, acting_user=hospital_doctor.user, referral=referral)
    return services.complete_referral(
        scope=hospital_doctor.scope, acting_user=hospital_doctor.user, referral=referral, report="Normal alignment."
    )


def post(client: object, url: str, data: dict[str, object]) -> object:
    return client.post(url, json.dumps(data), content_type="application/json")  # type: ignore[attr-defined]


# --- In-house results ----------------------------------------------------------------------------


def test_an_amendment_is_a_new_version_and_the_recorded_result_is_kept(
    hospital_doctor: Staff, radiographer: Staff, hospital_patient: Patient
) -> None:
    result = recorded(hospital_doctor, radiographer, hospital_patient)
    revision = services.amend_imaging_result(
        scope=radiographer.scope,
        acting_user=radiographer.user,
        result=result,
        reason="Level miscounted: L2-L4",
        findings="Osteophytes L2-L4.",
        impression="Lumbar spondylosis.",
        version=1,
    )
    assert (revision.version, revision.kind, revision.recorded_by) == (2, "amendment", radiographer.user)
    result.refresh_from_db()
    assert result.findings == "Osteophytes L3-L5."  # the recorded version is kept as it was
    history = selectors.result_history(result)
    assert [v.version for v in history.versions] == [1, 2]
    assert history.current is not None
    assert history.current.findings == "Osteophytes L2-L4."
    event = AuditEvent.objects.get(action=AuditAction.AMEND, object_type="imaging_result")
    assert event.patient_id == hospital_patient.pk
    assert "version 1 -> 2" in event.reason
    assert "operate_equipment:xray allowed" in event.reason


def test_an_amendment_without_a_reason_of_a_stale_version_or_changing_nothing_is_refused(
    hospital_doctor: Staff, radiographer: Staff, hospital_patient: Patient
) -> None:
    result = recorded(hospital_doctor, radiographer, hospital_patient)
    scope, user = radiographer.scope, radiographer.user
    with pytest.raises(ValidationError) as missing, translation.override("en"):
        services.amend_imaging_result(
            scope=scope, acting_user=user, result=result, reason=" ", findings="", impression="x"
        )
    assert missing.value.message_dict == {
        "reason": ["Say why the result is amended."],
        "findings": ["Describe the findings."],
    }
    with pytest.raises(ValidationError) as unchanged, translation.override("en"):
        services.amend_imaging_result(
            scope=scope,
            acting_user=user,
            result=result,
            reason="x",
            findings="Osteophytes L3-L5.",
            impression="Lumbar spondylosis.",
        )
    assert unchanged.value.messages == ["The amendment changes nothing: change a field or cancel."]
    services.amend_imaging_result(
        scope=scope, acting_user=user, result=result, reason="x", findings="A.", impression="B.", version=1
    )
    with pytest.raises(ValidationError) as stale:
        services.amend_imaging_result(
            scope=scope, acting_user=user, result=result, reason="y", findings="C.", impression="D.", version=1
        )
    assert stale.value.code == "superseded"
    assert ResultRevision.objects.count() == 1


def test_a_result_entered_in_error_is_kept_marked_and_no_longer_current_nor_corrected(
    hospital_doctor: Staff, radiographer: Staff, hospital_patient: Patient
) -> None:
    result = recorded(hospital_doctor, radiographer, hospital_patient)
    services.mark_result_entered_in_error(
        scope=radiographer.scope, acting_user=radiographer.user, result=result, reason="Wrong patient's film"
    )
    history = selectors.result_history(result)
    assert history.entered_in_error
    assert history.current is None
    assert history.versions[0].findings == "Osteophytes L3-L5."
    with pytest.raises(ValidationError) as final:
        services.amend_imaging_result(
            scope=radiographer.scope,
            acting_user=radiographer.user,
            result=result,
            reason="x",
            findings="A.",
            impression="B.",
        )
    assert final.value.code == "entered_in_error"
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE, reason__contains="entered in error").exists()


def test_only_someone_the_engine_lets_operate_the_equipment_corrects_an_in_house_result(
    hospital_doctor: Staff, radiographer: Staff, make_staff: MakeStaff, hospital_patient: Patient
) -> None:
    result = recorded(hospital_doctor, radiographer, hospital_patient)
    nurse = make_staff(Role.NURSE, "ns_siti")
    with pytest.raises(services.ImagingRefused) as refused:
        services.mark_result_entered_in_error(
            scope=nurse.scope, acting_user=nurse.user, result=result, reason="Salah pasien"
        )
    assert [r.code for r in refused.value.reasons] == ["operator.role_missing"]
    assert not ResultRevision.objects.exists()
    denied = AuditEvent.objects.get(action=AuditAction.PERMISSION_DENIED, object_type="imaging_result")
    assert denied.outcome == AuditOutcome.DENIED


# --- Referral results ----------------------------------------------------------------------------


def test_a_returned_result_is_amended_and_entered_in_error_by_the_receiving_staff(
    clinic_doctor: Staff, hospital_doctor: Staff, clinic_patient: Patient, facility: Facility
) -> None:
    referral = returned(clinic_doctor, hospital_doctor, clinic_patient, facility)
    with pytest.raises(ValidationError) as outsider:
        services.amend_referral_result(
            scope=clinic_doctor.scope, acting_user=clinic_doctor.user, referral=referral, reason="x", report="y"
        )
    assert "facility" in outsider.value.message_dict
    services.amend_referral_result(
        scope=hospital_doctor.scope,
        acting_user=hospital_doctor.user,
        referral=referral,
        reason="Typo in the side",
        report="Normal alignment; mild left facet arthropathy.",
        version=1,
    )
    history = selectors.referral_result_history(referral)
    assert history is not None
    assert history.current is not None
    assert history.current.report == "Normal alignment; mild left facet arthropathy."
    assert history.versions[0].report == "Normal alignment."
    services.mark_result_entered_in_error(
        scope=hospital_doctor.scope,
        acting_user=hospital_doctor.user,
        referral=referral,
        reason="Report of another patient",
        version=2,
    )
    history = selectors.referral_result_history(referral)
    assert history is not None
    assert history.current is None
    assert [v.kind for v in history.versions] == ["original", "amendment", "entered_in_error"]
    referral.refresh_from_db()
    assert referral.report == "Normal alignment."


def test_a_referral_without_its_result_has_nothing_to_correct(
    clinic_doctor: Staff, hospital_doctor: Staff, clinic_patient: Patient, facility: Facility
) -> None:
    placed = services.order_imaging(
        scope=clinic_doctor.scope,
        acting_user=clinic_doctor.user,
        patient=clinic_patient,
        modality="xray",
        body_region="lower_back",
        clinical_question="?",
    )
    referral = services.refer(
        scope=clinic_doctor.scope, acting_user=clinic_doctor.user, order=placed, to_facility=facility
    )
    with pytest.raises(ValidationError) as early, translation.override("en"):
        services.amend_referral_result(
            scope=hospital_doctor.scope, acting_user=hospital_doctor.user, referral=referral, reason="x", report="y"
        )
    assert early.value.messages == ["This referral has no result yet."]


# --- Pages ---------------------------------------------------------------------------------------


def test_the_order_page_amends_shows_the_history_and_every_refusal_with_its_reason(
    hospital_doctor: Staff, radiographer: Staff, make_staff: MakeStaff, hospital_patient: Patient
) -> None:
    result = recorded(hospital_doctor, radiographer, hospital_patient)
    base = f"/patients/{hospital_patient.pk}/imaging/{result.order_id}/"
    client = radiographer.client()
    page = client.get(base).content.decode()
    assert 'data-testid="amend-result-form"' in page
    missing = client.post(base + "result/amend/", {"version": "1", "findings": "A.", "impression": "B.", "reason": ""})
    assert missing.status_code == 422
    assert "Say why the result is amended." in missing.content.decode()
    done = client.post(
        base + "result/amend/", {"version": "1", "findings": "A.", "impression": "B.", "reason": "Koreksi level"}
    )
    assert done.status_code == 302
    html = client.get(base).content.decode()
    assert 'data-testid="result-history"' in html
    assert "Koreksi level" in html
    assert "Osteophytes L3-L5." in html  # the earlier version, in the history
    stale = client.post(base + "result/entered-in-error/", {"version": "1", "reason": "Salah"})
    assert stale.status_code == 422
    assert "This result has been corrected since" in stale.content.decode()
    nurse = make_staff(Role.NURSE, "ns_siti")
    refused = nurse.client().post(base + "result/entered-in-error/", {"version": "2", "reason": "Salah pasien"})
    assert refused.status_code == 403
    text = refused.content.decode()
    assert "You may not correct this result:" in text
    assert "Operator Ns Siti: Needs one of these roles" in text
    marked = client.post(base + "result/entered-in-error/", {"version": "2", "reason": "Film pasien lain"})
    assert marked.status_code == 302
    html = client.get(base).content.decode()
    assert 'data-testid="entered-in-error"' in html
    assert "Film pasien lain" in html
    assert 'data-testid="amend-result-form"' not in html


def test_the_referral_page_corrects_the_returned_result(
    clinic_doctor: Staff, hospital_doctor: Staff, clinic_patient: Patient, facility: Facility
) -> None:
    referral = returned(clinic_doctor, hospital_doctor, clinic_patient, facility)
    base = f"/imaging/referrals/{referral.pk}/"
    client = hospital_doctor.client()
    bad = client.post(base + "result/amend/", {"version": "1", "report": "", "reason": "x"})
    assert bad.status_code == 422
    assert "Write the report of the result." in bad.content.decode()
    assert (
        client.post(base + "result/amend/", {"version": "1", "report": "Fixed.", "reason": "Typo"}).status_code == 302
    )
    html = client.get(base).content.decode()
    assert 'data-testid="current-report">Fixed.' in html
    assert "Normal alignment." in html


# --- API -----------------------------------------------------------------------------------------


def test_the_api_amends_and_marks_results_with_their_history_and_reasons(
    hospital_doctor: Staff,
    radiographer: Staff,
    make_staff: MakeStaff,
    hospital_patient: Patient,
    clinic_doctor: Staff,
    clinic_patient: Patient,
    facility: Facility,
) -> None:
    result = recorded(hospital_doctor, radiographer, hospital_patient)
    client = radiographer.client()
    url = f"/api/imaging/orders/{result.order_id}/result"
    bad = post(client, url + "/amend", {"reason": "", "findings": "A.", "impression": "B."})
    assert bad.status_code == 422  # type: ignore[attr-defined]
    amended = post(client, url + "/amend", {"reason": "Level", "findings": "A.", "impression": "B.", "version": 1})
    assert amended.status_code == 201, amended.content  # type: ignore[attr-defined]
    body = amended.json()  # type: ignore[attr-defined]
    assert (body["current_version"], body["entered_in_error"]) == (2, False)
    assert [v["kind"] for v in body["versions"]] == ["original", "amendment"]
    nurse = make_staff(Role.NURSE, "ns_siti")
    refused = post(nurse.client(), url + "/entered-in-error", {"reason": "x"})
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert refused.json()["error"]["reasons"][0]["code"] == "operator.role_missing"  # type: ignore[attr-defined]
    marked = post(client, url + "/entered-in-error", {"reason": "Wrong film", "version": 2})
    assert marked.json()["current_version"] is None  # type: ignore[attr-defined]
    detail = client.get(f"/api/imaging/orders/{result.order_id}").json()  # type: ignore[attr-defined]
    assert detail["result_history"]["entered_in_error"] is True
    referral = returned(clinic_doctor, hospital_doctor, clinic_patient, facility)
    answer = post(
        hospital_doctor.client(), f"/api/imaging/referrals/{referral.pk}/result/amend", {"reason": "x", "report": "Y."}
    )
    assert answer.status_code == 201  # type: ignore[attr-defined]
    shown = hospital_doctor.client().get(f"/api/imaging/referrals/{referral.pk}").json()
    assert shown["result_history"]["current_version"] == 2
    assert shown["report"] == "Normal alignment."


# --- The database --------------------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL triggers")
def test_result_rows_are_append_only_in_the_database(
    hospital_doctor: Staff,
    radiographer: Staff,
    hospital_patient: Patient,
    clinic_doctor: Staff,
    clinic_patient: Patient,
    facility: Facility,
) -> None:
    result = recorded(hospital_doctor, radiographer, hospital_patient)
    revision = services.amend_imaging_result(
        scope=radiographer.scope,
        acting_user=radiographer.user,
        result=result,
        reason="x",
        findings="A.",
        impression="B.",
    )
    referral = returned(clinic_doctor, hospital_doctor, clinic_patient, facility)
    for statement in (
        lambda: ImagingResult.objects.filter(pk=result.pk).update(findings="edited"),
        lambda: ImagingResult.objects.filter(pk=result.pk).delete(),
        lambda: ResultRevision.objects.filter(pk=revision.pk).update(findings="edited"),
        lambda: ResultRevision.objects.filter(pk=revision.pk).delete(),
        lambda: Referral.objects.filter(pk=referral.pk).update(report="edited"),
        lambda: Referral.objects.filter(pk=referral.pk).delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            statement()
