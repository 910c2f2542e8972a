"""On PostgreSQL the database itself holds the procedure records' rules (migration 0002):
what was ordered is never edited, the status only moves forward, nothing is deleted, and what
was performed is written once."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from nyeri.procedures.kinds import ProcedureStatus
from nyeri.procedures.models import ProcedureComplication, ProcedurePerformance, ProcedureRecord
from tests.procedures.conftest import Order

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL triggers")


def refused(statement: object) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        statement()  # type: ignore[operator]


def test_what_was_ordered_is_not_edited_and_nothing_is_deleted(order: Order) -> None:
    record = order()
    refused(lambda: ProcedureRecord.objects.filter(pk=record.pk).update(body_site="neck"))
    refused(lambda: ProcedureRecord.objects.filter(pk=record.pk).delete())
    # Moving along the life of an order is what the services do.
    ProcedureRecord.objects.filter(pk=record.pk).update(
        status=ProcedureStatus.SCHEDULED,
        scheduled_for=timezone.now(),
        scheduled_by=record.ordered_by,
        scheduled_at=timezone.now(),
    )


def test_a_cancelled_or_performed_procedure_does_not_move_again(order: Order, performed: ProcedurePerformance) -> None:
    refused(lambda: ProcedureRecord.objects.filter(pk=performed.record_id).update(status=ProcedureStatus.SCHEDULED))
    record = order()
    ProcedureRecord.objects.filter(pk=record.pk).update(
        status=ProcedureStatus.CANCELLED,
        cancelled_by=record.ordered_by,
        cancelled_at=timezone.now(),
        cancel_reason="Batal",
    )
    refused(lambda: ProcedureRecord.objects.filter(pk=record.pk).update(cancel_reason="Lain"))


def test_what_was_performed_is_written_once(performed: ProcedurePerformance) -> None:
    refused(lambda: ProcedurePerformance.objects.filter(pk=performed.pk).update(pain_after=0))
    refused(lambda: ProcedurePerformance.objects.filter(pk=performed.pk).delete())
    ProcedureComplication.objects.create(organization=performed.organization, performance=performed, kind="vasovagal")
    refused(lambda: ProcedureComplication.objects.filter(performance=performed).update(kind="infection"))
