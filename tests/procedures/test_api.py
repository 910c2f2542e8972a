"""The procedure API: catalogue, ordering, scheduling, performing (refusals in both languages),
cancelling, amending, worklist, markers; the tenant wall."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.models import Patient
from nyeri.facilities.models import Equipment
from nyeri.procedures import services
from nyeri.procedures.kinds import ProcedureStatus
from nyeri.procedures.models import ProcedurePerformance, ProcedureRecord
from nyeri.tenancy.models import Facility
from tests.procedures.conftest import Order, Staff, client_of
from tests.queries import statements_of


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, content_type="application/json")


def test_the_catalogue_lists_each_procedure_with_its_rules(nurse: Staff) -> None:
    response = client_of(nurse.user).get("/api/procedures/catalogue")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == "2026.11-1"
    stellate = next(p for p in body["procedures"] if p["code"] == "stellate_ganglion_block")
    assert stellate["label_id"] == "Blok ganglion stelata"
    assert stellate["action"] == "perform_procedure:sympathetic_block"
    assert stellate["sides"] == {"neck": ["left", "right"]}
    assert stellate["guidance"] == ["ultrasound", "fluoroscopy"]
    assert stellate["icd9cm"]["code"] == "05.31"


def test_a_procedure_is_ordered_and_bad_input_names_the_field(physician: Staff, patient: Patient) -> None:
    client = client_of(physician.user)
    url = f"/api/patients/{patient.pk}/procedures"
    bad = post(client, url, {"procedure_code": "esi_transforaminal", "body_site": "knee"})
    assert bad.status_code == 422
    fields = {f["field"] for f in bad.json()["error"]["fields"]}
    assert fields == {"body_site"}
    missing_side = post(client, url, {"procedure_code": "esi_transforaminal", "body_site": "lower_back"})
    assert [f["field"] for f in missing_side.json()["error"]["fields"]] == ["laterality"]
    assert not ProcedureRecord.objects.exists()
    good = post(client, url, {"procedure_code": "esi_transforaminal", "body_site": "lower_back", "laterality": "left"})
    assert good.status_code == 201, good.content
    body = good.json()
    assert (body["status"], body["guidance"], body["anesthesia"], body["icd9cm_code"]) == (
        "ordered",
        "fluoroscopy",
        "local",
        "03.92",
    )
    assert body["procedure_label_id"] == "Injeksi steroid epidural transforaminal"
    assert body["current"] is None


def test_a_refusal_gives_every_reason_with_its_code_in_both_languages(
    order: Order, nurse: Staff, gp: Staff, radiographer: Staff
) -> None:
    record = order()
    response = post(
        client_of(nurse.user),
        f"/api/procedures/{record.pk}/perform",
        {"performer_id": gp.person.pk, "imaging_operator_id": radiographer.person.pk},
    )
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "procedure_refused"
    codes = [r["code"] for r in error["reasons"]]
    assert codes == ["performer.role_missing", "performer.one_of", "equipment.not_in_service"]
    first = error["reasons"][0]
    assert first["message_en"] == "Performer Dr Fajar: Needs one of these roles: Pain physician, Anesthesiologist."
    assert "Memerlukan salah satu peran berikut: Dokter manajemen nyeri" in first["message_id"]
    assert error["fields"][0]["field"] == "performer"
    record.refresh_from_db()
    assert record.status == ProcedureStatus.ORDERED


def test_a_procedure_is_scheduled_performed_and_amended_through_the_api(
    order: Order, nurse: Staff, physician: Staff, anesthesiologist: Staff, radiographer: Staff, c_arm: Equipment
) -> None:
    client = client_of(nurse.user)
    record = order(anesthesia="sedation")
    when = timezone.now() + timedelta(days=1)
    scheduled = post(client, f"/api/procedures/{record.pk}/schedule", {"scheduled_for": when.isoformat()})
    assert scheduled.status_code == 200
    assert scheduled.json()["status"] == "scheduled"
    no_anesthesiologist = post(client, f"/api/procedures/{record.pk}/perform", {"performer_id": physician.person.pk})
    assert no_anesthesiologist.status_code == 422
    assert no_anesthesiologist.json()["error"]["fields"][0]["field"] == "anesthesiologist"
    performed = post(
        client,
        f"/api/procedures/{record.pk}/perform",
        {
            "performer_id": physician.person.pk,
            "anesthesiologist_id": anesthesiologist.person.pk,
            "monitoring_nurse_id": nurse.person.pk,
            "imaging_operator_id": radiographer.person.pk,
            "pain_before": 9,
            "pain_after": 4,
            "complications": ["hypotension"],
        },
    )
    assert performed.status_code == 201, performed.content
    body = performed.json()
    assert (body["version"], body["kind"], body["relief_change"], body["relief_percent"]) == (1, "original", -5, "56")
    assert body["anesthesiologist_name"] == "Dr Bambang"
    assert (body["imaging_operator_id"], body["imaging_operator_name"]) == (radiographer.person.pk, "Dedi Rad")
    assert body["complications"] == ["hypotension"]
    assert "give_sedation allowed" in body["decision"]
    assert (body["monitoring_nurse_id"], body["monitoring_nurse_name"]) == (nurse.person.pk, "Ns Siti")
    assert f"monitor_sedation allowed for person {nurse.person.pk}" in body["decision"]
    amended = post(
        client,
        f"/api/procedures/{record.pk}/amend",
        {"reason": "Tekanan darah normal, bukan hipotensi", "complications": []},
    )
    assert amended.status_code == 201, amended.content
    assert (amended.json()["version"], amended.json()["complications"]) == (2, [])
    detail = client.get(f"/api/procedures/{record.pk}").json()
    assert [v["version"] for v in detail["versions"]] == [1, 2]
    assert detail["versions"][0]["complications"] == ["hypotension"]
    assert detail["current"]["version"] == 2
    assert detail["status"] == "performed"


def test_an_amendment_without_a_reason_or_of_an_open_order_is_refused(
    order: Order, nurse: Staff, performed: ProcedurePerformance
) -> None:
    client = client_of(nurse.user)
    response = post(client, f"/api/procedures/{performed.record_id}/amend", {"reason": "", "pain_after": 1})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "reason"
    waiting = order(procedure_code="trigger_point_injection", body_site="upper_back", laterality="")
    response = post(client, f"/api/procedures/{waiting.pk}/amend", {"reason": "x", "pain_after": 1})
    assert response.status_code == 422


def test_a_cancelled_procedure_keeps_its_reason(order: Order, nurse: Staff) -> None:
    record = order()
    client = client_of(nurse.user)
    response = post(client, f"/api/procedures/{record.pk}/cancel", {"reason": "Pasien menolak"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancel_reason"]) == ("cancelled", "Pasien menolak")
    again = post(client, f"/api/procedures/{record.pk}/cancel", {"reason": "Lagi"})
    assert again.status_code == 422


def test_the_patients_list_worklist_and_markers(
    performed: ProcedurePerformance, nurse: Staff, patient: Patient, facility: Facility
) -> None:
    client = client_of(nurse.user)
    [row] = client.get(f"/api/patients/{patient.pk}/procedures").json()["items"]
    assert row["current"]["relief_percent"] == "71"
    read = AuditEvent.objects.filter(action=AuditAction.READ, patient_id=patient.pk).latest("pk")
    assert read.reason == "api procedures"
    work = client.get(f"/api/facilities/{facility.pk}/procedures").json()
    assert [r["id"] for r in work["performed"]] == [performed.record_id]
    assert work["open"] == []
    [marker] = client.get(f"/api/patients/{patient.pk}/procedure-markers").json()["items"]
    assert (marker["kind"], marker["id"], marker["performance_id"]) == ("procedure", performed.record_id, performed.pk)


def test_the_procedure_markers_are_paged_oldest_first_audited_in_constant_statements(
    performed: ProcedurePerformance,
    order: Order,
    nurse: Staff,
    physician: Staff,
    radiographer: Staff,
    patient: Patient,
    foreign_patient: Patient,
) -> None:
    client = client_of(nurse.user)
    url = f"/api/patients/{patient.pk}/procedure-markers"
    first = client.get(url).json()
    assert (first["count"], first["page"], first["pages"], first["page_size"]) == (1, 1, 1, 50)
    read = AuditEvent.objects.filter(action=AuditAction.READ, patient_id=patient.pk).latest("pk")
    assert read.reason == "api procedure markers"
    one_row = statements_of(lambda: client.get(url))
    later = []
    for minutes, side in ((8, "left"), (6, "right")):
        record = order(laterality=side)
        later.append(
            services.record_performance(
                scope=nurse.scope,
                acting_user=nurse.user,
                record=record,
                performer=physician.person,
                imaging_operator=radiographer.person,
                performed_at=timezone.now() - timedelta(minutes=minutes),
                pain_before=6,
                pain_after=3,
            )
        )
    assert statements_of(lambda: client.get(url)) == one_row
    second = client.get(url, {"page": 2, "page_size": 2}).json()
    assert (second["count"], second["pages"]) == (3, 2)
    [last] = second["items"]
    assert (last["id"], last["performance_id"], last["kind"]) == (later[1].record_id, later[1].pk, "procedure")
    assert "right" in last["label"]
    # Another organization's patient is not found, and its markers are never counted.
    assert client.get(f"/api/patients/{foreign_patient.pk}/procedure-markers").status_code == 404


def test_the_patients_procedures_are_paged_and_each_reads_as_its_detail(
    performed: ProcedurePerformance, order: Order, nurse: Staff, patient: Patient
) -> None:
    # Ordered after the one performed (an order's time is not edited: the database refuses).
    later = [order(), order(procedure_code="stellate_ganglion_block", body_site="neck", laterality="right")]
    client = client_of(nurse.user)
    url = f"/api/patients/{patient.pk}/procedures"
    first = client.get(url, {"page_size": 2}).json()
    assert (first["count"], first["page"], first["pages"], first["page_size"]) == (3, 1, 2, 2)
    assert [row["id"] for row in first["items"]] == [later[1].pk, later[0].pk]
    second = client.get(url, {"page_size": 2, "page": 2}).json()
    [row] = second["items"]
    # The list item is the procedure as its own endpoint shows it, without the versions.
    detail = client.get(f"/api/procedures/{performed.record_id}").json()
    del detail["versions"]
    assert row == detail
    assert row["current"]["imaging_operator_name"]
    assert row["current"]["anesthesiologist_name"] == ""
    assert first["items"][0]["icd9cm_code"] == "05.31"
    assert first["items"][0]["current"] is None
    assert client.get(url, {"page": 9}).json()["items"] == []
    assert client.get(url, {"page_size": 0}).status_code == 422


def test_another_organizations_rows_are_not_found(
    nurse: Staff, foreign_patient: Patient, other_facility: Facility, order: Order, make_staff: Any
) -> None:
    client = client_of(nurse.user)
    assert client.get(f"/api/patients/{foreign_patient.pk}/procedures").status_code == 404
    assert (
        post(
            client, f"/api/patients/{foreign_patient.pk}/procedures", {"procedure_code": "x", "body_site": "y"}
        ).status_code
        == 404
    )
    assert client.get(f"/api/facilities/{other_facility.pk}/procedures").status_code == 404
    foreign = ProcedureRecord.objects.create(
        organization=foreign_patient.organization,
        patient=foreign_patient,
        facility=other_facility,
        procedure_code="esi_caudal",
        catalogue_version="x",
        body_site="sacrum_buttock",
        guidance="fluoroscopy",
        anesthesia="local",
        ordered_by=nurse.user,
        ordered_at=timezone.now(),
    )
    assert client.get(f"/api/procedures/{foreign.pk}").status_code == 404
    assert post(client, f"/api/procedures/{foreign.pk}/cancel", {"reason": "x"}).status_code == 404
    # A performer of another organization is not found either.
    from nyeri.workforce.kinds import Citizenship
    from nyeri.workforce.models import Person

    stranger = Person.objects.create(
        organization=foreign_patient.organization, full_name="Orang Lain", citizenship=Citizenship.CITIZEN
    )
    mine = order()
    assert post(client, f"/api/procedures/{mine.pk}/perform", {"performer_id": stranger.pk}).status_code == 404


def test_a_monitoring_nurse_refused_by_the_engine_is_a_403_on_her_field_and_another_organizations_is_not_found(
    order: Order,
    nurse: Staff,
    physician: Staff,
    anesthesiologist: Staff,
    radiographer: Staff,
    c_arm: Equipment,
    admin: Any,
    facility: Facility,
    foreign_patient: Patient,
) -> None:
    from nyeri.workforce.kinds import Citizenship
    from nyeri.workforce.models import Person
    from nyeri.workforce.privileges.services import require_privileges
    from tests.procedures.conftest import scope_of

    require_privileges(
        scope=scope_of(admin), acting_user=admin, facility=facility, privileges=["nursing_sedation_monitoring"]
    )
    client = client_of(nurse.user)
    record = order(anesthesia="sedation")
    body = {
        "performer_id": physician.person.pk,
        "anesthesiologist_id": anesthesiologist.person.pk,
        "imaging_operator_id": radiographer.person.pk,
    }
    missing = post(client, f"/api/procedures/{record.pk}/perform", body)
    assert missing.status_code == 422
    assert [f["field"] for f in missing.json()["error"]["fields"]] == ["monitoring_nurse"]
    refused = post(client, f"/api/procedures/{record.pk}/perform", {**body, "monitoring_nurse_id": nurse.person.pk})
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert [(r["code"], r["subject"]) for r in error["reasons"]] == [
        ("monitoring_nurse.privilege_missing", "monitoring_nurse")
    ]
    assert error["fields"][0]["field"] == "monitoring_nurse"
    assert error["reasons"][0]["message_en"] == (
        "Monitoring nurse Ns Siti: No clinical privilege “Monitoring patients under procedural sedation” "
        "granted at this facility."
    )
    assert error["reasons"][0]["message_id"].startswith("Perawat pemantau Ns Siti: Tidak ada kewenangan klinis")
    stranger = Person.objects.create(
        organization=foreign_patient.organization, full_name="Ns Lain", citizenship=Citizenship.CITIZEN
    )
    foreign = post(client, f"/api/procedures/{record.pk}/perform", {**body, "monitoring_nurse_id": stranger.pk})
    assert foreign.status_code == 404
    assert not ProcedurePerformance.objects.exists()
