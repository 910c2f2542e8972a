"""The pain trend as a server-rendered SVG: no JavaScript, no style attributes (strict CSP).

Every look (colours, hollow or filled points, line widths) comes from classes styled by
``clinical/chart.css``; the SVG carries geometry only. One y-axis, 0 to 10, because every
trend measure (NRS, PEG, BPI severity and interference) is on that scale.

Downsampling: a series of more than ``MAX_PLOTTED`` points (a daily diary over years) is
drawn as means, per measure and per source separately (patient-reported values are never
averaged with a clinician's): daily means first, then weekly (ISO weeks) and monthly means
if still too many, each mean placed at the mean time of its values. The data table under
the chart always lists the real values, and the SVG's description says what is drawn.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.utils import dateformat, formats, timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from nyeri.clinical.chart.selectors import ChartMarker, ChartPoint, ChartWindow, MeasureSeries

MAX_PLOTTED = 400
WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 40, 16, 14, 34
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
Y_MAX = 10
POINT_RADIUS = 2.5
MAX_X_TICKS = 8
TITLE_ID, DESC_ID = "trend-title", "trend-desc"


class Granularity(enum.IntEnum):
    """What one drawn point stands for (the coarsest used for a series is reported)."""

    VALUE = 0
    DAY = 1
    WEEK = 2
    MONTH = 3


class PlotPoint(NamedTuple):
    at: datetime
    value: float
    patient_reported: bool
    members: int = 1  # values behind the point (a mean of several when downsampled)


# Coarser buckets, keyed from a day (the local date of the values).
_COARSER: tuple[tuple[Granularity, Callable[[date], Hashable]], ...] = (
    (Granularity.WEEK, lambda day: day.isocalendar()[:2]),
    (Granularity.MONTH, lambda day: (day.year, day.month)),
)


def _reduce(
    points: Sequence[ChartPoint], patient_reported: bool, max_points: int
) -> tuple[list[PlotPoint], Granularity]:
    if len(points) <= max_points:
        return [PlotPoint(p.at, float(p.value), patient_reported) for p in points], Granularity.VALUE
    zone = timezone.get_current_timezone()
    by_day: dict[date, list[ChartPoint]] = {}
    for p in points:
        by_day.setdefault(p.at.astimezone(zone).date(), []).append(p)
    granularity = Granularity.DAY
    groups: dict[Hashable, list[ChartPoint]] = dict(by_day.items())
    for candidate, key_of in _COARSER:
        if len(groups) <= max_points:
            break
        granularity, groups = candidate, {}
        for day, members in by_day.items():  # days in time order: the groups stay in time order
            groups.setdefault(key_of(day), []).extend(members)
    plotted = []
    for members in groups.values():
        count = len(members)
        plotted.append(
            PlotPoint(
                datetime.fromtimestamp(sum(p.at.timestamp() for p in members) / count, tz=members[0].at.tzinfo),
                sum(float(p.value) for p in members) / count,
                patient_reported,
                count,
            )
        )
    return plotted, granularity


def downsample(points: Sequence[ChartPoint], *, max_points: int = MAX_PLOTTED) -> tuple[list[PlotPoint], Granularity]:
    """The points of one measure to draw, oldest first, and the coarsest granularity used.

    Clinician and patient-reported values are reduced separately, each only when it has more
    than ``max_points`` values.
    """
    by_source: tuple[list[ChartPoint], list[ChartPoint]] = ([], [])
    for p in points:
        by_source[p.patient_reported].append(p)
    plotted: list[PlotPoint] = []
    coarsest = Granularity.VALUE
    for patient_reported, group in ((False, by_source[0]), (True, by_source[1])):
        reduced, granularity = _reduce(group, patient_reported, max_points)
        plotted.extend(reduced)
        coarsest = max(coarsest, granularity)
    if by_source[0] and by_source[1]:
        plotted.sort(key=lambda p: p.at)
    return plotted, coarsest


@dataclass(frozen=True)
class TrendSvg:
    svg: SafeString
    title: str
    description: str
    granularity: dict[str, Granularity]  # by measure key


def _date(at: datetime) -> str:
    # One time axis for a patient seen at several facilities: the installation's days. The
    # data table and the baseline dates show each value on its facility's clock.
    return formats.date_format(timezone.localtime(at), "DATE_FORMAT")


def _number(value: object) -> str:
    return formats.number_format(value)  # type: ignore[arg-type]


class _Scale:
    def __init__(self, start: datetime, end: datetime) -> None:
        if end <= start:
            start = end - timedelta(days=1)
        self.start, self.end = start, end
        self._t0, self._span = start.timestamp(), end.timestamp() - start.timestamp()

    def x(self, at: datetime) -> float:
        return LEFT + (at.timestamp() - self._t0) / self._span * PLOT_W

    @staticmethod
    def y(value: float) -> float:
        return TOP + (Y_MAX - value) / Y_MAX * PLOT_H

    def covers(self, at: datetime) -> bool:
        return self.start <= at <= self.end


def _add_months(day: date, months: int) -> date:
    years, month_index = divmod(day.month - 1 + months, 12)
    return date(day.year + years, month_index + 1, 1)


def month_ticks(start: datetime, end: datetime) -> list[tuple[datetime, str]]:
    """Ticks on the first of a month, at most MAX_X_TICKS, every 1, 2, 3, 6, 12... months."""
    first, last = timezone.localtime(start), timezone.localtime(end)
    span = (last.year - first.year) * 12 + last.month - first.month + 1
    step = next((k for k in (1, 2, 3, 6, 12, 24, 60, 120) if span / k <= MAX_X_TICKS), 240)
    zone = timezone.get_current_timezone()
    day = date(first.year, first.month, 1)
    if datetime(day.year, day.month, 1, tzinfo=zone) < first:
        day = _add_months(day, 1)
    while (day.year * 12 + day.month - 1) % step:
        day = _add_months(day, 1)
    ticks = []
    while (moment := datetime(day.year, day.month, 1, tzinfo=zone)) <= last:
        ticks.append((moment, dateformat.format(moment, "Y" if step >= 12 else "M Y")))
        day = _add_months(day, step)
    return ticks


def _title(window: ChartWindow) -> str:
    if window.months is None:
        return _("Pain scores (0-10), whole history")
    return _("Pain scores (0-10) over the last %(months)d months") % {"months": window.months}


_GRANULARITY_NOTE = {
    Granularity.DAY: lambda: _("drawn as daily means"),
    Granularity.WEEK: lambda: _("drawn as weekly means"),
    Granularity.MONTH: lambda: _("drawn as monthly means"),
}


def _describe(
    series: Sequence[MeasureSeries], granularity: dict[str, Granularity], markers: Sequence[ChartMarker]
) -> str:
    parts = []
    for s in series:
        points = s.window_points
        if not points:
            continue
        sentence = ngettext(
            "%(measure)s: %(count)d value from %(first)s to %(last)s, the latest %(latest)s",
            "%(measure)s: %(count)d values from %(first)s to %(last)s, the latest %(latest)s",
            len(points),
        ) % {
            "measure": s.label,
            "count": len(points),
            "first": _date(points[0].at),
            "last": _date(points[-1].at),
            "latest": _number(points[-1].value),
        }
        note = _GRANULARITY_NOTE.get(granularity.get(s.key, Granularity.VALUE))
        parts.append(f"{sentence} ({note()})." if note else f"{sentence}.")
    if not parts:
        parts.append(_("No value in this period."))
    else:
        parts.append(_("Patient-reported values are hollow circles, values recorded by a clinician filled circles."))
    if markers:
        listed = "; ".join(f"{m.label} ({_date(m.at)})" for m in markers)
        parts.append(_("Treatments: %(markers)s.") % {"markers": listed})
    return " ".join(parts)


def _css(name: str) -> str:
    """A class name from a code: letters, digits, - and _ only."""
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name)


def trend_svg(
    series: Sequence[MeasureSeries],
    *,
    window: ChartWindow,
    since: datetime | None,
    until: datetime,
    markers: Sequence[ChartMarker] = (),
    max_points: int = MAX_PLOTTED,
) -> TrendSvg:
    """The SVG of ``series`` (their window points) from ``since`` (or the first value) to ``until``.

    ``markers`` (treatments) are drawn as vertical lines with their label as a tooltip; the
    ones outside the period are left out. No database query.
    """
    drawn: list[tuple[MeasureSeries, list[PlotPoint]]] = []
    granularity: dict[str, Granularity] = {}
    for s in series:
        if s.window_points:
            plotted, granularity[s.key] = downsample(s.window_points, max_points=max_points)
            drawn.append((s, plotted))
    start = since
    if start is None:
        firsts = [plotted[0].at for _s, plotted in drawn] + [m.at for m in markers]
        start = min(firsts) if firsts else until - timedelta(days=30)
    scale = _Scale(start, until)
    shown_markers = [m for m in markers if scale.covers(m.at)]
    title = _title(window)
    description = _describe([s for s, _p in drawn], granularity, shown_markers)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trend-chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{TITLE_ID} {DESC_ID}">',
        f'<title id="{TITLE_ID}">{escape(title)}</title>',
        f'<desc id="{DESC_ID}">{escape(description)}</desc>',
        '<g class="y-axis">',
    ]
    for value in range(0, Y_MAX + 1, 2):
        y = scale.y(value)
        out.append(f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>')
        out.append(f'<text class="tick-label y" x="{LEFT - 6}" y="{y + 4:.1f}">{value}</text>')
    out.append("</g>")
    bottom = TOP + PLOT_H
    out.append('<g class="x-axis">')
    out.append(f'<line class="axis" x1="{LEFT}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}"/>')
    for moment, label in month_ticks(scale.start, scale.end):
        x = scale.x(moment)
        out.append(f'<line class="tick" x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 5}"/>')
        out.append(f'<text class="tick-label x" x="{x:.1f}" y="{bottom + 18}">{escape(label)}</text>')
    out.append("</g>")
    if shown_markers:
        out.append('<g class="markers">')
        for m in shown_markers:
            x = scale.x(m.at)
            out.append(
                f'<g class="marker marker-{_css(m.kind)}"><title>{escape(m.label)} ({escape(_date(m.at))})</title>'
                f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{bottom}"/></g>'
            )
        out.append("</g>")
    for s, plotted in drawn:
        out.append(f'<g class="series m-{_css(s.key)}">')
        coords = [(scale.x(p.at), scale.y(p.value), p.patient_reported) for p in plotted]
        if len(coords) > 1:
            out.append('<polyline class="line" points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y, _r in coords) + '"/>')
        for x, y, patient_reported in coords:
            kind = "patient" if patient_reported else "clinician"
            out.append(f'<circle class="pt {kind}" cx="{x:.1f}" cy="{y:.1f}" r="{POINT_RADIUS}"/>')
        out.append("</g>")
    if not drawn:
        out.append(f'<text class="empty" x="{LEFT + PLOT_W / 2:.1f}" y="{TOP + PLOT_H / 2:.1f}">')
        out.append(f"{escape(_('No value in this period.'))}</text>")
    out.append("</svg>")
    return TrendSvg(mark_safe("".join(out)), title, description, granularity)  # noqa: S308 - every text is escaped  # nosec B308, B703
