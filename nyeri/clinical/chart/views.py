"""The chart page: the patient's record with problems, recent encounters and the pain trend.

It is the patient page (``clinical:patient_detail``, ``/patients/<id>/``): the demographics
and the links block of ``clinical/patient_detail.html`` stay, the chart sections follow.
GET parameters: ``months`` (3, 6, 12 or all; default 12) and ``page`` (of the data table).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, tzinfo

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import dateformat, formats
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from nyeri.clinical.chart import selectors
from nyeri.clinical.chart.selectors import ChartPoint, ChartWindow, MeasureSeries, parse_window, plotted_measures
from nyeri.clinical.chart.svg import Granularity, trend_svg
from nyeri.clinical.consents.selectors import consent_summary
from nyeri.clinical.selectors import patient_history
from nyeri.tenancy.clock import zone_label, zone_named
from nyeri.tenancy.scope import request_scope

# Rows of the data table per page (the table lists every value of the window, newest first).
TABLE_PAGE_SIZE = 100


@dataclass(frozen=True)
class WindowLink:
    value: str
    label: str
    current: bool


def table_body(rows: Iterable[tuple[MeasureSeries, ChartPoint]]) -> SafeString:
    """The data table's rows (one per value: when, measure, value, source), as escaped HTML.

    Built here rather than in the template: a page of a long diary has a hundred rows, and
    a template loop with a URL tag and two localized formats per row costs about ten times
    more. The output is what ``{% facility_time at zone "DATETIME_FORMAT" %}`` and ``{{ value }}``
    would give: the time on the clock of the facility that assessed, with its zone's label
    (a patient seen in Jakarta and Jayapura), the month abbreviations and the decimal
    separator of the active language.
    """
    sentinel = "987654321"
    prefix, suffix = reverse("clinical:assessment_detail", args=[sentinel]).split(sentinel)
    zones: dict[str, tuple[tzinfo, str]] = {}
    months = [escape(dateformat.format(date(2000, month, 1), "M")) for month in range(1, 13)]
    separator = escape(str(formats.get_format("DECIMAL_SEPARATOR")))
    source = {True: escape(_("patient-reported")), False: escape(_("clinician-recorded"))}
    labels: dict[str, str] = {}
    html = []
    for series, point in rows:
        label = labels.get(series.key)
        if label is None:
            label = labels[series.key] = escape(series.label)
        found = zones.get(point.time_zone)
        if found is None:
            zone = zone_named(point.time_zone)
            found = zones[point.time_zone] = (zone, escape(zone_label(zone)))
        local = point.at.astimezone(found[0])
        html.append(
            f'<tr><td><a href="{escape(prefix)}{point.assessment_id}{escape(suffix)}">'
            f"{local.day} {months[local.month - 1]} {local.year} {local:%H:%M} {found[1]}</a></td>"
            f"<td>{label}</td><td>{str(point.value).replace('.', separator)}</td>"
            f"<td>{source[point.patient_reported]}</td></tr>"
        )
    return mark_safe("".join(html))  # noqa: S308 - every text in it is escaped above  # nosec B308, B703


@login_required
def patient_chart(request: HttpRequest, patient_id: int) -> HttpResponse:
    scope = request_scope(request)
    window = parse_window(request.GET.get("months"))
    chart = selectors.patient_chart(scope, patient_id, window=window)
    trend = chart.trend
    graphic = None
    if trend.has_points or trend.markers:
        graphic = trend_svg(trend.series, window=window, since=trend.since, until=trend.until, markers=trend.markers)
    table = Paginator(trend.table_rows(), TABLE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "clinical/patient_detail.html",
        {
            "patient": chart.patient,
            "chart": chart,
            "trend": trend,
            "graphic": graphic,
            "downsampled": bool(graphic and any(g > Granularity.VALUE for g in graphic.granularity.values())),
            "legend": plotted_measures(trend.series),
            "windows": [WindowLink(w.value, str(w.label), w is window) for w in ChartWindow],
            "table": table,
            "table_body": table_body(table.object_list),
            "table_opened": "page" in request.GET,
            # One query more, whatever the data (the chart's READ audit row covers it).
            "consent_summary": consent_summary(scope, chart.patient),
            # Edits and merges of the record (three queries; nyeri/clinical/selectors.py).
            "history": patient_history(scope, chart.patient),
        },
    )
