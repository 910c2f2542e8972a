"""Procedure times typed at a Jayapura (WIT) clinic are read on its clock (issue 18)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.test import Client

from nyeri.facilities.models import Equipment
from nyeri.procedures.models import ProcedurePerformance, ProcedureRecord
from nyeri.tenancy.clock import local_date
from nyeri.tenancy.models import Facility
from tests.procedures.conftest import Order, Staff, client_of

WIT = ZoneInfo("Asia/Jayapura")


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, content_type="application/json")


def test_a_procedure_scheduled_and_performed_without_an_offset_is_read_at_the_jayapura_clinic(
    order: Order, nurse: Staff, physician: Staff, radiographer: Staff, c_arm: Equipment, facility: Facility
) -> None:
    Facility.objects.filter(pk=facility.pk).update(time_zone="Asia/Jayapura")
    record = order()
    client = client_of(nurse.user)
    tomorrow = local_date(Facility.objects.get(pk=facility.pk)) + timedelta(days=1)
    typed = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 9, 0)
    scheduled = post(client, f"/api/procedures/{record.pk}/schedule", {"scheduled_for": typed.isoformat()})
    assert scheduled.status_code == 200, scheduled.content
    assert ProcedureRecord.objects.get(pk=record.pk).scheduled_for == typed.replace(hour=0, tzinfo=UTC)
    # Performed a minute ago on the Jayapura clock, typed without an offset.
    done = datetime.now(WIT).replace(second=0, microsecond=0) - timedelta(minutes=1)
    performed = post(
        client,
        f"/api/procedures/{record.pk}/perform",
        {
            "performer_id": physician.person.pk,
            "imaging_operator_id": radiographer.person.pk,
            "performed_at": done.replace(tzinfo=None).isoformat(),
        },
    )
    assert performed.status_code == 201, performed.content
    assert ProcedurePerformance.objects.get(record=record).performed_at == done
