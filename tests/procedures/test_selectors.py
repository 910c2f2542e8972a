"""Procedure reads: the chart's markers, a patient's list and the worklist in a fixed number of
queries, who may perform at a facility; and the audit trail of every write."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone, translation

from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.models import Patient
from nyeri.facilities.models import Equipment
from nyeri.procedures import selectors, services
from nyeri.procedures.catalogue import procedure
from nyeri.procedures.models import ProcedurePerformance
from nyeri.tenancy.models import Facility
from tests.procedures.conftest import Order, Staff


def perform(
    record: Any, nurse: Staff, physician: Staff, operator: Staff, *, days_ago: int = 0, **fields: Any
) -> ProcedurePerformance:
    # The radiographer at the C-arm is recorded under fluoroscopy only.
    at_c_arm = (fields.get("guidance") or record.guidance) == "fluoroscopy"
    return services.record_performance(
        scope=nurse.scope,
        acting_user=nurse.user,
        record=record,
        performer=physician.person,
        imaging_operator=operator.person if at_c_arm else None,
        performed_at=timezone.now() - timedelta(days=days_ago, minutes=5),
        **fields,
    )


def test_markers_are_the_performed_procedures_oldest_first_in_one_query(
    order: Order,
    nurse: Staff,
    physician: Staff,
    patient: Patient,
    c_arm: Equipment,
    django_assert_num_queries: Any,
    radiographer: Staff,
) -> None:
    older = perform(order(), nurse, physician, radiographer, days_ago=40)
    newer = perform(
        order(procedure_code="medial_branch_block", laterality="right"), nurse, physician, radiographer, days_ago=3
    )
    order(procedure_code="esi_caudal", body_site="sacrum_buttock", laterality="")  # not performed: no marker
    scope = nurse.scope
    with translation.override("en"), django_assert_num_queries(1):
        markers = selectors.procedure_markers(scope, patient)
    assert [(m.id, m.performance_id, m.kind) for m in markers] == [
        (older.record_id, older.pk, "procedure"),
        (newer.record_id, newer.pk, "procedure"),
    ]
    assert markers[1].label == "Medial branch block (lower back (lumbar), right)"
    assert markers[1].at == newer.performed_at
    with translation.override("id"):
        assert selectors.procedure_markers(nurse.scope, patient)[1].label.startswith("Blok cabang medial")
    since = timezone.now() - timedelta(days=10)
    assert [m.id for m in selectors.procedure_markers(nurse.scope, patient, since=since)] == [newer.record_id]


def test_an_amended_time_moves_the_marker(performed: ProcedurePerformance, physician: Staff, patient: Patient) -> None:
    earlier = performed.performed_at - timedelta(hours=2)
    successor = services.amend_performance(
        scope=physician.scope,
        acting_user=physician.user,
        performance=performed,
        reason="Jam tindakan salah",
        performed_at=earlier,
    )
    [marker] = selectors.procedure_markers(physician.scope, patient)
    assert (marker.at, marker.performance_id) == (earlier, successor.pk)


def test_a_patients_procedures_take_a_fixed_number_of_queries(
    order: Order,
    nurse: Staff,
    physician: Staff,
    patient: Patient,
    c_arm: Equipment,
    django_assert_max_num_queries: Any,
    radiographer: Staff,
) -> None:
    for _n in range(4):
        performance = perform(
            order(), nurse, physician, radiographer, pain_before=6, pain_after=2, complications=["vasovagal"]
        )
        services.amend_performance(
            scope=physician.scope, acting_user=physician.user, performance=performance, reason="Koreksi", pain_after=3
        )
    order()
    scope = nurse.scope
    with django_assert_max_num_queries(4):
        records = selectors.patient_procedures(scope, patient)
        rows = [
            (
                r.status,
                r.current and r.current.version,
                [c.kind for c in r.current.complications.all()] if r.current else [],
            )
            for r in records
        ]
    assert len(rows) == 5
    assert rows[0] == ("ordered", None, [])
    assert rows[1] == ("performed", 2, ["vasovagal"])


def test_the_worklist_takes_a_fixed_number_of_queries(
    order: Order,
    nurse: Staff,
    physician: Staff,
    facility: Facility,
    c_arm: Equipment,
    django_assert_max_num_queries: Any,
    radiographer: Staff,
) -> None:
    for _n in range(3):
        perform(order(), nurse, physician, radiographer)
        services.schedule_procedure(
            scope=nurse.scope, acting_user=nurse.user, record=order(), scheduled_for=timezone.now() + timedelta(days=2)
        )
    order()
    scope = nurse.scope
    with django_assert_max_num_queries(10):
        work = selectors.facility_worklist(scope, facility)
    assert len(work.open) == 4
    assert work.open[-1].scheduled_for is None  # orders without a time come after the scheduled ones
    assert len(work.performed) == 3


def test_candidates_say_who_may_perform_and_who_may_sedate(
    nurse: Staff, physician: Staff, gp: Staff, anesthesiologist: Staff, facility: Facility
) -> None:
    proc = procedure("esi_interlaminar")
    assert proc is not None
    found = selectors.candidates(nurse.scope, facility, proc)
    assert [o.person.full_name for o in found.performers()] == ["Dr Andi", "Dr Bambang"]
    assert [o.person.full_name for o in found.anesthesiologists("sedation")] == ["Dr Bambang"]
    refused = next(o for o in found.options if o.person == gp.person)
    assert [r.code for r in refused.perform_reasons] == ["performer.role_missing", "performer.one_of"]


def test_every_write_leaves_an_audit_row_with_the_patient(
    order: Order, nurse: Staff, physician: Staff, gp: Staff, patient: Patient, c_arm: Equipment, radiographer: Staff
) -> None:
    record = order()
    services.schedule_procedure(
        scope=nurse.scope, acting_user=nurse.user, record=record, scheduled_for=timezone.now() + timedelta(hours=3)
    )
    try:
        perform(record, nurse, gp, radiographer)
    except PermissionError:  # pragma: no cover - ProcedureRefused is a PermissionDenied
        raise
    except Exception:  # noqa: S110 - the refusal is what is audited here
        pass
    performance = perform(record, nurse, physician, radiographer, pain_before=5, pain_after=1)
    services.amend_performance(
        scope=nurse.scope, acting_user=nurse.user, performance=performance, reason="Koreksi", pain_after=2
    )
    cancelled = order()
    services.cancel_procedure(scope=nurse.scope, acting_user=nurse.user, record=cancelled, reason="Batal")
    events = AuditEvent.objects.filter(object_type__in=["procedure", "procedure_performance"]).order_by("pk")
    assert [e.action for e in events] == [
        AuditAction.CREATE,
        AuditAction.UPDATE,
        AuditAction.PERMISSION_DENIED,
        AuditAction.CREATE,
        AuditAction.AMEND,
        AuditAction.CREATE,
        AuditAction.CANCEL,
    ]
    assert {e.patient_id for e in events} == {patient.pk}
    # The orders are the physician's (the engine allows them order_procedure), the rest the nurse's.
    assert [e.actor for e in events] == [
        physician.user,
        nurse.user,
        nurse.user,
        nurse.user,
        nurse.user,
        physician.user,
        nurse.user,
    ]
