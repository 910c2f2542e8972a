"""The outcomes report's audit rows: reading it (page, API) and exporting it.

The report is aggregate data, but it is computed from patients' records: who looked at which
figures, and who took a copy away, is recorded like any other read or export (without a
patient, since no single patient is shown).
"""

from __future__ import annotations

from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.outcomes.access import OBJECT_TYPE
from nyeri.clinical.outcomes.selectors import OutcomeFilters
from nyeri.lib.reports import record_report_event
from nyeri.tenancy.scope import Scope


def record_report_read(*, scope: Scope, filters: OutcomeFilters, channel: str = "page") -> AuditEvent:
    """A READ row for the report shown on the page (``channel="page"``) or sent by the API (``"api"``)."""
    return record_report_event(
        scope=scope,
        action=AuditAction.READ,
        object_type=OBJECT_TYPE,
        facility=filters.facility,
        reason=f"{channel}; {filters.describe()}",
    )


def record_report_export(*, scope: Scope, filters: OutcomeFilters) -> AuditEvent:
    """An EXPORT row, committed before the file is sent."""
    return record_report_event(
        scope=scope,
        action=AuditAction.EXPORT,
        object_type=OBJECT_TYPE,
        facility=filters.facility,
        reason=f"csv; {filters.describe()}",
    )
