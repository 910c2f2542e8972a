"""The monthly register report of a facility: the columns of the national narcotics and
psychotropics report (SIPNAP, Permenkes 3/2015), one line per product, that reconciles.

Per product: opening stock (every movement before the month), received (receipts), returned
by patients, dispensed, returned to suppliers, destroyed, adjusted (stock-takes, signed) and
closing stock (every movement up to the month's end). A reversal counts, negated, in the
column of the movement it reverses. ``check_report`` recomputes each line and compares it
with the register's running balance (``balance_after``) and, for the current month, with the
stock now: any difference is a mismatch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from nyeri.register.models import Movement, MovementKind, StockBalance
from nyeri.tenancy.clock import day_bounds
from nyeri.tenancy.models import Facility

COLUMNS: tuple[str, ...] = (
    "opening",
    "received",
    "returned_in",
    "dispensed",
    "returned_out",
    "destroyed",
    "adjusted",
    "closing",
)
# Movement kind -> (column, sign of the movement's delta in that column).
COLUMN_OF: dict[str, tuple[str, int]] = {
    MovementKind.RECEIPT: ("received", 1),
    MovementKind.RETURN_FROM_PATIENT: ("returned_in", 1),
    MovementKind.DISPENSING: ("dispensed", -1),
    MovementKind.RETURN_TO_SUPPLIER: ("returned_out", -1),
    MovementKind.DESTRUCTION: ("destroyed", -1),
    MovementKind.ADJUSTMENT: ("adjusted", 1),
}


def column_titles() -> dict[str, str]:
    return {
        "opening": _("Opening stock"),
        "received": _("Received"),
        "returned_in": _("Returned by patients"),
        "dispensed": _("Dispensed"),
        "returned_out": _("Returned to suppliers"),
        "destroyed": _("Destroyed"),
        "adjusted": _("Adjusted (stock-take)"),
        "closing": _("Closing stock"),
    }


@dataclass
class ReportLine:
    balance_id: int
    medication_code: str
    label_en: str
    label_id: str
    controlled_class: str
    dose_unit: str
    opening: int = 0
    received: int = 0
    returned_in: int = 0
    dispensed: int = 0
    returned_out: int = 0
    destroyed: int = 0
    adjusted: int = 0
    closing: int = 0
    # The register's running balance after the last movement up to the month's end.
    ledger_closing: int = 0

    def label(self, language: str) -> str:
        return self.label_id if language == "id" else self.label_en

    @property
    def computed_closing(self) -> int:
        return (
            self.opening
            + self.received
            + self.returned_in
            - self.dispensed
            - self.returned_out
            - self.destroyed
            + self.adjusted
        )

    def values(self) -> list[int]:
        return [getattr(self, c) for c in COLUMNS]


@dataclass
class MonthlyReport:
    facility: Facility
    year: int
    month: int
    starts: datetime
    ends: datetime
    lines: list[ReportLine] = field(default_factory=list)
    # The month includes today: the closing stock is also the stock now.
    is_current: bool = False
    stock_now: dict[int, int] = field(default_factory=dict)

    @property
    def period(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def lines_by_name(self, language: str) -> list[ReportLine]:
        """The lines by the product name a reader sees in ``language`` (the page and the exports)."""
        return sorted(self.lines, key=lambda x: (x.label(language).casefold(), x.medication_code))


def month_bounds(facility: Facility, year: int, month: int) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's, at the facility (its local days)."""
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return day_bounds(facility, date(year, month, 1))[0], day_bounds(facility, following)[0]


def monthly_report(facility: Facility, year: int, month: int) -> MonthlyReport:
    """The report of ``facility`` for the month (4 queries whatever the number of movements)."""
    starts, ends = month_bounds(facility, year, month)
    balances = {b.pk: b for b in StockBalance.objects.filter(facility=facility)}
    lines: dict[int, ReportLine] = {}

    def line(balance_id: int) -> ReportLine:
        if balance_id not in lines:
            b = balances[balance_id]
            lines[balance_id] = ReportLine(
                b.pk, b.medication_code, b.label_en, b.label_id, b.controlled_class, b.dose_unit
            )
        return lines[balance_id]

    before = Movement.objects.filter(facility=facility, occurred_at__lt=starts)
    for row in before.values("balance_id").annotate(total=Sum("delta")):
        line(row["balance_id"]).opening = row["total"] or 0
    within = Movement.objects.filter(facility=facility, occurred_at__gte=starts, occurred_at__lt=ends)
    grouped = within.values("balance_id", "kind", original=F("reverses__kind")).annotate(total=Sum("delta"))
    for row in grouped:
        kind = row["original"] if row["kind"] == MovementKind.REVERSAL else row["kind"]
        column, sign = COLUMN_OF[kind]
        target = line(row["balance_id"])
        setattr(target, column, getattr(target, column) + sign * (row["total"] or 0))
    for target in lines.values():
        target.closing = target.opening + sum(r["total"] or 0 for r in grouped if r["balance_id"] == target.balance_id)
    # The running balance after each product's last movement up to the month's end.
    last: dict[int, int] = {}
    up_to = (
        Movement.objects.filter(facility=facility, occurred_at__lt=ends)
        .order_by("balance_id", "-occurred_at", "-pk")
        .values_list("balance_id", "balance_after")
    )
    for balance_id, after in up_to:
        last.setdefault(balance_id, after)
    for balance_id, after in last.items():
        line(balance_id).ledger_closing = after
    now = timezone.now()
    report = MonthlyReport(
        facility=facility,
        year=year,
        month=month,
        starts=starts,
        ends=ends,
        lines=sorted(lines.values(), key=lambda x: (x.label_en, x.medication_code)),
        is_current=starts <= now < ends,
        stock_now={pk: b.quantity for pk, b in balances.items()},
    )
    return report


@dataclass(frozen=True)
class Mismatch:
    medication_code: str
    problem: str


def check_report(report: MonthlyReport) -> list[Mismatch]:
    """Every line that does not reconcile: opening + in - out must equal the closing stock, the
    register's running balance, and (for the current month) the stock now. Empty: it reconciles."""
    found: list[Mismatch] = []
    for line in report.lines:
        if line.computed_closing != line.closing:
            found.append(
                Mismatch(line.medication_code, f"opening + in - out = {line.computed_closing}, closing {line.closing}")
            )
        if line.ledger_closing != line.closing:
            found.append(
                Mismatch(line.medication_code, f"running balance {line.ledger_closing}, closing {line.closing}")
            )
        if report.is_current and report.stock_now.get(line.balance_id, 0) != line.closing:
            found.append(
                Mismatch(
                    line.medication_code,
                    f"stock now {report.stock_now.get(line.balance_id, 0)}, closing {line.closing}",
                )
            )
    return found
