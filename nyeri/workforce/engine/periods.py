"""Calendar periods: what "valid for N months" means, decided once for the whole platform.

The rule (documented in docs/requirements-engine.md, tested on every awkward day):

- Something valid for N months from day D (a background check, a policy's re-check
  interval) is valid **through the day before the same-numbered day N months later**:
  a check of 6 November valid for one month is valid through 5 December and lapsed on
  6 December. This is how an Indonesian or US office reads "berlaku 1 bulan" / "valid for
  one month" on a certificate: on the anniversary a new one is due.
- When the later month has no such day (31 January + 1 month, 29 February + 12 months),
  the period runs **through the last day of that month** (28 or 29 February): the calendar
  never shortens a period, and a later start never lapses earlier than an earlier one.
- A period is counted in whole local days; the day is the facility's (or installation's)
  local date, never a UTC date.

An expiry date printed on a document (``expires_on``) is different: it is the last valid
day itself ("berlaku sampai dengan 31 Desember 2026"), see ``valid_on`` in evaluate.py.

A *window* of the last N months ending today (hours with pain-clinic patients, training
hours) is the mirror image: it starts after ``months_before(today, N)``; see facts.py.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

ONE_DAY = timedelta(days=1)


def _shift(year: int, month: int, months: int) -> tuple[int, int]:
    y, m0 = divmod(year * 12 + (month - 1) + months, 12)
    return y, m0 + 1


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier, clamped to that month's last day (a window's start)."""
    year, month = _shift(day.year, day.month, -months)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def lapses_on(start: date, months: int) -> date:
    """The first day on which something valid for ``months`` from ``start`` no longer is."""
    if months < 0:
        raise ValueError("a period of a negative number of months")
    year, month = _shift(start.year, start.month, months)
    last = calendar.monthrange(year, month)[1]
    if start.day <= last:
        return date(year, month, start.day)
    # No such day in the later month: valid through its last day.
    return date(year, month, last) + ONE_DAY


def valid_through(start: date, months: int) -> date:
    """The last day on which something valid for ``months`` from ``start`` still is."""
    return lapses_on(start, months) - ONE_DAY


def is_valid_on(start: date, months: int, day: date) -> bool:
    """Whether something dated ``start`` and valid for ``months`` is valid on ``day``."""
    return start <= day < lapses_on(start, months)


def earliest_valid_start(day: date, months: int) -> date:
    """The earliest start date whose ``months``-long validity still covers ``day``.

    The inverse of ``lapses_on`` for whole batches: the engine compares each check's date
    with this one bound instead of computing every check's lapse day. ``lapses_on`` never
    decreases as the start moves later, so the bound is the first start past the boundary,
    found a few days before the same day ``months`` earlier.
    """
    candidate = months_before(day, months) - timedelta(days=4)
    while lapses_on(candidate, months) <= day:
        candidate += ONE_DAY
    return candidate
