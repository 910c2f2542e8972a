"""A performed procedure recorded by mistake is marked *entered in error*: kept with every version,
shown marked (who, when, why), left out of the chart's markers and of what counts as performed;
the service, the page, the API, the tenant wall and, on PostgreSQL, the database."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone, translation

from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.chart.selectors import treatment_markers
from nyeri.clinical.models import Patient
from nyeri.procedures import selectors, services
from nyeri.procedures.kinds import ProcedureStatus
from nyeri.procedures.models import ProcedurePerformance, ProcedureRecord
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.conftest import MakeMember
from tests.procedures.conftest import Order, Staff, client_of, scope_of

WHY = "Dicatat pada pasien yang salah"


def mark(staff: Staff, record: ProcedureRecord, *, reason: str = WHY, version: int = 1) -> ProcedureRecord:
    return services.mark_performance_entered_in_error(
        scope=staff.scope, acting_user=staff.user, record=record, reason=reason, version=version
    )


def fresh(record: ProcedureRecord) -> ProcedureRecord:
    return ProcedureRecord.objects.get(pk=record.pk)


def amend_pain(staff: Staff, performance: ProcedurePerformance) -> ProcedurePerformance:
    return services.amend_performance(
        scope=staff.scope, acting_user=staff.user, performance=performance, reason="Diukur ulang", pain_after=4
    )


def post_json(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, content_type="application/json")


def foreign_record(foreign_patient: Patient, other_facility: Facility, user: Any) -> ProcedureRecord:
    return ProcedureRecord.objects.create(
        organization=foreign_patient.organization,
        patient=foreign_patient,
        facility=other_facility,
        procedure_code="esi_caudal",
        catalogue_version="x",
        body_site="sacrum_buttock",
        guidance="fluoroscopy",
        anesthesia="local",
        ordered_by=user,
        ordered_at=timezone.now(),
    )


# --- The service --------------------------------------------------------------------------------


def test_marking_keeps_the_record_and_every_version_and_is_audited(
    performed: ProcedurePerformance, nurse: Staff, physician: Staff
) -> None:
    record = performed.record
    second = amend_pain(physician, performed)
    marked = mark(nurse, record, version=2)
    stored = fresh(record)
    assert stored.status == ProcedureStatus.ENTERED_IN_ERROR == marked.status
    assert (stored.entered_in_error_by, stored.entered_in_error_reason) == (nurse.user, WHY)
    assert stored.entered_in_error_at is not None
    # Nothing deleted, nothing rewritten: both versions as they were.
    assert list(ProcedurePerformance.objects.filter(record=record).order_by("version")) == [performed, second]
    assert [v.pain_after for v in ProcedurePerformance.objects.filter(record=record).order_by("version")] == [2, 4]
    event = AuditEvent.objects.filter(object_type="procedure", object_id=record.pk).latest("pk")
    assert event.action == AuditAction.UPDATE
    assert (event.actor_id, event.patient_id) == (nurse.user.pk, record.patient_id)
    assert "entered in error" in event.reason
    assert WHY in event.reason


def test_a_reason_is_required_and_nothing_is_written_without_one(performed: ProcedurePerformance, nurse: Staff) -> None:
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as caught:
        mark(nurse, performed.record, reason="   ")
    assert list(caught.value.message_dict) == ["reason"]
    assert fresh(performed.record).status == ProcedureStatus.PERFORMED
    assert AuditEvent.objects.count() == events


def test_a_second_marking_is_refused_naming_the_status(performed: ProcedurePerformance, nurse: Staff) -> None:
    mark(nurse, performed.record)
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        mark(nurse, fresh(performed.record), reason="Lagi")
    [message] = caught.value.message_dict["status"]
    assert message.startswith(f"This procedure was already marked entered in error by {nurse.user}")
    assert fresh(performed.record).entered_in_error_reason == WHY


def test_a_stale_version_is_refused_naming_the_version(performed: ProcedurePerformance, nurse: Staff) -> None:
    amend_pain(nurse, performed)
    with pytest.raises(ValidationError) as caught:
        mark(nurse, performed.record, version=1)
    assert "version 2" in caught.value.message_dict["version"][0]
    assert fresh(performed.record).status == ProcedureStatus.PERFORMED


def test_only_a_performed_procedure_is_marked(order: Order, nurse: Staff) -> None:
    with pytest.raises(ValidationError) as caught:
        mark(nurse, order())
    assert list(caught.value.message_dict) == ["status"]


def test_a_procedure_entered_in_error_is_not_amended_any_more(performed: ProcedurePerformance, nurse: Staff) -> None:
    mark(nurse, performed.record)
    with pytest.raises(ValidationError) as caught:
        amend_pain(nurse, ProcedurePerformance.objects.get(pk=performed.pk))
    assert caught.value.code == ProcedureStatus.ENTERED_IN_ERROR
    assert ProcedurePerformance.objects.filter(record=performed.record).count() == 1


def test_who_may_mark_is_who_may_amend(
    performed: ProcedurePerformance, make_member: MakeMember, org: Organization
) -> None:
    record = performed.record
    officer = make_member(org, Role.COMPLIANCE_OFFICER, username="kepatuhan")
    with pytest.raises(PermissionDenied):
        services.mark_performance_entered_in_error(
            scope=scope_of(officer), acting_user=officer, record=record, reason=WHY, version=1
        )
    other = Facility.objects.create(
        organization=org,
        name="Klinik Lain",
        code="lain-3",
        kind=Facility.Kind.PAIN_CLINIC,
        province="Jawa Barat",
        regency="Kota Cimahi",
        regency_code="32.77",
    )
    limited = make_member(org, Role.NURSE, username="ns_lain", facilities=(other,))
    with pytest.raises(ValidationError) as elsewhere:
        services.mark_performance_entered_in_error(
            scope=scope_of(limited), acting_user=limited, record=record, reason=WHY, version=1
        )
    assert "facility" in elsewhere.value.message_dict
    assert fresh(record).status == ProcedureStatus.PERFORMED


# --- Left out of what counts as performed -------------------------------------------------------


def test_it_leaves_the_chart_markers_and_the_worklist_but_stays_on_the_patients_list(
    performed: ProcedurePerformance, nurse: Staff, patient: Patient, facility: Facility
) -> None:
    assert len(selectors.procedure_markers(nurse.scope, patient)) == 1
    mark(nurse, performed.record)
    assert selectors.procedure_markers(nurse.scope, patient) == []
    with translation.override("en"):
        assert [m for m in treatment_markers(nurse.scope, patient, since=None) if m.kind == "procedure"] == []
    assert selectors.facility_worklist(nurse.scope, facility).performed == []
    [listed] = selectors.patient_procedures(nurse.scope, patient)
    assert (listed.pk, listed.status, listed.current) == (performed.record_id, "entered_in_error", performed)

    chart = client_of(nurse.user, "en").get(f"/patients/{patient.pk}/?months=all")
    assert chart.status_code == 200
    assert 'class="marker marker-procedure"' not in chart.content.decode()


# --- The pages ----------------------------------------------------------------------------------


def test_it_is_marked_from_the_procedure_page_and_shown_with_who_when_and_why(
    performed: ProcedurePerformance, nurse: Staff, patient: Patient
) -> None:
    record = performed.record
    client = client_of(nurse.user, "en")
    url = f"/patients/{patient.pk}/procedures/{record.pk}/"
    page = client.get(url).content.decode()
    assert 'data-testid="entered-in-error-form"' in page
    assert 'name="version" value="1"' in page
    response = client.post(f"{url}entered-in-error/", {"version": "1", "reason": WHY})
    assert response.status_code == 302
    assert fresh(record).status == ProcedureStatus.ENTERED_IN_ERROR

    detail = client.get(url).content.decode()
    assert 'data-testid="entered-in-error"' in detail
    assert WHY in detail
    assert nurse.user.full_name in detail
    assert 'id="version-1"' in detail
    assert 'data-testid="entered-in-error-form"' not in detail
    assert f"/procedures/{record.pk}/amend/" not in detail
    listing = client.get(f"/patients/{patient.pk}/procedures/").content.decode()
    assert f'id="procedure-{record.pk}"' in listing
    assert "Entered in error" in listing
    assert WHY in listing
    # The amendment page sends back to the procedure.
    assert client.get(f"{url}amend/").status_code == 302


def test_refusals_are_shown_on_the_page_with_their_reason(
    performed: ProcedurePerformance, nurse: Staff, physician: Staff, patient: Patient
) -> None:
    record = performed.record
    client = client_of(nurse.user, "en")
    url = f"/patients/{patient.pk}/procedures/{record.pk}/entered-in-error/"
    empty = client.post(url, {"version": "1", "reason": ""})
    assert empty.status_code == 422
    assert "Say why the procedure was entered in error." in empty.content.decode()

    amend_pain(physician, performed)
    stale = client.post(url, {"version": "1", "reason": WHY})
    assert stale.status_code == 422
    assert "version 2 now" in stale.content.decode()
    assert fresh(record).status == ProcedureStatus.PERFORMED

    assert client.post(url, {"version": "2", "reason": WHY}).status_code == 302
    again = client.post(url, {"version": "2", "reason": "Lagi"})
    assert again.status_code == 422
    assert "already marked entered in error" in again.content.decode()
    assert client.get(url).status_code == 405


def test_another_organizations_procedure_is_not_found_on_the_page_or_the_api(
    nurse: Staff, patient: Patient, foreign_patient: Patient, other_facility: Facility
) -> None:
    foreign = foreign_record(foreign_patient, other_facility, nurse.user)
    client = client_of(nurse.user)
    body = {"version": "1", "reason": WHY}
    assert client.post(f"/patients/{patient.pk}/procedures/{foreign.pk}/entered-in-error/", body).status_code == 404
    assert (
        client.post(f"/patients/{foreign_patient.pk}/procedures/{foreign.pk}/entered-in-error/", body).status_code
        == 404
    )
    assert (
        post_json(client, f"/api/procedures/{foreign.pk}/entered-in-error", {"version": 1, "reason": WHY}).status_code
        == 404
    )
    assert fresh(foreign).status == ProcedureStatus.ORDERED


# --- The API ------------------------------------------------------------------------------------


def test_the_api_marks_it_and_names_the_field_of_each_refusal(
    performed: ProcedurePerformance, nurse: Staff, patient: Patient
) -> None:
    record = performed.record
    client = client_of(nurse.user)
    url = f"/api/procedures/{record.pk}/entered-in-error"
    no_reason = post_json(client, url, {"version": 1, "reason": ""})
    assert no_reason.status_code == 422
    assert [f["field"] for f in no_reason.json()["error"]["fields"]] == ["reason"]
    no_version = post_json(client, url, {"reason": WHY})
    assert no_version.status_code == 422
    assert [f["field"] for f in no_version.json()["error"]["fields"]] == ["version"]
    stale = post_json(client, url, {"version": 7, "reason": WHY})
    assert [f["field"] for f in stale.json()["error"]["fields"]] == ["version"]

    done = post_json(client, url, {"version": 1, "reason": WHY})
    assert done.status_code == 200, done.content
    body = done.json()
    assert (body["status"], body["entered_in_error_reason"], body["entered_in_error_by_id"]) == (
        "entered_in_error",
        WHY,
        nurse.user.pk,
    )
    assert [v["version"] for v in body["versions"]] == [1]
    again = post_json(client, url, {"version": 1, "reason": "Lagi"})
    assert again.status_code == 422
    assert [f["field"] for f in again.json()["error"]["fields"]] == ["status"]
    assert client.get(f"/api/patients/{patient.pk}/procedure-markers").json()["items"] == []
    [row] = client.get(f"/api/patients/{patient.pk}/procedures").json()["items"]
    assert row["status"] == "entered_in_error"
    amend = post_json(client, f"/api/procedures/{record.pk}/amend", {"reason": "x", "pain_after": 1})
    assert amend.status_code == 422


# --- The database (PostgreSQL) ------------------------------------------------------------------


def refused(statement: Any) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        statement()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL triggers")
def test_the_database_lets_a_performed_record_be_marked_and_nothing_else(
    order: Order, performed: ProcedurePerformance, nurse: Staff
) -> None:
    rows = ProcedureRecord.objects.filter(pk=performed.record_id)
    mark_it = {
        "status": ProcedureStatus.ENTERED_IN_ERROR,
        "entered_in_error_by": nurse.user,
        "entered_in_error_at": timezone.now(),
        "entered_in_error_reason": WHY,
    }
    # Not from an order, not without who/when/why, not changing anything else on the way.
    waiting = order()
    refused(lambda: ProcedureRecord.objects.filter(pk=waiting.pk).update(**mark_it))
    refused(lambda: rows.update(status=ProcedureStatus.ENTERED_IN_ERROR))
    refused(lambda: rows.update(**mark_it, cancel_reason="Batal"))
    rows.update(**mark_it)
    # Final: not changed again, not back to performed, not deleted; the versions stay written once.
    refused(lambda: rows.update(entered_in_error_reason="Lain"))
    refused(lambda: rows.update(status=ProcedureStatus.PERFORMED))
    refused(lambda: rows.delete())
    refused(lambda: ProcedurePerformance.objects.filter(pk=performed.pk).delete())
    assert rows.get().entered_in_error_reason == WHY
