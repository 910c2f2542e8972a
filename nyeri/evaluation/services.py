"""The practice evaluation's audit rows: reading it (page, API) and exporting it (CSV).

It names practitioners and is computed from patients' records: who looked at it and who
took a copy away is recorded (without a patient: no single patient is shown).
"""

from __future__ import annotations

from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.evaluation.access import OBJECT_TYPE
from nyeri.evaluation.selectors import EvaluationFilters
from nyeri.lib.reports import record_report_event
from nyeri.tenancy.scope import Scope


def record_evaluation_read(*, scope: Scope, filters: EvaluationFilters, channel: str = "page") -> AuditEvent:
    """A READ row for the report shown on the page (``channel="page"``) or sent by the API (``"api"``)."""
    return record_report_event(
        scope=scope,
        action=AuditAction.READ,
        object_type=OBJECT_TYPE,
        facility=filters.facility,
        reason=f"{channel}; {filters.describe()}",
    )


def record_evaluation_export(*, scope: Scope, filters: EvaluationFilters) -> AuditEvent:
    """An EXPORT row, committed before the file is sent."""
    return record_report_event(
        scope=scope,
        action=AuditAction.EXPORT,
        object_type=OBJECT_TYPE,
        facility=filters.facility,
        reason=f"csv; {filters.describe()}",
    )
