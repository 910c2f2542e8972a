"""The chart's reads: one patient's problems, recent encounters and pain trend, with ONE audit row.

``patient_chart`` (the page) and ``patient_trend`` (the API) fetch the patient through
``access_patient`` (organization wall, clinical role, and the READ audit row with the
purpose) and then read everything else without auditing again: a chart view is one read of
the patient's record, so it is one row of the audit trail, not one per section. The other
functions here take an already accessed patient and add no audit rows (like the diagnoses
selectors); they are for the chart only.

Queries are fixed whatever the data size (docs/chart.md lists them): the patient and its
audit row, the problem list (1), the recent encounters (1) and their count (1), and every
current score of the trend measures (1). The series is the whole history (the baseline is
the patient's first value, whatever the window shown); the window only selects what is
drawn and listed.

Only current versions of assessments enter: an amended version (replaced by its amendment)
and an assessment entered in error are left out, as the responder arithmetic requires.
"""

from __future__ import annotations

import bisect
import calendar
import heapq
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple, overload

from django.db import models
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from nyeri.clinical.access import access_patient, ensure_clinical_role
from nyeri.clinical.breakglass.access import require_care_access
from nyeri.clinical.diagnoses.selectors import ProblemList, problem_list
from nyeri.clinical.instruments import all_instruments, instrument_full_name
from nyeri.clinical.models import AssessmentScore, AssessmentSource, AssessmentStatus, Encounter, Patient
from nyeri.clinical.outcomes.responders import (
    CHART_MEASURES,
    RECENT_DAYS,
    DayValue,
    Measure,
    Relief,
    ResponderLevel,
    relief,
)
from nyeri.tenancy.clock import zone_named
from nyeri.tenancy.scope import Scope

# BPI interference is drawn (same 0-10 scale) but has no responder status: the 30 % / 50 %
# rules of responders.py are for pain intensity (CHART_MEASURES).
BPI_INTERFERENCE = Measure("bpi_sf", "interference")
TREND_MEASURES: tuple[Measure, ...] = (*CHART_MEASURES, BPI_INTERFERENCE)
# The screening results the chart shows as their bands (depression, anxiety, opioid risk): the
# bands themselves are data, in the instrument files beside each score's definition.
SCREENING_MEASURES: tuple[Measure, ...] = (Measure("phq9", "total"), Measure("gad7", "total"), Measure("ort", "risk"))

# How many of the most recent encounters the chart lists (the care timeline has them all).
RECENT_ENCOUNTERS = 10


class ChartWindow(models.TextChoices):
    """The period the trend shows (the GET parameter ``months``)."""

    MONTHS_3 = "3", _("3 months")
    MONTHS_6 = "6", _("6 months")
    MONTHS_12 = "12", _("12 months")
    ALL = "all", _("All")

    @property
    def months(self) -> int | None:
        return None if self is ChartWindow.ALL else int(self.value)


DEFAULT_WINDOW = ChartWindow.MONTHS_12


def parse_window(raw: str | None) -> ChartWindow:
    """The window asked for; anything unknown is the default (a bookmark never breaks the page)."""
    try:
        return ChartWindow(raw or DEFAULT_WINDOW)
    except ValueError:
        return DEFAULT_WINDOW


def months_before(moment: datetime, months: int) -> datetime:
    """The same local wall time ``months`` calendar months earlier (31 March - 1 month = 28/29 Feb)."""
    # The chart's window (one axis for every facility the patient was seen at): the
    # installation's calendar.
    local = timezone.localtime(moment)
    years, month_index = divmod(local.month - 1 - months, 12)
    year, month = local.year + years, month_index + 1
    return local.replace(year=year, month=month, day=min(local.day, calendar.monthrange(year, month)[1]))


def measure_key(measure: Measure) -> str:
    """A stable name for a measure, safe in a CSS class and an id: ``nrs-total``, ``bpi_sf-severity``."""
    return f"{measure.instrument_code}-{measure.score_code}"


def measure_label(measure: Measure, language: str | None = None) -> str:
    """The instrument in full with its acronym, and the score when it has several:
    ``Numeric Rating Scale (NRS)``, ``Brief Pain Inventory Short Form (BPI-SF) · Pain severity``."""
    found = all_instruments().get(measure.instrument_code)
    if found is None:
        return measure_key(measure)
    language = language or get_language()
    if len(found.scores) == 1:
        return found.name(language)
    score = found.score(measure.score_code)
    return f"{found.name(language)} · {score.label(language) if score else measure.score_code}"


def _decimals(measure: Measure) -> int:
    found = all_instruments().get(measure.instrument_code)
    score = found.score(measure.score_code) if found else None
    return score.decimals if score else 2


_PATIENT = AssessmentSource.PATIENT.value


class ChartPoint(NamedTuple):
    """One current score of one assessment, with who gave the answers.

    A named tuple: a five-year diary makes thousands of them per page view.
    """

    assessment_id: int
    at: datetime
    value: Decimal  # with the score's own decimals (NRS 7, PEG 6.3)
    source: str  # AssessmentSource
    # The assessing facility's ``time_zone``: the time is shown on its clock, with its label.
    time_zone: str = ""

    @property
    def patient_reported(self) -> bool:
        return self.source == _PATIENT


@dataclass
class MeasureSeries:
    """One measure over time: the whole history and the part in the window, oldest first."""

    measure: Measure
    key: str
    label: str
    points: list[ChartPoint] = field(default_factory=list)
    window_points: list[ChartPoint] = field(default_factory=list)


@dataclass(frozen=True)
class MeasureChange:
    """Baseline against the mean of the last 7 days of values for one of CHART_MEASURES.

    The arithmetic (which days, the mean, the reduction, the level) is ``responders.relief``;
    here only the facility-local day of each value is worked out.
    """

    measure: Measure
    key: str
    label: str
    count: int
    first: ChartPoint | None  # the baseline (also when it is the only value)
    last: ChartPoint | None
    relief: Relief | None  # None with fewer than two values

    @property
    def recent_mean(self) -> Decimal | None:
        """The mean of the last 7 days, with one decimal (as shown)."""
        if self.relief is None:
            return None
        return self.relief.recent.mean.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def signed_percent(self) -> Decimal | None:
        """The change of pain in per cent: -50 for a 50 % reduction, +20 when pain got worse."""
        if self.relief is None or self.relief.percent is None:
            return None
        return -self.relief.percent

    @property
    def signed_percent_text(self) -> str:
        """``-50 %`` (with a true minus sign, U+2212), ``+20 %``, ``0 %``; empty without a computed change."""
        signed = self.signed_percent
        if signed is None:
            return ""
        if signed < 0:
            return f"\u2212{-signed} %"
        return f"+{signed} %" if signed > 0 else "0 %"

    @property
    def level(self) -> ResponderLevel | None:
        return self.relief.level if self.relief else None


@dataclass(frozen=True)
class ScreeningResult:
    """One screening score (PHQ-9, GAD-7, ORT) with its band, as the chart lists it."""

    assessment_id: int
    at: datetime
    value: Decimal
    band_code: str
    band_label: str
    time_zone: str  # the assessing facility's, for the date on its calendar


@dataclass(frozen=True)
class Screening:
    """The results of one screening measure, most recent first."""

    measure: Measure
    key: str
    name: str  # the instrument in full with its acronym
    results: list[ScreeningResult]


@dataclass(frozen=True)
class ChartMarker:
    """A treatment on the time axis (a procedure, a prescription), drawn as a vertical line.

    ``kind`` is a short code (``procedure``, ``prescription``) used as a CSS class; ``label``
    is what a person reads ("Lumbar facet block").
    """

    at: datetime
    kind: str
    label: str


@dataclass
class PainTrend:
    window: ChartWindow
    since: datetime | None  # None: the whole history
    until: datetime
    series: list[MeasureSeries]
    changes: list[MeasureChange]
    markers: list[ChartMarker]
    screenings: list[Screening] = field(default_factory=list)

    @property
    def has_points(self) -> bool:
        return any(s.window_points for s in self.series)

    def table_rows(self) -> TableRows:
        """Every point in the window (not downsampled), newest first: the data table."""
        return TableRows(self.series)


class TableRows(Sequence[tuple[MeasureSeries, ChartPoint]]):
    """The window's points of every measure, newest first, as a lazy sequence for a paginator.

    A page (a slice) is merged from the per-measure lists (each already in time order), so
    that a five-year diary does not build and sort thousands of rows to show a hundred.
    """

    def __init__(self, series: Sequence[MeasureSeries]) -> None:
        self._series = [s for s in series if s.window_points]
        self._count = sum(len(s.window_points) for s in self._series)

    def __len__(self) -> int:
        return self._count

    def _newest_first(self) -> Iterator[tuple[MeasureSeries, ChartPoint]]:
        # The scores of one assessment (BPI severity, interference) in the measures' order.
        rank = {s.key: -n for n, s in enumerate(self._series)}
        return heapq.merge(
            *(zip(itertools.repeat(s), reversed(s.window_points)) for s in self._series),
            key=lambda row: (row[1].at, row[1].assessment_id, rank[row[0].key]),
            reverse=True,
        )

    @overload
    def __getitem__(self, index: int) -> tuple[MeasureSeries, ChartPoint]: ...

    @overload
    def __getitem__(self, index: slice) -> list[tuple[MeasureSeries, ChartPoint]]: ...

    def __getitem__(
        self, index: int | slice
    ) -> tuple[MeasureSeries, ChartPoint] | list[tuple[MeasureSeries, ChartPoint]]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._count)
            return list(itertools.islice(self._newest_first(), start, stop, step))
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(index)
        return next(itertools.islice(self._newest_first(), index, None))


@dataclass
class PatientChart:
    patient: Patient
    problems: ProblemList
    encounters: list[Encounter]  # the most recent, newest first, with ``assessment_count``
    encounter_count: int
    trend: PainTrend


def trend_points(scope: Scope, patient: Patient) -> dict[Measure, list[ChartPoint]]:
    """Every current score of TREND_MEASURES of ``patient``, oldest first: one query, no audit row.

    ``patient`` comes from ``access_patient`` (which checked care access and audited the
    read; asking again here is remembered and costs no query). With care access, the whole
    record is read, whatever the facility a value was recorded at (docs/break-glass.md).
    """
    return chart_scores(scope, patient)[0]


def chart_scores(
    scope: Scope, patient: Patient
) -> tuple[dict[Measure, list[ChartPoint]], dict[Measure, list[ScreeningResult]]]:
    """The trend values (oldest first) and the screening results (newest first): ONE query, no audit row.

    The screening scores (a few per patient) ride on the trend's query, so that the chart's
    query count does not grow with them.
    """
    ensure_clinical_role(scope, object_type="pain_assessment_series")
    require_care_access(scope, patient, purpose="chart", object_type="pain_assessment_series")
    wanted = {m: _decimals(m) for m in (*TREND_MEASURES, *SCREENING_MEASURES)}
    rows = AssessmentScore.objects.filter(
        organization=scope.organization,
        assessment__patient=patient,
        assessment__status=AssessmentStatus.CURRENT,
        assessment__instrument_code__in=sorted({m.instrument_code for m in wanted}),
        score_code__in=sorted({m.score_code for m in wanted}),
    )
    found: dict[Measure, list[ChartPoint]] = {m: [] for m in TREND_MEASURES}
    screened: dict[Measure, list[ChartPoint]] = {m: [] for m in SCREENING_MEASURES}
    bands: dict[tuple[Measure, int], str] = {}
    # Keyed by the plain (instrument, score) pair: no Measure object per row.
    by_pair = {
        (m.instrument_code, m.score_code): ({**found, **screened}[m], Decimal(1).scaleb(-d)) for m, d in wanted.items()
    }
    screening_pairs = {(m.instrument_code, m.score_code): m for m in SCREENING_MEASURES}
    for instrument_code, score_code, assessment_id, recorded_at, source, value, time_zone, band_code in rows.order_by(
        "assessment__recorded_at", "assessment_id"
    ).values_list(
        "assessment__instrument_code",
        "score_code",
        "assessment_id",
        "assessment__recorded_at",
        "assessment__source",
        "value",
        "assessment__facility__time_zone",
        "band_code",
    ):
        target = by_pair.get((instrument_code, score_code))
        if target is not None:
            target[0].append(ChartPoint(assessment_id, recorded_at, value.quantize(target[1]), source, time_zone))
            screening = screening_pairs.get((instrument_code, score_code))
            if screening is not None:
                bands[(screening, assessment_id)] = band_code
    language = get_language()
    results = {
        m: [_screening_result(m, p, bands[(m, p.assessment_id)], language) for p in reversed(points)]
        for m, points in screened.items()
    }
    return found, results


def _screening_result(measure: Measure, point: ChartPoint, band_code: str, language: str | None) -> ScreeningResult:
    """The band's label from the instrument file: the stored band, else the band of the value."""
    found = all_instruments().get(measure.instrument_code)
    score = found.score(measure.score_code) if found else None
    band = None
    if score is not None:
        band = next((b for b in score.bands if b.code == band_code), None) or score.band(point.value)
    label = band.label(language) if band is not None else band_code
    return ScreeningResult(
        point.assessment_id, point.at, point.value, band.code if band else band_code, label, point.time_zone
    )


def treatment_markers(scope: Scope, patient: Patient, *, since: datetime | None) -> list[ChartMarker]:
    """The procedures performed and prescriptions signed for ``patient`` since ``since``, oldest first.

    One ``ChartMarker`` per performed procedure (``kind="procedure"``) and per signed
    prescription (``kind="prescription"``), in two queries whatever the data, WITHOUT an
    audit row of its own (the chart's one READ row covers it). The patient was fetched
    through the care-access rule, so the whole record is shown, whatever the facility.
    """
    # Imported here: the treatment apps build on the clinical app, not the other way round.
    from nyeri.prescriptions.models import PrescriptionItem
    from nyeri.procedures.selectors import procedure_markers

    markers = [ChartMarker(m.at, m.kind, m.label) for m in procedure_markers(scope, patient, since=since)]
    items = PrescriptionItem.objects.filter(
        organization=scope.organization, prescription__patient=patient, prescription__signed_at__isnull=False
    )
    if since is not None:
        items = items.filter(prescription__signed_at__gte=since)
    language = get_language()
    names: dict[int, tuple[datetime, list[str]]] = {}
    for prescription_id, signed_at, generic_en, generic_id in items.order_by(
        "prescription__signed_at", "prescription_id", "position"
    ).values_list("prescription_id", "prescription__signed_at", "generic_en", "generic_id"):
        assert signed_at is not None  # filtered above
        _at, generics = names.setdefault(prescription_id, (signed_at, []))
        generics.append(generic_id if language == "id" else generic_en)
    markers += [ChartMarker(at, "prescription", ", ".join(generics)) for at, generics in names.values()]
    return sorted(markers, key=lambda m: m.at)


def pain_trend(
    scope: Scope, patient: Patient, *, window: ChartWindow = DEFAULT_WINDOW, now: datetime | None = None
) -> PainTrend:
    """The trend measures over the window, baseline against the last 7 days over the whole
    history, and the screening results with their bands."""
    until = now or timezone.now()
    months = window.months
    since = months_before(until, months) if months is not None else None
    language = get_language()
    points, screening = chart_scores(scope, patient)
    series = []
    for measure in TREND_MEASURES:
        history = points[measure]
        # The history is in time order: the window is its tail.
        shown = history if since is None else history[bisect.bisect_left(history, since, key=lambda p: p.at) :]
        series.append(MeasureSeries(measure, measure_key(measure), measure_label(measure, language), history, shown))
    return PainTrend(
        window=window,
        since=since,
        until=until,
        series=series,
        changes=[_change(s) for s in series if s.measure in CHART_MEASURES],
        markers=treatment_markers(scope, patient, since=since),
        screenings=[
            Screening(m, measure_key(m), instrument_full_name(m.instrument_code, language), screening[m])
            for m in SCREENING_MEASURES
        ],
    )


# More than the 7 local days of responders.RECENT_DAYS in any pair of zones (±14 hours at most).
RECENT_TAIL = timedelta(days=RECENT_DAYS + 2)


def local_day(point: ChartPoint) -> date:
    """The calendar day of ``point`` at the facility that recorded it (the installation's without one)."""
    return point.at.astimezone(zone_named(point.time_zone)).date()


def _change(series: MeasureSeries) -> MeasureChange:
    history = series.points
    found = None
    if len(history) >= 2:
        # The baseline is the first value; the values after it make the mean of the last 7
        # days. Only the tail can be in those days (UTC order and local days differ by a few
        # hours between Indonesia's zones): a five-year diary is not converted value by value.
        start = bisect.bisect_left(history, history[-1].at - RECENT_TAIL, lo=1, key=lambda p: p.at)
        found = relief(history[0].value, [DayValue(local_day(p), p.value) for p in history[start:]])
    return MeasureChange(
        series.measure,
        series.key,
        series.label,
        len(history),
        history[0] if history else None,
        history[-1] if history else None,
        found,
    )


def _encounters(scope: Scope, patient: Patient) -> QuerySet[Encounter]:
    # With care access to the patient (checked by the callers), every visit, whatever the facility.
    return Encounter.objects.filter(organization=scope.organization, patient=patient)


def recent_encounters(scope: Scope, patient: Patient, *, limit: int = RECENT_ENCOUNTERS) -> list[Encounter]:
    """The ``limit`` most recent encounters, newest first, each with its number of current assessments."""
    ensure_clinical_role(scope, object_type="encounter")
    require_care_access(scope, patient, purpose="chart", object_type="encounter")
    return list(
        _encounters(scope, patient)
        .select_related("facility")
        .annotate(assessment_count=Count("assessments", filter=Q(assessments__status=AssessmentStatus.CURRENT)))
        .order_by("-starts_at", "-pk")[:limit]
    )


def patient_chart(
    scope: Scope,
    patient_id: int,
    *,
    window: ChartWindow = DEFAULT_WINDOW,
    purpose: str = "chart",
    now: datetime | None = None,
) -> PatientChart:
    """The chart of ``patient_id``: one READ audit row (by ``access_patient``) and 4 more queries.

    Another organization's patient is *not found* (Http404); a member without a clinical
    role, or without care access to the patient (a member limited to facilities where the
    patient is neither registered nor seen, without break-glass), is refused (PermissionDenied,
    audited; see docs/break-glass.md).
    """
    patient = access_patient(scope, patient_id, purpose=purpose)
    return PatientChart(
        patient=patient,
        problems=problem_list(scope, patient),
        encounters=recent_encounters(scope, patient),
        encounter_count=_encounters(scope, patient).count(),
        trend=pain_trend(scope, patient, window=window, now=now),
    )


def patient_trend(
    scope: Scope,
    patient_id: int,
    *,
    window: ChartWindow = DEFAULT_WINDOW,
    purpose: str = "api: chart",
    now: datetime | None = None,
) -> tuple[Patient, PainTrend]:
    """The trend part of the chart (for the API): one READ audit row and one query for the series."""
    patient = access_patient(scope, patient_id, purpose=purpose)
    return patient, pain_trend(scope, patient, window=window, now=now)


def plotted_measures(series: Sequence[MeasureSeries]) -> list[MeasureSeries]:
    """The measures with at least one value in the window (the legend lists these)."""
    return [s for s in series if s.window_points]
