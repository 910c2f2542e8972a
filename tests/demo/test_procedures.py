"""The demo procedures: a realistic mix, written through the services, on top of the demo network."""

from __future__ import annotations

import pytest

from nyeri.audit.verify import verify_chain
from nyeri.procedures.catalogue.loader import procedure
from nyeri.procedures.kinds import PerformanceKind, ProcedureStatus
from nyeri.procedures.models import ProcedurePerformance, ProcedureRecord

pytestmark = pytest.mark.django_db


def test_the_demo_procedures_mix_performed_scheduled_waiting_and_cancelled() -> None:
    records = list(ProcedureRecord.objects.select_related("facility"))
    statuses = [r.status for r in records]
    assert statuses.count(ProcedureStatus.PERFORMED) >= 15
    assert statuses.count(ProcedureStatus.SCHEDULED) >= 3
    assert statuses.count(ProcedureStatus.CANCELLED) >= 1
    assert ProcedurePerformance.objects.filter(kind=PerformanceKind.AMENDMENT).exists()
    # The clinics have no C-arm: their fluoroscopy-only procedures wait, ordered, and are referred to
    # the hospital; the referral done closes them as performed elsewhere (the imaging demo).
    waiting_at_clinics = [
        r
        for r in records
        if r.status in (ProcedureStatus.ORDERED, ProcedureStatus.ELSEWHERE) and r.facility.code != "rsud-bandung"
    ]
    assert any(tuple(procedure(r.procedure_code).guidance) == ("fluoroscopy",) for r in waiting_at_clinics)  # type: ignore[union-attr]

    performed = ProcedurePerformance.objects.select_related("record__facility")
    at_hospital = [p for p in performed if p.record.facility.code == "rsud-bandung"]
    at_clinics = [p for p in performed if p.record.facility.code != "rsud-bandung"]
    assert any(p.guidance == "fluoroscopy" for p in at_hospital)
    assert any(p.anesthesia == "sedation" and p.anesthesiologist_id for p in performed)
    # Each sedation case names the nurse who watched the patient (the engine allowed her
    # ``monitor_sedation`` there), never the performer.
    sedated = [p for p in performed if p.anesthesia in ("sedation", "general")]
    assert sedated
    assert all(p.monitoring_nurse_id and p.monitoring_nurse_id != p.performer_id for p in sedated)
    assert all(f"monitor_sedation allowed for person {p.monitoring_nurse_id}" in p.decision for p in sedated)
    assert at_clinics
    assert {p.guidance for p in at_clinics} <= {"ultrasound", "none"}
    assert any(p.guidance == "ultrasound" for p in at_clinics)
    assert verify_chain().ok
