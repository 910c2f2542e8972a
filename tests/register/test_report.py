"""The monthly report: the national report's columns, that reconcile; a mismatch is flagged; exports audited."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.prescriptions.models import PrescriptionItem
from nyeri.register import selectors, services
from nyeri.register.report import ReportLine, check_report, monthly_report
from nyeri.tenancy.models import Facility
from tests.register.conftest import receive, scope_of

pytestmark = pytest.mark.django_db


def at(year: int, month: int, day: int) -> datetime:
    return timezone.make_aware(datetime(year, month, day, 9, 0), timezone.get_current_timezone())


def line(facility: Facility, year: int, month: int, code: str = "morphine-10mg-tab") -> ReportLine:
    return next(x for x in monthly_report(facility, year, month).lines if x.medication_code == code)


def test_the_report_has_each_column_and_reconciles_month_after_month(
    pharmacist: User, facility: Facility, morphine_item: PrescriptionItem, witnesses: tuple[User, User]
) -> None:
    scope = scope_of(pharmacist)
    receive(pharmacist, facility, quantity=100, occurred_at=at(2026, 3, 2))
    services.record_destruction(
        scope=scope,
        acting_user=pharmacist,
        facility=facility,
        medication="morphine-10mg-tab",
        quantity=10,
        witness_1=witnesses[0],
        witness_2=witnesses[1],
        reason="Rusak",
        occurred_at=at(2026, 3, 20),
    )
    receive(
        pharmacist,
        facility,
        quantity=50,
        occurred_at=at(2026, 4, 1),
        expiry_date=timezone.localdate() + timedelta(days=400),
    )
    services.record_return_from_patient(
        scope=scope,
        acting_user=pharmacist,
        facility=facility,
        medication="morphine-10mg-tab",
        quantity=4,
        reason="Sisa",
        occurred_at=at(2026, 4, 5),
    )
    services.record_return_to_supplier(
        scope=scope,
        acting_user=pharmacist,
        facility=facility,
        medication="morphine-10mg-tab",
        quantity=20,
        supplier="PBF",
        reason="Recall",
        occurred_at=at(2026, 4, 6),
    )
    services.record_stock_take(
        scope=scope,
        acting_user=pharmacist,
        facility=facility,
        medication="morphine-10mg-tab",
        counted_quantity=121,
        reason="Selisih",
        occurred_at=at(2026, 4, 30),
    )
    march, april = line(facility, 2026, 3), line(facility, 2026, 4)
    assert march.values() == [0, 100, 0, 0, 0, 10, 0, 90]
    assert april.values() == [90, 50, 4, 0, 20, 0, -3, 121]
    for year, month in ((2026, 3), (2026, 4), (2026, 5)):
        assert check_report(monthly_report(facility, year, month)) == []


def test_a_reversal_counts_negated_in_the_column_of_what_it_reverses(
    pharmacist: User, facility: Facility, morphine_item: PrescriptionItem
) -> None:
    scope = scope_of(pharmacist)
    receive(pharmacist, facility, quantity=40)
    wrong = services.dispense(scope=scope, acting_user=pharmacist, facility=facility, item=morphine_item, quantity=10)
    services.dispense(scope=scope, acting_user=pharmacist, facility=facility, item=morphine_item, quantity=6)
    services.reverse_movement(scope=scope, acting_user=pharmacist, movement=wrong, reason="Salah jumlah")
    today = timezone.localdate()
    now = line(facility, today.year, today.month)
    assert (now.received, now.dispensed, now.closing) == (40, 6, 34)
    assert check_report(monthly_report(facility, today.year, today.month)) == []


def test_the_check_flags_a_line_that_does_not_reconcile(pharmacist: User, facility: Facility) -> None:
    receive(pharmacist, facility, quantity=30)
    today = timezone.localdate()
    report = monthly_report(facility, today.year, today.month)
    report.lines[0].dispensed += 1  # as a report tampered with, or computed wrongly, would be
    problems = check_report(report)
    assert [p.medication_code for p in problems] == ["morphine-10mg-tab"]
    assert "opening + in - out = 29" in problems[0].problem


def test_the_exports_are_csv_and_pdf_and_are_audited(pharmacist: User, facility: Facility) -> None:
    receive(pharmacist, facility, quantity=30)
    today = timezone.localdate()
    common = {"scope": scope_of(pharmacist), "acting_user": pharmacist, "facility": facility}
    csv = selectors.export_report(**common, year=today.year, month=today.month, kind="csv").decode("utf-8-sig")
    header, row = csv.splitlines()[:2]
    assert header.endswith(
        "Opening stock,Received,Returned by patients,Dispensed,"
        "Returned to suppliers,Destroyed,Adjusted (stock-take),Closing stock"
    )
    assert row.endswith("0,30,0,0,0,0,0,30")
    pdf = selectors.export_report(**common, year=today.year, month=today.month, kind="pdf")
    assert pdf.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="register_report").count() == 2


def test_someone_without_a_register_role_cannot_read_the_report(physician: User, facility: Facility) -> None:
    from django.core.exceptions import PermissionDenied

    today = timezone.localdate()
    with pytest.raises(PermissionDenied):
        selectors.report_for(scope_of(physician), facility, today.year, today.month)
    assert AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED, object_type="register").exists()
