"""A horizontal bar chart of the responder shares, drawn on the server as SVG geometry.

No JavaScript and no inline styles (the Content Security Policy forbids both): this module
only computes positions and texts; the template draws ``<rect>`` and ``<text>`` elements
with classes, coloured by ``static/outcomes/outcomes.css``. Coordinates are strings with a
dot, so that no locale turns them into "12,5".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from nyeri.clinical.outcomes.responders import FOLLOW_UP_MONTHS, MODERATE, SUBSTANTIAL
from nyeri.clinical.outcomes.selectors import FollowUpFigures, OutcomeGroup

WIDTH = 720
PLOT_X = 20
PLOT_WIDTH = 600
TOP = 24  # room for the axis labels
LABEL_HEIGHT = 18
BAR_HEIGHT = 12
BAR_GAP = 3
GROUP_GAP = 14
TICKS = (0, 25, 50, 75, 100)


@dataclass(frozen=True)
class Series:
    months: int
    level: str  # "moderate" (at least 30 %) or "substantial" (at least 50 %)

    @property
    def css(self) -> str:
        return f"m{self.months}-{self.level}"

    @property
    def threshold(self) -> int:
        return int((MODERATE if self.level == "moderate" else SUBSTANTIAL) * 100)

    @property
    def label(self) -> str:
        return _("%(months)d months: at least %(threshold)d %% less pain") % {
            "months": self.months,
            "threshold": self.threshold,
        }

    def of(self, figures: FollowUpFigures) -> tuple[int | str, Decimal | None]:
        """The count as shown ("< 5" when hidden) and the share (None when hidden or nobody assessed)."""
        shown = figures.shown
        count, percent = shown[self.level], shown[f"{self.level}_percent"]
        assert isinstance(count, int | str)
        assert percent is None or isinstance(percent, Decimal)
        return count, percent


SERIES = tuple(Series(months, level) for months in FOLLOW_UP_MONTHS for level in ("moderate", "substantial"))


@dataclass(frozen=True)
class Bar:
    css: str
    y: str
    width: str
    text: str  # the share, or a dash when nobody was assessed
    text_x: str
    text_y: str
    title: str  # the tooltip: the counts behind the share


@dataclass(frozen=True)
class BarGroup:
    label: str
    label_y: str
    bars: list[Bar]


@dataclass(frozen=True)
class Tick:
    x: str
    label: str


@dataclass(frozen=True)
class BarChart:
    title: str
    width: int
    height: int
    plot_x: int
    plot_bottom: str
    bar_height: int
    groups: list[BarGroup]
    ticks: list[Tick]
    series: tuple[Series, ...] = SERIES


def _n(value: float) -> str:
    return f"{value:.1f}"


def bar_chart(title: str, groups: Sequence[OutcomeGroup]) -> BarChart:
    """One block of four bars (3 and 6 months, at least 30 % and 50 %) per group, label above."""
    drawn: list[BarGroup] = []
    y = float(TOP)
    for group in groups:
        label_y = y + LABEL_HEIGHT - 5
        y += LABEL_HEIGHT
        bars = []
        for series in SERIES:
            figures = group.at(series.months)
            count, percent = series.of(figures)
            shown = figures.shown
            width = float(percent or 0) / 100 * PLOT_WIDTH
            text = f"{number_format(percent, 1)} %" if percent is not None else "—"
            tooltip = _("%(series)s: %(count)s of %(assessed)s patients assessed (%(not_assessed)s not assessed)") % {
                "series": series.label,
                "count": count,
                "assessed": shown["assessed"],
                "not_assessed": shown["not_assessed"],
            }
            bars.append(
                Bar(
                    css=series.css,
                    y=_n(y),
                    width=_n(width),
                    text=text,
                    text_x=_n(PLOT_X + width + 4),
                    text_y=_n(y + BAR_HEIGHT - 2),
                    title=tooltip,
                )
            )
            y += BAR_HEIGHT + BAR_GAP
        drawn.append(BarGroup(label=group.label, label_y=_n(label_y), bars=bars))
        y += GROUP_GAP
    ticks = [Tick(x=_n(PLOT_X + PLOT_WIDTH * t / 100), label=f"{t} %") for t in TICKS]
    return BarChart(
        title=title,
        width=WIDTH,
        height=int(y) + 4,
        plot_x=PLOT_X,
        plot_bottom=_n(y),
        bar_height=BAR_HEIGHT,
        groups=drawn,
        ticks=ticks,
    )
