"""The practice evaluation's audit rows: reading it (page, API) and exporting it (CSV).

It names practitioners and is computed from patients' records: who looked at it and who
took a copy away is recorded (without a patient: no single patient is shown).
"""

from __future__ import annotations

from django.db import transaction

from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.audit.services import record_event
from nyeri.evaluation.access import OBJECT_TYPE
from nyeri.evaluation.selectors import EvaluationFilters
from nyeri.tenancy.scope import Scope


def record_evaluation_read(*, scope: Scope, filters: EvaluationFilters, channel: str = "page") -> AuditEvent:
    """A READ row for the evaluation shown on the page (``channel="page"``) or sent by the API (``"api"``)."""
    with transaction.atomic():
        return record_event(
            actor=scope.user,
            action=AuditAction.READ,
            organization=scope.organization,
            facility=filters.facility,
            object_type=OBJECT_TYPE,
            reason=f"{channel}; {filters.describe()}",
        )


def record_evaluation_export(*, scope: Scope, filters: EvaluationFilters) -> AuditEvent:
    """An EXPORT row, committed before the file is sent."""
    with transaction.atomic():
        return record_event(
            actor=scope.user,
            action=AuditAction.EXPORT,
            organization=scope.organization,
            facility=filters.facility,
            object_type=OBJECT_TYPE,
            reason=f"csv; {filters.describe()}",
        )
