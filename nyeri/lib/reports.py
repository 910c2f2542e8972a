"""The audit row of a report read or exported (aggregate reports: no patient named)."""

from __future__ import annotations

from django.db import transaction

from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.audit.services import record_event
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope


def record_report_event(
    *, scope: Scope, action: AuditAction, object_type: str, facility: Facility | None, reason: str
) -> AuditEvent:
    """A READ (page, API) or EXPORT row for a report, committed at once (before a file is sent)."""
    with transaction.atomic():
        return record_event(
            actor=scope.user,
            action=action,
            organization=scope.organization,
            facility=facility,
            object_type=object_type,
            reason=reason,
        )
