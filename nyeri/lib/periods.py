"""Reports' periods: calendar months, quarters and years, chosen from a list (the outcomes
report: all three; the practice evaluation: whole years, docs/oppe.md).

Two reports of periods that differ by a few days (1 January-31 March and 1 January-30
March) would give the patients of the days between by subtraction, however each report
hides its own small numbers ("disclosure by differencing", docs/outcomes.md). So the
report offers only fixed periods aligned to the calendar, in the local time of the
facility where each baseline was recorded: a month ("2025-03"), a quarter ("2025-Q1") or
a year ("2025"). Two of them either do not overlap or one holds the other; the nested
ones (a year, its quarters and its months) are protected as one table (the outcomes
report's ``suppress_in_periods``), whose sums (year = its quarters, quarter = its months)
are declared like the other sums of the report. The practice evaluation offers whole years
only (``ended_years``): they never overlap, and a year that has ended no longer grows day
by day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import formats
from django.utils.translation import gettext as _

MONTH, QUARTER, YEAR = "month", "quarter", "year"
# The years the page lists, counting back from the current one (the API takes any year).
LISTED_YEARS = 5
_KEY = re.compile(r"^(?P<year>\d{4})(?:-(?:Q(?P<quarter>[1-4])|(?P<month>0[1-9]|1[0-2])))?$")


@dataclass(frozen=True, order=True)
class Period:
    """One calendar period: its first and last day (both included) and its key ("2025-Q1")."""

    first: date
    last: date
    kind: str

    @property
    def key(self) -> str:
        if self.kind == YEAR:
            return f"{self.first.year}"
        if self.kind == QUARTER:
            return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"
        return f"{self.first.year}-{self.first.month:02d}"

    @property
    def label(self) -> str:
        """ "2025", "Q1 2025 (January-March)", "March 2025", in the user's language."""
        if self.kind == YEAR:
            return self.key
        if self.kind == QUARTER:
            return _("Q%(quarter)s %(year)s (%(first)s-%(last)s)") % {
                "quarter": (self.first.month - 1) // 3 + 1,
                "year": self.first.year,
                "first": formats.date_format(self.first, "F"),
                "last": formats.date_format(self.last, "F"),
            }
        return formats.date_format(self.first, "YEAR_MONTH_FORMAT")

    def year(self) -> Period:
        """The year that holds this period (itself for a year)."""
        return year_period(self.first.year)

    def parts(self) -> tuple[Period, ...]:
        """The periods this one is the sum of: a year's quarters, a quarter's months; none for a month."""
        if self.kind == YEAR:
            return tuple(quarter_period(self.first.year, q) for q in range(1, 5))
        if self.kind == QUARTER:
            return tuple(month_period(self.first.year, self.first.month + n) for n in range(3))
        return ()

    def family(self) -> tuple[Period, ...]:
        """The year of this period with all its quarters and months: the periods one table protects."""
        year = self.year()
        quarters = year.parts()
        return (year, *quarters, *(month for quarter in quarters for month in quarter.parts()))


def month_period(year: int, month: int) -> Period:
    first = date(year, month, 1)
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return Period(first, following - timedelta(days=1), MONTH)


def quarter_period(year: int, quarter: int) -> Period:
    first_month = 3 * (quarter - 1) + 1
    return Period(date(year, first_month, 1), month_period(year, first_month + 2).last, QUARTER)


def year_period(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31), YEAR)


def parse_period(key: str) -> Period | None:
    """The period of ``key`` ("2025", "2025-Q1", "2025-03"), or None for anything else."""
    found = _KEY.match(key.strip())
    if found is None or int(found["year"]) < 1:
        return None
    year = int(found["year"])
    if found["quarter"]:
        return quarter_period(year, int(found["quarter"]))
    if found["month"]:
        return month_period(year, int(found["month"]))
    return year_period(year)


def period_of_dates(first: date, last: date) -> Period | None:
    """The calendar period that runs exactly from ``first`` to ``last``, if there is one."""
    for period in year_period(first.year).family():
        if (period.first, period.last) == (first, last):
            return period
    return None


def listed_periods(today: date) -> list[Period]:
    """The periods the page offers, newest first: each year of the last ``LISTED_YEARS``, then
    its quarters and months that have begun by ``today``."""
    periods: list[Period] = []
    for year in range(today.year, today.year - LISTED_YEARS, -1):
        periods += sorted((p for p in year_period(year).family() if p.first <= today), key=_listed_order)
    return periods


def _listed_order(period: Period) -> tuple[int, int]:
    return {YEAR: 0, QUARTER: 1, MONTH: 2}[period.kind], -period.first.toordinal()


def last_ended_year(today: date) -> Period:
    """The latest calendar year that has ended by ``today`` (on 31 December, still the year before:
    a year ends after its last day)."""
    return year_period(today.year - 1)


def ended_years(today: date, count: int = LISTED_YEARS) -> list[Period]:
    """The ``count`` latest calendar years that have ended by ``today``, newest first."""
    return [year_period(today.year - n) for n in range(1, count + 1)]


def is_ended_year(period: Period, today: date) -> bool:
    """Whether ``period`` is a whole calendar year whose last day is before ``today``."""
    return period.kind == YEAR and period.last < today
