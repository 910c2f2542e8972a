"""Relief measured: change from baseline and responder status (IMMPACT, Dworkin et al. 2008).

A reduction of pain intensity from baseline of at least 30 % is moderately important
(clinically meaningful), at least 50 % substantial (shared/reference/instruments.md). Both
are reported, per patient (the chart) and as a share of patients (the outcomes report).

Definitions, kept here and nowhere else so the chart and the report always agree:

* a *measure* is one score of one instrument on a 0-10 intensity scale (NRS, PEG, BPI
  severity); the outcomes report uses the numeric rating scale;
* the *baseline* is the patient's first current value of the measure;
* the value *at N months* is the mean of the values recorded within ``WINDOW_DAYS`` days
  either side of baseline + N x 30 days (a diary makes single values noisy; a window also
  tolerates a visit a week late); no value in the window means *not assessed*, never 0 %;
* the *reduction* is (baseline - value) / baseline; a baseline of 0 has nothing to reduce,
  so no reduction is computed for it;
* the chart's *relief now* compares the baseline with the **mean of the last
  ``RECENT_DAYS`` days of values**: the values recorded on the 7 local days (each on the
  calendar of the facility that recorded it) ending on the day of the latest value, the
  baseline itself left out. One diary entry is one value among a week's, so it does not
  flip the status on its own (``relief``). The outcomes report does not use this rule: it
  asks about fixed points after baseline (``follow_up``), with the same reduction and levels.

Only current versions enter (amended and entered-in-error rows are left out by the
selectors that feed these functions).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

MODERATE = Decimal("0.30")
SUBSTANTIAL = Decimal("0.50")
WINDOW_DAYS = 14
DAYS_PER_MONTH = 30
# The follow-up points of the outcomes report, in months from baseline.
FOLLOW_UP_MONTHS = (3, 6)
# The chart's relief now: the mean of the values of this many local days, up to the latest value.
RECENT_DAYS = 7


@dataclass(frozen=True)
class Measure:
    instrument_code: str
    score_code: str


NRS = Measure("nrs", "total")
PEG = Measure("peg", "total")
BPI_SEVERITY = Measure("bpi_sf", "severity")
# The measures whose change the chart shows, in this order.
CHART_MEASURES = (NRS, PEG, BPI_SEVERITY)
# The measure of the outcomes report: pain intensity, the IMMPACT core outcome.
REPORT_MEASURE = NRS


class ResponderLevel(enum.IntEnum):
    NONE = 0
    MODERATE = 30
    SUBSTANTIAL = 50

    @property
    def label(self) -> str:
        return str(_LABELS[self])


_LABELS = {
    ResponderLevel.NONE: _("Less than 30 % reduction"),
    ResponderLevel.MODERATE: _("At least 30 % reduction"),
    ResponderLevel.SUBSTANTIAL: _("At least 50 % reduction"),
}


@dataclass(frozen=True)
class Point:
    at: datetime
    value: Decimal


def reduction(baseline: Decimal, value: Decimal) -> Decimal | None:
    """The relative reduction from ``baseline`` to ``value`` (0.25 = 25 % less pain).

    Negative when pain got worse; None when the baseline is 0 (nothing to reduce).
    """
    if baseline <= 0:
        return None
    return ((baseline - value) / baseline).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def whole_percent(relative: Decimal | None) -> Decimal | None:
    """A reduction in whole per cent, half up (0.475 -> 48); None stays None."""
    if relative is None:
        return None
    return (relative * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP)


def responder_level(relative: Decimal | None) -> ResponderLevel | None:
    if relative is None:
        return None
    if relative >= SUBSTANTIAL:
        return ResponderLevel.SUBSTANTIAL
    if relative >= MODERATE:
        return ResponderLevel.MODERATE
    return ResponderLevel.NONE


@dataclass(frozen=True)
class Change:
    """Baseline against a later value of one measure."""

    baseline: Point
    latest: Point
    reduction: Decimal | None
    level: ResponderLevel | None

    @property
    def percent(self) -> Decimal | None:
        return whole_percent(self.reduction)


def change_from_baseline(points: Sequence[Point]) -> Change | None:
    """Baseline (the first point) against the latest; None with fewer than two points.

    ``points`` must be in time order.
    """
    if len(points) < 2:
        return None
    first, last = points[0], points[-1]
    relative = reduction(first.value, last.value)
    return Change(first, last, relative, responder_level(relative))


@dataclass(frozen=True)
class DayValue:
    """A value with the local calendar day it was recorded on (at the facility that recorded it)."""

    day: date
    value: Decimal


@dataclass(frozen=True)
class RecentMean:
    """The mean of the values of the local days ``first_day`` to ``last_day`` (both included)."""

    first_day: date
    last_day: date  # the day of the latest value
    count: int
    mean: Decimal


def recent_mean(values: Sequence[DayValue], *, days: int = RECENT_DAYS) -> RecentMean | None:
    """The mean of the values on the ``days`` local days ending on the day of the latest value; None without values.

    The span ends on the latest value's day, not today: a patient who stopped the diary a
    month ago keeps a status (that of their last week of values), which the chart dates.
    """
    if not values:
        return None
    last = max(v.day for v in values)
    first = last - timedelta(days=days - 1)
    chosen = [v.value for v in values if first <= v.day <= last]
    return RecentMean(first, last, len(chosen), sum(chosen, Decimal(0)) / len(chosen))


@dataclass(frozen=True)
class Relief:
    """The baseline against the mean of the last ``RECENT_DAYS`` days of later values."""

    baseline: Decimal
    recent: RecentMean
    reduction: Decimal | None  # None: a baseline of 0
    level: ResponderLevel | None

    @property
    def percent(self) -> Decimal | None:
        return whole_percent(self.reduction)


def relief(baseline: Decimal, later: Sequence[DayValue], *, days: int = RECENT_DAYS) -> Relief | None:
    """``baseline`` against the mean of the last ``days`` days of ``later`` (the values after it); None without any."""
    recent = recent_mean(later, days=days)
    if recent is None:
        return None
    relative = reduction(baseline, recent.mean)
    return Relief(baseline, recent, relative, responder_level(relative))


def mean_in_window(points: Sequence[Point], centre: datetime, *, days: int = WINDOW_DAYS) -> Decimal | None:
    """The mean of the values within ``days`` either side of ``centre`` (inclusive); None if none."""
    low, high = centre - timedelta(days=days), centre + timedelta(days=days)
    values = [p.value for p in points if low <= p.at <= high]
    if not values:
        return None
    return sum(values, Decimal(0)) / len(values)


@dataclass(frozen=True)
class FollowUp:
    months: int
    value: Decimal | None  # None: not assessed in the window
    reduction: Decimal | None
    level: ResponderLevel | None


def follow_up(points: Sequence[Point], months: int) -> FollowUp | None:
    """The change from baseline at ``months`` after it; None without any point."""
    if not points:
        return None
    baseline = points[0]
    value = mean_in_window(points[1:], baseline.at + timedelta(days=months * DAYS_PER_MONTH))
    if value is None:
        return FollowUp(months, None, None, None)
    relative = reduction(baseline.value, value)
    return FollowUp(months, value, relative, responder_level(relative))


def follow_up_window(baseline_at: datetime, months: int, *, days: int = WINDOW_DAYS) -> tuple[datetime, datetime]:
    """The window (inclusive) whose values make the value at ``months`` after a baseline taken at ``baseline_at``."""
    centre = baseline_at + timedelta(days=months * DAYS_PER_MONTH)
    return centre - timedelta(days=days), centre + timedelta(days=days)


# Days from a baseline until the window of the last follow-up point has closed (6 x 30 + 14).
LAST_WINDOW_CLOSES_DAYS = max(FOLLOW_UP_MONTHS) * DAYS_PER_MONTH + WINDOW_DAYS


def share_percent(part: int, whole: int) -> Decimal | None:
    """``part`` as a percentage of ``whole``, one decimal, half up (12 of 40 -> 30.0); None when ``whole`` is 0."""
    if whole <= 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
