"""The trend SVG: axes 0-10 and months, a line and points per measure, patient-reported points
hollow, treatment markers as vertical lines, means instead of thousands of points, no style attribute."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from xml.etree import ElementTree

from django.utils import translation

from nyeri.clinical.chart.selectors import (
    BPI_INTERFERENCE,
    ChartMarker,
    ChartPoint,
    ChartWindow,
    MeasureSeries,
    measure_key,
)
from nyeri.clinical.chart.svg import HEIGHT, LEFT, PLOT_H, PLOT_W, TOP, Granularity, downsample, trend_svg
from nyeri.clinical.outcomes.responders import NRS, PEG

SVG = "{http://www.w3.org/2000/svg}"
UNTIL = datetime.fromisoformat("2026-07-01T03:00:00+00:00")  # 10:00 in Jakarta
SINCE = datetime.fromisoformat("2026-04-01T03:00:00+00:00")


def series(measure: object, *points: tuple[datetime, str, str], label: str = "NRS") -> MeasureSeries:
    made = [ChartPoint(n + 1, at, Decimal(v), source) for n, (at, v, source) in enumerate(points)]
    return MeasureSeries(measure, measure_key(measure), label, made, made)  # type: ignore[arg-type]


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # noqa: S314 - our own output


def test_points_sit_on_a_zero_to_ten_axis_between_the_start_and_the_end_of_the_window() -> None:
    nrs = series(NRS, (SINCE, "10", "clinician"), (UNTIL, "0", "patient"))
    drawn = trend_svg([nrs], window=ChartWindow.MONTHS_3, since=SINCE, until=UNTIL)
    root = parse(drawn.svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "trend-title trend-desc"
    circles = root.findall(f".//{SVG}g[@class='series m-nrs-total']/{SVG}circle")
    assert [(c.get("class"), float(c.get("cx", 0)), float(c.get("cy", 0))) for c in circles] == [
        ("pt clinician", LEFT, TOP),  # 10 at the start: top left
        ("pt patient", LEFT + PLOT_W, TOP + PLOT_H),  # 0 at the end: bottom right
    ]
    assert root.find(f".//{SVG}g[@class='series m-nrs-total']/{SVG}polyline") is not None
    y_labels = [t.text for t in root.findall(f".//{SVG}text[@class='tick-label y']")]
    assert y_labels == ["0", "2", "4", "6", "8", "10"]
    with translation.override("en"):
        x_labels = [
            t.text
            for t in parse(trend_svg([nrs], window=ChartWindow.MONTHS_3, since=SINCE, until=UNTIL).svg).findall(
                f".//{SVG}text[@class='tick-label x']"
            )
        ]
    assert x_labels == ["May 2026", "Jun 2026", "Jul 2026"]


def test_the_title_and_description_say_what_is_drawn_in_the_users_language() -> None:
    nrs = series(NRS, (SINCE + timedelta(days=1), "8", "clinician"), (UNTIL - timedelta(days=1), "4", "patient"))
    peg = series(PEG, (SINCE + timedelta(days=2), "6.3", "patient"), label="PEG")
    with translation.override("en"):
        drawn = trend_svg([nrs, peg], window=ChartWindow.MONTHS_3, since=SINCE, until=UNTIL)
    root = parse(drawn.svg)
    assert root.find(f"{SVG}title").text == "Pain scores (0-10) over the last 3 months"  # type: ignore[union-attr]
    desc = root.find(f"{SVG}desc").text  # type: ignore[union-attr]
    assert desc is not None
    assert "NRS: 2 values from 2 Apr 2026 to 30 Jun 2026, the latest 4." in desc
    assert "PEG: 1 value from 3 Apr 2026 to 3 Apr 2026, the latest 6.3." in desc
    assert "hollow circles" in desc
    with translation.override("id"):
        desc_id = parse(trend_svg([peg], window=ChartWindow.ALL, since=None, until=UNTIL).svg).find(f"{SVG}desc")
    assert "6,3" in (desc_id.text or "")  # type: ignore[union-attr]  # Indonesian decimal comma


def test_a_marker_passed_in_is_drawn_as_a_vertical_line_with_its_label() -> None:
    nrs = series(NRS, (SINCE + timedelta(days=5), "7", "clinician"), (UNTIL - timedelta(days=5), "3", "clinician"))
    block = ChartMarker(SINCE + timedelta(days=45), "procedure", "Lumbar facet block <L4-L5>")
    outside = ChartMarker(SINCE - timedelta(days=45), "prescription", "Too early to show")
    with translation.override("en"):
        drawn = trend_svg([nrs], window=ChartWindow.MONTHS_3, since=SINCE, until=UNTIL, markers=[block, outside])
    root = parse(drawn.svg)
    markers = root.findall(f".//{SVG}g[@class='marker marker-procedure']")
    assert len(markers) == 1
    line = markers[0].find(f"{SVG}line")
    assert line is not None
    assert line.get("x1") == line.get("x2")
    assert float(line.get("y1", 0)) == TOP
    assert float(line.get("y2", 0)) == TOP + PLOT_H
    expected_x = LEFT + (block.at - SINCE) / (UNTIL - SINCE) * PLOT_W
    assert abs(float(line.get("x1", 0)) - expected_x) < 0.1
    # The label is escaped text, readable as a tooltip and in the description.
    assert markers[0].find(f"{SVG}title").text == "Lumbar facet block <L4-L5> (16 May 2026)"  # type: ignore[union-attr]
    assert "&lt;L4-L5&gt;" in drawn.svg
    assert "Treatments: Lumbar facet block <L4-L5> (16 May 2026)." in drawn.description
    assert "Too early" not in drawn.svg
    assert root.find(f".//{SVG}g[@class='marker marker-prescription']") is None


def test_the_svg_carries_no_style_attribute_and_no_script() -> None:
    nrs = series(NRS, (SINCE, "5", "clinician"), (UNTIL, "4", "patient"))
    interference = series(BPI_INTERFERENCE, (SINCE, "6", "clinician"), label="BPI-SF · Pain interference")
    drawn = trend_svg(
        [nrs, interference],
        window=ChartWindow.MONTHS_3,
        since=SINCE,
        until=UNTIL,
        markers=[ChartMarker(SINCE + timedelta(days=3), "procedure", "x")],
    ).svg
    assert not re.search(r"\bstyle=", drawn)
    assert "<script" not in drawn
    assert "fill=" not in drawn
    assert "stroke=" not in drawn
    assert parse(drawn).get("viewBox") == f"0 0 720 {HEIGHT}"


def test_a_period_without_values_says_so() -> None:
    with translation.override("en"):
        drawn = trend_svg([], window=ChartWindow.MONTHS_6, since=SINCE, until=UNTIL)
    assert "No value in this period." in drawn.svg
    assert parse(drawn.svg).find(f".//{SVG}circle") is None


def test_a_daily_diary_over_a_year_is_drawn_as_it_is_and_over_five_years_as_weekly_means() -> None:
    start = UNTIL - timedelta(days=365)
    year = [ChartPoint(n, start + timedelta(days=n), Decimal(n % 10), "patient") for n in range(365)]
    plotted, granularity = downsample(year)
    assert (len(plotted), granularity) == (365, Granularity.VALUE)

    start = UNTIL - timedelta(days=5 * 365)
    diary = [ChartPoint(n, start + timedelta(days=n), Decimal(n % 7), "patient") for n in range(5 * 365)]
    visits = [ChartPoint(10_000 + n, start + timedelta(days=18 * n), Decimal(8), "clinician") for n in range(100)]
    plotted, granularity = downsample(sorted(diary + visits, key=lambda p: p.at))
    assert granularity is Granularity.WEEK
    patient_points = [p for p in plotted if p.patient_reported]
    clinician_points = [p for p in plotted if not p.patient_reported]
    # The clinician's 100 values are kept as they are; the diary's 1,825 become ~261 weekly means.
    assert len(clinician_points) == 100
    assert all(p.value == 8.0 for p in clinician_points)
    assert 255 <= len(patient_points) <= 263
    assert sum(p.members for p in patient_points) == 5 * 365
    # A full week of 0..6 has the mean 3.
    assert sum(1 for p in patient_points if p.members == 7 and p.value == 3.0) >= 250
    assert [p.at for p in plotted] == sorted(p.at for p in plotted)


def test_more_days_than_the_limit_become_daily_means_first() -> None:
    start = UNTIL - timedelta(days=300)
    twice_a_day = [
        ChartPoint(n, start + timedelta(hours=12 * n), Decimal(4 if n % 2 else 6), "patient") for n in range(600)
    ]
    plotted, granularity = downsample(twice_a_day)
    assert granularity is Granularity.DAY
    assert len(plotted) <= 301
    assert all(p.value == 5.0 for p in plotted if p.members == 2)
