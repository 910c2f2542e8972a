"""The outcomes report: how many patients had 30 % and 50 % less pain 3 and 6 months after baseline.

The cohort is every patient of the organization whose *baseline* (first current value of the
measure, see ``responders``) falls in the chosen period. Each patient counts once in the
total, once under the facility where the baseline was recorded, and once under each ICD-11
chronic pain category (MG30.x) of their current diagnoses (or under "no chronic pain
category"). For each follow-up point (``FOLLOW_UP_MONTHS``) a patient is

* *not yet due* while the window (baseline + N x 30 days, ± 14 days) has not closed;
* *not assessed* when the window has closed without a value in it;
* *assessed* otherwise, and then a responder at 30 % and/or 50 % or not.

A baseline of 0 has nothing to reduce: such patients are counted apart (``baseline_zero``)
and in no follow-up. Shares are of the patients assessed. All the arithmetic is
``nyeri.clinical.outcomes.responders``; this module only fetches and counts.

Reads: 3 queries whatever the data size (the facilities; the cohort's baselines and the
values near a follow-up window, in one ordered query; the organization's chronic pain
categories). The database only narrows the rows down; the windows and the 30 % / 50 %
rules are applied in Python by ``responders``. The caller audits the read (``services``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import NotSupportedError, connection
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from nyeri.clinical.diagnoses import catalogue
from nyeri.clinical.diagnoses.models import ClinicalStatus, Diagnosis, RecordStatus
from nyeri.clinical.instruments import all_instruments
from nyeri.clinical.models import AssessmentScore, AssessmentStatus, PainAssessment, Patient
from nyeri.clinical.outcomes.access import ensure_outcomes_access
from nyeri.clinical.outcomes.responders import (
    CHART_MEASURES,
    DAYS_PER_MONTH,
    FOLLOW_UP_MONTHS,
    LAST_WINDOW_CLOSES_DAYS,
    REPORT_MEASURE,
    WINDOW_DAYS,
    Measure,
    Point,
    ResponderLevel,
    follow_up,
    follow_up_window,
    share_percent,
)
from nyeri.lib.periods import Period, month_period, parse_period, period_of_dates, year_period
from nyeri.lib.suppression import Relation, cells_to_hide, hidden_text, shown_counts, small_number_minimum
from nyeri.tenancy.clock import local_date, period_bounds
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope

# The measures the report can be asked for, by key (the instrument code): NRS by default.
MEASURES: dict[str, Measure] = {m.instrument_code: m for m in CHART_MEASURES}
DEFAULT_MEASURE = REPORT_MEASURE.instrument_code
# The default period: the latest calendar year whose last 6-month window has closed (its last
# day at least 194 days ago), so that nobody in it is still "not yet due".
DEFAULT_END_LAG_DAYS = LAST_WINDOW_CLOSES_DAYS
NO_CATEGORY = "none"
UNKNOWN_FACILITY = gettext_lazy("Unknown facility: choose one of the facilities of your organization.")
UNKNOWN_PERIOD = gettext_lazy(
    "Choose a period from the list: a month (2025-03), a quarter (2025-Q1) or a year (2025). "
    "Periods of any other length could be subtracted from one another."
)
TOTAL = "total"

# The counts of a group and of each of its follow-up points (each may be hidden).
GROUP_COUNTS = ("patients", "baseline_zero")
FOLLOW_UP_COUNTS = ("not_yet_due", "not_assessed", "assessed", "moderate", "substantial")
# At each follow-up point, a group's patients are those of baseline 0 plus these.
PATIENT_PARTS = ("not_yet_due", "assessed", "not_assessed")

# Breakdown names (CSV and API use the codes; pages the labels).
BREAKDOWN_LABELS = {
    TOTAL: gettext_lazy("Total"),
    "facility": gettext_lazy("Facility"),
    "category": gettext_lazy("Chronic pain category"),
}


def measure_label(key: str, language: str | None = None) -> str:
    """The label ("Numeric Rating Scale for pain, 0-10 (NRS) · Pain intensity") from the instrument file,
    in ``language`` (default: the active one): the instrument in full with its acronym."""
    measure = MEASURES[key]
    instrument = all_instruments().get(measure.instrument_code)
    if instrument is None:
        return key
    score = instrument.score(measure.score_code)
    lang = language or get_language() or "id"
    return f"{instrument.name(lang)} · {score.label(lang)}" if score is not None else instrument.name(lang)


def measure_choices() -> list[tuple[str, str]]:
    return [(key, measure_label(key)) for key in MEASURES]


# --- Filters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeFilters:
    """The report's question: whose baseline fell in [date_from, date_to], where, on which measure.

    The outcomes report asks only for calendar periods (``period``: a month, quarter or year,
    see ``nyeri.lib.periods``); the practice evaluation asks for whole years (nyeri/evaluation).
    """

    date_from: date
    date_to: date
    measure: str = DEFAULT_MEASURE
    facility: Facility | None = None

    @property
    def period(self) -> Period | None:
        """The calendar period of the dates, if they are one."""
        return period_of_dates(self.date_from, self.date_to)

    def describe(self) -> str:
        """For the audit trail (no patient data in it)."""
        where = f"facility {self.facility.pk}" if self.facility is not None else "all facilities"
        return f"baseline {self.date_from.isoformat()}..{self.date_to.isoformat()}; {where}; measure {self.measure}"


def default_period(today: date) -> Period:
    """The latest calendar year that ended at least ``DEFAULT_END_LAG_DAYS`` (194) days before ``today``."""
    closed = today - timedelta(days=DEFAULT_END_LAG_DAYS)  # the last baseline day whose windows closed
    return year_period(closed.year if (closed.month, closed.day) == (12, 31) else closed.year - 1)


def _checked_facility(scope: Scope, facility_id: int | None, errors: dict[str, str]) -> Facility | None:
    """The facility of ``facility_id`` if the scope covers it; else an error under ``facility``.

    A facility of another organization, or outside a facility-limited membership, is an
    unknown facility (the same message as an id that does not exist).
    """
    if facility_id is None:
        return None
    facility = Facility.objects.filter(organization=scope.organization, pk=facility_id).first()
    if facility is None or not scope.covers_facility(facility.pk):
        errors["facility"] = str(UNKNOWN_FACILITY)
        return None
    return facility


def _checked_measure(measure: str | None, errors: dict[str, str]) -> str:
    chosen = measure or DEFAULT_MEASURE
    if chosen not in MEASURES:
        errors["measure"] = _("Unknown measure: choose one of %(choices)s.") % {"choices": ", ".join(MEASURES)}
    return chosen


def resolve_filters(
    scope: Scope,
    *,
    facility_id: int | None = None,
    period: str | None = None,
    measure: str | None = None,
    today: date | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> OutcomeFilters:
    """The outcomes report's checked filters, or a ValidationError naming each bad field
    (``facility``, ``period``, ``from``, ``to``, ``measure``).

    The period is a key of ``periods`` ("2025-03", "2025-Q1", "2025"); without one, the
    default period (``default_period`` at the chosen facility; a whole organization: the
    installation's day). Dates (``from``, ``to``) are refused, each under its own name:
    two arbitrary periods could be subtracted from one another (docs/outcomes.md).
    """
    errors: dict[str, str] = {}
    facility = _checked_facility(scope, facility_id, errors)
    chosen_measure = _checked_measure(measure, errors)
    for name, given in (("from", date_from), ("to", date_to)):
        if given is not None:
            errors[name] = str(UNKNOWN_PERIOD)
    if date_from is not None and date_to is not None and (same := period_of_dates(date_from, date_to)) is not None:
        errors["from"] += " " + _("These dates are the period %(period)s.") % {"period": same.key}
    chosen = parse_period(period) if period else default_period(today or local_date(facility))
    if chosen is None:
        errors["period"] = str(UNKNOWN_PERIOD)
    if errors:
        raise ValidationError(errors)
    assert chosen is not None
    return OutcomeFilters(date_from=chosen.first, date_to=chosen.last, measure=chosen_measure, facility=facility)


# --- Figures ----------------------------------------------------------------------------------


@dataclass
class FollowUpFigures:
    """One follow-up point (3 or 6 months) of one group of patients."""

    months: int
    not_yet_due: int = 0
    assessed: int = 0
    # At least 30 % (this includes the substantial responders) and at least 50 % less pain.
    moderate: int = 0
    substantial: int = 0
    not_assessed: int = 0
    # The counts too small to show (see ``suppress_small_numbers``), by field name.
    hidden: set[str] = field(default_factory=set)

    @property
    def due(self) -> int:
        """Patients whose window has closed: assessed or not."""
        return self.assessed + self.not_assessed

    @property
    def moderate_percent(self) -> Decimal | None:
        return share_percent(self.moderate, self.assessed)

    @property
    def substantial_percent(self) -> Decimal | None:
        return share_percent(self.substantial, self.assessed)

    @property
    def shown(self) -> dict[str, int | str | Decimal | None]:
        """What pages, CSV and API show: each count, or "< 5" when hidden.

        A share is shown only when both its counts are (it would give one from the other).
        """
        return shown_counts(self, FOLLOW_UP_COUNTS, self.hidden, shares=("moderate", "substantial"), whole="assessed")


@dataclass
class OutcomeGroup:
    """The patients of one row: the total, a facility, or a chronic pain category."""

    breakdown: str  # "total", "facility" or "category"
    key: str  # "total", the facility id, the MG30 code or "none"
    code: str  # what the CSV shows: "total", the facility's code, the MG30 code or "none"
    label: str
    patients: int = 0
    # Patients whose baseline was 0: no reduction is possible, they enter no follow-up.
    baseline_zero: int = 0
    follow_ups: list[FollowUpFigures] = field(default_factory=list)
    hidden: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        if not self.follow_ups:
            self.follow_ups = [FollowUpFigures(months) for months in FOLLOW_UP_MONTHS]

    def at(self, months: int) -> FollowUpFigures:
        return next(f for f in self.follow_ups if f.months == months)

    @property
    def shown(self) -> dict[str, int | str]:
        """The group's counts as shown: the number, or "< 5" when hidden."""
        return {name: hidden_text() if name in self.hidden else getattr(self, name) for name in GROUP_COUNTS}


@dataclass
class OutcomesReport:
    filters: OutcomeFilters
    as_of: datetime
    total: OutcomeGroup
    by_facility: list[OutcomeGroup]
    by_category: list[OutcomeGroup]

    @property
    def measure_label(self) -> str:
        return measure_label(self.filters.measure)

    def groups(self) -> Iterator[OutcomeGroup]:
        """Every row: the facilities, the categories, then the total."""
        yield from self.by_facility
        yield from self.by_category
        yield self.total


# What happened to one patient at one follow-up point.
_NOT_YET_DUE = "not_yet_due"
_NOT_ASSESSED = "not_assessed"
Outcome = ResponderLevel | str


def patient_outcomes(points: list[Point], as_of: datetime) -> tuple[Outcome, ...] | None:
    """The outcome at each of ``FOLLOW_UP_MONTHS`` for one patient's values (time order); None for a baseline of 0."""
    baseline = points[0]
    if baseline.value <= 0:
        return None
    outcomes: list[Outcome] = []
    for months in FOLLOW_UP_MONTHS:
        if follow_up_window(baseline.at, months)[1] > as_of:
            outcomes.append(_NOT_YET_DUE)
            continue
        found = follow_up(points, months)
        if found is None or found.level is None:
            outcomes.append(_NOT_ASSESSED)
        else:
            outcomes.append(found.level)
    return tuple(outcomes)


def _count(group: OutcomeGroup, outcomes: tuple[Outcome, ...] | None) -> None:
    group.patients += 1
    if outcomes is None:
        group.baseline_zero += 1
        return
    for figures, outcome in zip(group.follow_ups, outcomes, strict=True):
        if outcome == _NOT_YET_DUE:
            figures.not_yet_due += 1
        elif outcome == _NOT_ASSESSED:
            figures.not_assessed += 1
        elif isinstance(outcome, ResponderLevel):
            figures.assessed += 1
            if outcome >= ResponderLevel.MODERATE:
                figures.moderate += 1
            if outcome >= ResponderLevel.SUBSTANTIAL:
                figures.substantial += 1


def _windows() -> list[tuple[int, int]]:
    """Day offsets from the baseline that contain every follow-up window, with a day to spare.

    The database only narrows the rows down; which value falls in which window is decided
    exactly (to the microsecond) by ``responders``. On SQLite ``datetime()`` drops fractions
    of a second, hence the day to spare. The ranges are read by one branch each of a
    ``UNION ALL`` (``_values_sql``): they must not overlap one another nor the baseline.
    """
    ranges = [
        (months * DAYS_PER_MONTH - WINDOW_DAYS - 1, months * DAYS_PER_MONTH + WINDOW_DAYS + 1)
        for months in FOLLOW_UP_MONTHS
    ]
    for (_low, high), (next_low, _high) in zip([(0, 0), *ranges], ranges, strict=False):
        if next_low <= high:  # pragma: no cover - a change of FOLLOW_UP_MONTHS or WINDOW_DAYS
            raise ValueError(f"follow-up windows overlap: {ranges}")
    return ranges


def _plus_days(column: str, days: int) -> str:
    """SQL for a timestamp column plus whole days (``days`` is an integer of ours, never input)."""
    if connection.vendor == "sqlite":
        return f"datetime({column}, '{int(days):+d} days')"
    return f"({column} + make_interval(days => {int(days)}))"


def _values_sql() -> str:
    """The query of the cohort's baselines and follow-up values, for this database.

    The plan is the same on both databases, one pass per patient through the index
    ``assessment_series`` (organization, patient, status, instrument, recorded_at):

    * ``c``, the cohort: for each patient of the organization, the first current scored value
      (an index scan in time order stopped at its first row, not an aggregate over every
      rating), kept when it falls in the period;
    * one ``UNION ALL`` branch per range (``CROSS JOIN``: SQLite then keeps the cohort outside,
      as PostgreSQL's planner does by itself) (the baseline itself, then each follow-up window
      with a day to spare): an index range scan of the patient's ratings in that range and
      the score of each row found. About a sixth of a year of diary entries is read, never
      the whole series (a ``MIN`` over every rating, then a join filtered by ``OR``, read
      every rating twice: docs/oppe.md, "How it is computed").
    """
    q = connection.ops.quote_name
    assessment, score = q(PainAssessment._meta.db_table), q(AssessmentScore._meta.db_table)
    patient = q(Patient._meta.db_table)
    if connection.vendor == "postgresql":
        # Text in UTC with its offset: datetime.fromisoformat reads it several times faster
        # than the driver's time-zone aware loader (most of the cost of many rows).
        at = "to_char(v.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00:00'"
        value = "v.value"
    elif connection.vendor == "sqlite":
        # Django keeps an aware datetime on SQLite as UTC text; the concatenation also stops
        # the driver from parsing it. A decimal is read as text too (no float in between).
        at = "v.recorded_at || '+00:00'"
        value = "CAST(v.value AS TEXT)"
    else:  # pragma: no cover - Nyeri runs on PostgreSQL and SQLite
        raise NotSupportedError(f"the outcomes report does not support {connection.vendor}")
    ranges = [("c.first_at", "c.first_at")] + [
        (_plus_days("c.first_at", low), _plus_days("c.first_at", high)) for low, high in _windows()
    ]
    branches = "\n         UNION ALL\n".join(
        f"""SELECT a.patient_id, a.recorded_at, a.id, a.facility_id, s.value
              FROM c
             CROSS JOIN {assessment} a
              JOIN {score} s ON s.assessment_id = a.id AND s.score_code = %s
             WHERE c.first_at >= %s AND c.first_at < %s
               AND a.organization_id = %s AND a.patient_id = c.patient_id AND a.status = %s
               AND a.instrument_code = %s AND a.recorded_at BETWEEN {low} AND {high} AND a.recorded_at <= %s"""  # noqa: S608  # nosec B608
        for low, high in ranges
    )
    # Only quoted table names and fixed fragments are interpolated; every value is a parameter.
    return f"""
        WITH c AS MATERIALIZED (
            SELECT p.id AS patient_id,
                   (SELECT b.recorded_at FROM {assessment} b
                     WHERE b.organization_id = p.organization_id AND b.patient_id = p.id AND b.status = %s
                       AND b.instrument_code = %s AND b.recorded_at <= %s
                       AND EXISTS (SELECT 1 FROM {score} bs WHERE bs.assessment_id = b.id AND bs.score_code = %s)
                     ORDER BY b.recorded_at LIMIT 1) AS first_at
              FROM {patient} p
             WHERE p.organization_id = %s
        )
        SELECT v.patient_id, {at}, {value}, v.facility_id
          FROM ({branches}) v
         ORDER BY v.patient_id, v.recorded_at, v.id
    """  # noqa: S608 - only quoted names and fixed fragments  # nosec B608


def values_query(scope: Scope, filters: OutcomeFilters, as_of: datetime) -> tuple[str, list[Any]]:
    """The SQL and parameters of the one query that reads the cohort's values (see ``cohort_values``)."""
    measure = MEASURES[filters.measure]
    # A day to spare on each side: whether a baseline is in the period is decided on the
    # local day of the facility where it was recorded (``counted`` below), which may be WIB,
    # WITA or WIT; no two zones are more than a day apart.
    start, end = period_bounds(None, filters.date_from - timedelta(days=1), filters.date_to + timedelta(days=1))
    adapt = connection.ops.adapt_datetimefield_value
    current = AssessmentStatus.CURRENT.value
    cohort = [current, measure.instrument_code, adapt(as_of), measure.score_code, scope.organization.pk]
    branch = [measure.score_code, adapt(start), adapt(end), scope.organization.pk, current, measure.instrument_code]
    branch += [adapt(as_of)]
    return _values_sql(), cohort + branch * (1 + len(FOLLOW_UP_MONTHS))


def cohort_values(
    scope: Scope, filters: OutcomeFilters, as_of: datetime
) -> Iterator[tuple[int, datetime, Decimal, int]]:
    """(patient, recorded_at, value, facility) of the cohort's baselines and follow-ups, by patient and time.

    One query. Only the rows that can matter are read: each patient's baseline and the values
    within a day of a follow-up window (a sixth of a year of diary entries, not all of them).
    """
    sql, params = values_query(scope, filters, as_of)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(5000):
            for patient_id, at, value, facility_id in chunk:
                yield patient_id, datetime.fromisoformat(at), Decimal(value), facility_id


def _categories_of(scope: Scope) -> dict[int, list[str]]:
    """patient id -> MG30 categories of their current diagnoses (not entered in error, not ruled out).

    For the whole organization in one query (a few rows per patient, far fewer than the
    assessments): cheaper than repeating the cohort's grouping as a subquery.
    """
    found: dict[int, list[str]] = {}
    rows = (
        Diagnosis.objects.filter(organization=scope.organization, superseded_by__isnull=True)
        .exclude(record_status=RecordStatus.ENTERED_IN_ERROR)
        .exclude(clinical_status=ClinicalStatus.RULED_OUT)
        .exclude(icd11_category="")
        .order_by()
        .values_list("patient_id", "icd11_category")
        .distinct()
    )
    for patient_id, category in rows:
        found.setdefault(patient_id, []).append(category)
    return found


def report_facilities(scope: Scope) -> QuerySet[Facility]:
    """The facilities the scope may report on (inactive ones too: their past patients count), by name."""
    facilities = Facility.objects.filter(organization=scope.organization).order_by("name", "pk")
    if scope.facility_ids is not None:
        facilities = facilities.filter(pk__in=scope.facility_ids)
    return facilities


def report_facility(scope: Scope, facility_id: str) -> Facility | None:
    """The facility of ``facility_id`` (text from a query string) if the scope may report on it."""
    return report_facilities(scope).filter(pk=int(facility_id)).first() if facility_id.isdigit() else None


PatientOutcome = tuple[int, int, tuple[Outcome, ...] | None]
# The same with the local day of the baseline at its facility.
DatedOutcome = tuple[int, int, tuple[Outcome, ...] | None, date]


def cohort_outcomes(
    scope: Scope, filters: OutcomeFilters, as_of: datetime, facilities: Iterable[Facility]
) -> list[PatientOutcome]:
    """(patient, facility of the baseline, outcome at each of ``FOLLOW_UP_MONTHS``) of the cohort.

    The patients whose baseline was recorded at one of ``facilities`` on a day of the period
    (that facility's local day); the outcome is None for a baseline of 0. One query
    (``cohort_values``); not access-checked nor audited here: the callers are the outcomes
    report and the practice evaluation (nyeri/evaluation), which check and audit their own.
    """
    return [
        (patient, facility, outcomes)
        for patient, facility, outcomes, _day in dated_outcomes(scope, filters, as_of, facilities)
    ]


def dated_outcomes(
    scope: Scope, filters: OutcomeFilters, as_of: datetime, facilities: Iterable[Facility]
) -> list[DatedOutcome]:
    """``cohort_outcomes`` with the day of each baseline (at its facility): which month it counts in."""
    places = {facility.pk: facility for facility in facilities}

    def day_counted(facility_id: int, points: list[Point]) -> date | None:
        # In the report's facilities, with a baseline on a day of the period at that facility.
        place = places.get(facility_id)
        if place is None:
            return None
        day = local_date(place, points[0].at)
        return day if filters.date_from <= day <= filters.date_to else None

    per_patient: list[DatedOutcome] = []
    current: int | None = None
    facility_id = 0
    points: list[Point] = []

    def close() -> None:
        if current is not None and (day := day_counted(facility_id, points)) is not None:
            per_patient.append((current, facility_id, patient_outcomes(points, as_of), day))

    for patient_id, recorded_at, value, at_facility in cohort_values(scope, filters, as_of):
        if patient_id != current:
            close()
            current, facility_id, points = patient_id, at_facility, []
        points.append(Point(recorded_at, value))
    close()
    return per_patient


def outcomes_report(scope: Scope, filters: OutcomeFilters, *, as_of: datetime | None = None) -> OutcomesReport:
    """The report for ``filters`` as it stands at ``as_of`` (default: now). 3 queries; not audited here.

    The figures are counted for every facility of the scope, whichever is asked for, and
    for every period of the same calendar year (the year, its quarters, its months); small
    numbers are hidden on that whole cube (``ScopeTable`` per period, with the sums across
    periods); a one-facility report or a month is its slice of it, with the same cells
    hidden: no two reports a user may ask for can be subtracted from each other.
    """
    ensure_outcomes_access(scope)
    period = filters.period
    if period is None:
        raise ValueError(f"the outcomes report is asked for calendar periods only, not {filters.describe()}")
    as_of = as_of or timezone.now()
    facilities = list(report_facilities(scope))
    year = period.year()
    per_patient = dated_outcomes(scope, replace(filters, date_from=year.first, date_to=year.last), as_of, facilities)
    categories = _categories_of(scope) if per_patient else {}
    tables = {p.key: ScopeTable.empty(facilities) for p in year.family()}
    for patient_id, facility_id, outcomes, day in per_patient:
        quarter = year.parts()[(day.month - 1) // 3]
        for key in (year.key, quarter.key, month_period(day.year, day.month).key):
            tables[key].add(patient_id, facility_id, outcomes, categories)
    suppress_in_periods(tables, small_number_minimum(), year.family())
    return table_report(tables[period.key], filters, as_of)


def table_report(table: ScopeTable, filters: OutcomeFilters, as_of: datetime) -> OutcomesReport:
    """The report ``filters`` asks for, cut out of the scope's table (hidden cells included)."""
    if filters.facility is None:
        return OutcomesReport(
            filters=filters,
            as_of=as_of,
            total=table.total,
            # Inactive facilities only when patients of the period started there.
            by_facility=[g for g in table.by_facility.values() if g.key in table.active or g.patients],
            by_category=_sorted_categories(table.by_category),
        )
    row = table.by_facility[str(filters.facility.pk)]
    total = replace(row, breakdown=TOTAL, key=TOTAL, code=TOTAL, label=str(BREAKDOWN_LABELS[TOTAL]))
    return OutcomesReport(
        filters=filters,
        as_of=as_of,
        total=total,
        by_facility=[row],
        by_category=_sorted_categories(table.facility_categories[row.key]),
    )


def _sorted_categories(groups: dict[str, OutcomeGroup]) -> list[OutcomeGroup]:
    return sorted(groups.values(), key=lambda g: (g.key == NO_CATEGORY, g.key))


@dataclass
class ScopeTable:
    """Every figure a user may ask for in one period and measure: the scope's total and
    categories, each facility, and each facility's categories (the categories of a
    one-facility report)."""

    total: OutcomeGroup
    by_facility: dict[str, OutcomeGroup]
    by_category: dict[str, OutcomeGroup]
    facility_categories: dict[str, dict[str, OutcomeGroup]]
    active: set[str]

    @classmethod
    def empty(cls, facilities: list[Facility]) -> ScopeTable:
        return cls(
            total=OutcomeGroup(TOTAL, TOTAL, TOTAL, str(BREAKDOWN_LABELS[TOTAL])),
            by_facility={str(f.pk): OutcomeGroup("facility", str(f.pk), f.code, f.name) for f in facilities},
            by_category={},
            facility_categories={str(f.pk): {} for f in facilities},
            active={str(f.pk) for f in facilities if f.is_active},
        )

    @classmethod
    def count(
        cls, facilities: list[Facility], per_patient: list[PatientOutcome], categories: dict[int, list[str]]
    ) -> ScopeTable:
        table = cls.empty(facilities)
        for patient_id, facility_id, outcomes in per_patient:
            table.add(patient_id, facility_id, outcomes, categories)
        return table

    def add(
        self,
        patient_id: int,
        facility_id: int,
        outcomes: tuple[Outcome, ...] | None,
        categories: Mapping[int, list[str]],
    ) -> None:
        """Count one patient: in the total, their facility's row and each of their categories."""
        _count(self.total, outcomes)
        _count(self.by_facility[str(facility_id)], outcomes)
        for code in categories.get(patient_id) or [NO_CATEGORY]:
            for groups in (self.by_category, self.facility_categories[str(facility_id)]):
                group = groups.get(code)
                if group is None:
                    group = groups[code] = OutcomeGroup("category", code, code, _category_label(code))
                _count(group, outcomes)

    def rows(self) -> Iterator[tuple[str, OutcomeGroup]]:
        """Every group with a key unique in the table ("total", "facility:3", "category:MG30.0",
        "facility:3:MG30.0")."""
        yield TOTAL, self.total
        for key, group in self.by_facility.items():
            yield f"facility:{key}", group
            for code, sub in self.facility_categories[key].items():
                yield f"facility:{key}:{code}", sub
        for code, group in self.by_category.items():
            yield f"category:{code}", group


Cell = tuple[str, int, str]  # (row key in ``ScopeTable.rows``, months (0: the group itself), count)
PeriodCell = tuple[str, str, int, str]  # (period key, then a ``Cell``)


def suppress_small_numbers(table: ScopeTable, minimum: int) -> None:
    """``suppress_in_periods`` for one table alone."""
    suppress_in_periods({"": table}, minimum, ())


def suppress_in_periods(tables: Mapping[str, ScopeTable], minimum: int, periods: Iterable[Period]) -> None:
    """Mark the counts under ``minimum`` hidden, and enough others that none comes back by subtraction.

    The sums a user can see (nyeri/lib/suppression.py hides on all of them at once): in every
    group and follow-up point, patients = baseline of 0 + not yet due + assessed + not
    assessed; every count of the total = the sum of that count over the facilities, and
    (taken as a sum, although a patient may have two categories) over the chronic pain
    categories; and the same for each facility's categories: the count of a category in the
    scope = its sum over the facilities, a facility's count = its sum over its categories.

    ``tables`` holds one table per period key; across them, each cell of a period of
    ``periods`` = the sum of that cell over its parts (a year's quarters, a quarter's
    months: ``Period.parts``), so that a month cannot be had from its quarter less the
    other two months.
    """
    values: dict[PeriodCell, int] = {}
    relations: list[Relation[PeriodCell]] = []
    for period, table in tables.items():
        relations += _table_sums(period, table, values)
    for nested in periods:
        parts = [part.key for part in nested.parts()]
        if not parts:
            continue
        for cell in [c for c in values if c[0] == nested.key]:
            _key, row, months, name = cell
            shown_in = tuple((p, row, months, name) for p in parts if (p, row, months, name) in values)
            relations.append(Relation(cell, shown_in))
    hidden = cells_to_hide(values, relations, minimum)
    for period, table in tables.items():
        for row, group in table.rows():
            group.hidden = {name for name in GROUP_COUNTS if (period, row, 0, name) in hidden}
            for figures in group.follow_ups:
                figures.hidden = {name for name in FOLLOW_UP_COUNTS if (period, row, figures.months, name) in hidden}


def _table_sums(period: str, table: ScopeTable, values: dict[PeriodCell, int]) -> list[Relation[PeriodCell]]:
    """The counts of one period's table (added to ``values``) and the sums within it."""
    relations: list[Relation[PeriodCell]] = []
    rows = dict(table.rows())
    for row, group in rows.items():
        for name in GROUP_COUNTS:
            values[(period, row, 0, name)] = getattr(group, name)
        for figures in group.follow_ups:
            for name in FOLLOW_UP_COUNTS:
                values[(period, row, figures.months, name)] = getattr(figures, name)
            parts = [(period, row, 0, "baseline_zero")] + [(period, row, figures.months, n) for n in PATIENT_PARTS]
            relations.append(Relation((period, row, 0, "patients"), tuple(parts)))
    cells = [(months, name) for (_p, row, months, name) in values if _p == period and row == TOTAL]

    def sums(total: str, parts: list[str]) -> None:
        for months, name in cells:
            relations.append(Relation((period, total, months, name), tuple((period, p, months, name) for p in parts)))

    sums(TOTAL, [f"facility:{key}" for key in table.by_facility])
    sums(TOTAL, [f"category:{code}" for code in table.by_category])
    for code in table.by_category:
        sums(
            f"category:{code}",
            [f"facility:{key}:{code}" for key in table.by_facility if code in table.facility_categories[key]],
        )
    for key, own in table.facility_categories.items():
        sums(f"facility:{key}", [f"facility:{key}:{code}" for code in own])
    return relations


def _category_label(code: str) -> str:
    if code == NO_CATEGORY:
        return _("No chronic pain category")
    return f"{code} {catalogue.icd11_title(code)}"
