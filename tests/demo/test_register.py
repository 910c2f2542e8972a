"""The demo register, on top of the demo network: receipts, dispensings, a destruction; every report reconciles."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.verify import verify_chain
from nyeri.demo.data import DEMO_PASSWORD
from nyeri.demo.register import _month_start
from nyeri.prescriptions.models import PrescriptionItem, PrescriptionStatus
from nyeri.register.models import Movement, MovementKind, StockBalance
from nyeri.register.report import check_report, monthly_report
from nyeri.tenancy.models import Facility, Organization
from tests.conftest import log_in

pytestmark = pytest.mark.django_db


def test_the_demo_register_reconciles_every_month_at_every_facility() -> None:
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
    # The Cimahi clinic keeps its own register: its pharmacist (a demo login) received the products and
    # dispensed every signed controlled prescription item written at the clinic.
    cimahi = facilities["klinik-cimahi"]
    pharmacist = User.objects.get(username="apoteker.cimahi")
    assert pharmacist.has_usable_password()
    clinic = Movement.objects.filter(facility=cimahi)
    assert clinic.filter(kind=MovementKind.RECEIPT).count() >= 2
    assert set(clinic.values_list("recorded_by", flat=True)) == {pharmacist.pk}
    signed = set(
        PrescriptionItem.objects.filter(prescription__facility=cimahi, prescription__status=PrescriptionStatus.SIGNED)
        .exclude(controlled_class="")
        .values_list("pk", flat=True)
    )
    assert signed
    dispensed = clinic.filter(kind=MovementKind.DISPENSING)
    assert set(dispensed.values_list("prescription_item", flat=True)) == signed
    assert all(m.prescription is not None and m.prescription.facility_id == cimahi.pk for m in dispensed)

    today = timezone.localdate()
    kept = [f for f in facilities.values() if Movement.objects.filter(facility=f).exists()]
    assert {f.code for f in kept} >= {"rsud-bandung", "klinik-cimahi"}
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
    # The clinic's pharmacist logs in and reads the clinic's reconciled report.
    client = log_in(Client(), pharmacist, DEMO_PASSWORD)
    page = client.get(f"/register/{cimahi.pk}/report/", {"year": today.year, "month": today.month})
    assert page.status_code == 200
    assert verify_chain().ok
