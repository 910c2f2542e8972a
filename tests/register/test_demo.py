"""The demo register, on top of the demo network: receipts, dispensings, a destruction; every report reconciles."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from nyeri.audit.verify import verify_chain
from nyeri.demo.register import _month_start
from nyeri.register.models import Movement, MovementKind, StockBalance
from nyeri.register.report import check_report, monthly_report
from nyeri.tenancy.models import Facility, Organization

pytestmark = pytest.mark.django_db


def test_the_demo_register_reconciles_every_month_at_every_facility() -> None:
    call_command("seed_demo", "--quiet-accounts", stdout=StringIO())
    org = Organization.objects.get()
    facilities = {f.code: f for f in Facility.objects.filter(organization=org)}
    # seed_demo wrote the register (nyeri/demo/register.py); the hospital's is the full one.
    kinds = list(Movement.objects.filter(facility=facilities["rsud-bandung"]).values_list("kind", flat=True))
    assert kinds.count(MovementKind.RECEIPT) >= 2
    assert kinds.count(MovementKind.DESTRUCTION) >= 1
    assert kinds.count(MovementKind.DISPENSING) >= 3
    destruction = Movement.objects.filter(kind=MovementKind.DESTRUCTION).first()
    assert destruction is not None
    assert len({destruction.witness_1_id, destruction.witness_2_id, destruction.recorded_by_id}) == 3

    today = timezone.localdate()
    kept = [f for f in facilities.values() if Movement.objects.filter(facility=f).exists()]
    assert kept
    for facility in kept:
        for back in (2, 1, 0):
            start = _month_start(today, back)
            report = monthly_report(facility, start.year, start.month)
            assert report.lines
            assert check_report(report) == []
        current = monthly_report(facility, today.year, today.month)
        assert {x.medication_code: x.closing for x in current.lines} == dict(
            StockBalance.objects.filter(facility=facility).values_list("medication_code", "quantity")
        )
    assert verify_chain().ok
