"""Ongoing professional practice evaluation (OPPE): each practitioner's own care over a period,
beside the peers of the same role, with the policy pack's flags for the committee's review.

For each practitioner (a professional record with a clinical role) and period, at the
facilities the reader's scope covers (or the one chosen):

* **procedures** performed (the current version of each performance; records entered in
  error left out) and how many had at least one complication;
* **prescriptions** signed, those with an opioid (an MME per day), those whose patient
  total reached the justification threshold (``[opioids] mme_justify``) and, of these, how
  many carry no justification;
* **engine refusals**: the requirements engine's ``permission_denied`` audit rows of the
  practitioner's account (the door's basis "... refused for person ...");
* **break-glass** uses started in the period, and those reviewed as not justified;
* **relief**: of the outcomes report's cohort (patients whose baseline falls in the period,
  the same rules: ``nyeri.clinical.outcomes``), the patients the practitioner cared for in
  the period (performed a procedure on, or signed a prescription for), and how many of them
  had at least 30 % and 50 % less pain at 3 and 6 months (of those assessed).

Reads: 7 queries whatever the number of practitioners or rows (the facilities; one
aggregate per source grouped by practitioner, procedures and prescriptions also by patient,
which gives the pairs of care; the cohort's values; the practitioners and their roles).
Not audited here: the callers record the read.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.breakglass.models import BreakGlassGrant, ReviewOutcome
from nyeri.clinical.outcomes.responders import FOLLOW_UP_MONTHS, ResponderLevel, share_percent
from nyeri.clinical.outcomes.selectors import (
    DEFAULT_MEASURE,
    UNKNOWN_FACILITY,
    OutcomeFilters,
    PatientOutcome,
    cohort_outcomes,
    report_facilities,
    report_facility,
)
from nyeri.evaluation.access import ensure_practice_review
from nyeri.lib.periods import Period, ended_years, is_ended_year, last_ended_year, parse_period, period_of_dates
from nyeri.lib.sql import plain_rows
from nyeri.lib.suppression import Relation, cells_to_hide, hidden_text, shown_counts, small_number_minimum
from nyeri.prescriptions.models import Prescription
from nyeri.procedures.kinds import ProcedureStatus
from nyeri.procedures.models import ProcedurePerformance
from nyeri.tenancy.clock import local_date, period_bounds
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from nyeri.workforce.models import PersonRole
from nyeri.workforce.policy.loader import pack_for
from nyeri.workforce.policy.schema import PracticeEvaluation as Thresholds

# The requirements engine's refusals: the door's audit basis reads "<action> refused for
# person <id> at facility <id> by <pack>: <codes>" (nyeri/workforce/door.py, ``check``).
# A role check or a not-found answer is another kind of denial, not the engine's.
ENGINE_REFUSAL_MARK = " refused for person "
# The follow-up point whose share of responders the relief flag judges.
RELIEF_MONTHS = FOLLOW_UP_MONTHS[0]
# The counts of patients (hidden under ``SMALL_NUMBER_MINIMUM``); the other counts are of
# procedures, prescriptions and events, which name no patient.
RELIEF_COUNTS = ("assessed", "moderate", "substantial")


# --- Filters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvaluationFilters:
    """The period (both ends included, on the facility's day; all facilities: the installation's) and where.

    The page, the CSV, the API and the committee's file ask for whole calendar years only
    (``resolve_filters``, ``committee_filters``); the selector itself counts any two dates.
    """

    date_from: date
    date_to: date
    facility: Facility | None = None

    @property
    def period(self) -> Period | None:
        """The calendar period of the dates, if they are one."""
        return period_of_dates(self.date_from, self.date_to)

    def describe(self) -> str:
        """For the audit trail."""
        where = f"facility {self.facility.pk}" if self.facility is not None else "all facilities"
        return f"period {self.date_from.isoformat()}..{self.date_to.isoformat()}; {where}"

    def cohort(self) -> OutcomeFilters:
        """The outcomes report's question for the same period and place (NRS)."""
        return OutcomeFilters(self.date_from, self.date_to, DEFAULT_MEASURE, self.facility)


UNKNOWN_YEAR = gettext_lazy(
    "Choose a year from the list: the evaluation is of whole calendar years that have ended (2025). "
    "Periods of any other length could be subtracted from one another."
)


def default_period(today: date) -> Period:
    """The last calendar year that has ended by ``today`` (The Joint Commission: data reviewed at
    least every 12 months; a whole year, so that no two evaluations differ by a few days)."""
    return last_ended_year(today)


def resolve_filters(
    scope: Scope,
    *,
    facility_id: int | None = None,
    period: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    today: date | None = None,
) -> EvaluationFilters:
    """Checked filters, or a ValidationError naming ``facility``, ``period``, ``from`` or ``to``.

    The period is a calendar year that has ended at the facility (all facilities: on the
    installation's day), "2025"; without one, the last ended year (``default_period``). Dates
    (``from``, ``to``), a quarter, a month or a year not yet ended are refused, each under its
    own name: two evaluations of overlapping periods, or of a year still growing, could be
    subtracted from one another to give a hidden count back (docs/oppe.md, "Periods").
    """
    errors: dict[str, str] = {}
    place = report_facility(scope, str(facility_id)) if facility_id is not None else None
    if facility_id is not None and place is None:
        errors["facility"] = str(UNKNOWN_FACILITY)
    for name, given in (("from", date_from), ("to", date_to)):
        if given is not None:
            errors[name] = str(UNKNOWN_YEAR)
    if date_from is not None and date_to is not None and (same := period_of_dates(date_from, date_to)) is not None:
        errors["from"] += " " + _("These dates are the period %(period)s.") % {"period": same.key}
    day = today or local_date(place)
    chosen = parse_period(period) if period else default_period(day)
    if chosen is None or not is_ended_year(chosen, day):
        errors["period"] = str(UNKNOWN_YEAR)
    if errors:
        raise ValidationError(errors)
    assert chosen is not None
    return EvaluationFilters(chosen.first, chosen.last, place)


def listed_years(today: date) -> list[Period]:
    """The years the page offers: those that have ended by ``today``, newest first."""
    return ended_years(today)


# --- Figures ----------------------------------------------------------------------------------


@dataclass
class Relief:
    """One follow-up point of a practitioner's patients: assessed, at least 30 %, at least 50 %."""

    months: int
    assessed: int = 0
    moderate: int = 0
    substantial: int = 0
    hidden: set[str] = field(default_factory=set)

    @property
    def moderate_percent(self) -> Decimal | None:
        return share_percent(self.moderate, self.assessed)

    @property
    def substantial_percent(self) -> Decimal | None:
        return share_percent(self.substantial, self.assessed)

    @property
    def shown(self) -> dict[str, int | str | Decimal | None]:
        """Each count or "< 5"; a share only when both its counts are shown (else one gives the other)."""
        return shown_counts(self, RELIEF_COUNTS, self.hidden, shares=("moderate", "substantial"), whole="assessed")


@dataclass
class Practitioner:
    """One practitioner's figures for the period (exact; ``shown_patients`` is what pages show)."""

    person_id: int
    name: str
    user_id: int | None = None
    roles: list[str] = field(default_factory=list)
    procedures: int = 0
    complicated: int = 0
    prescriptions: int = 0
    opioid_prescriptions: int = 0
    high_mme: int = 0
    high_mme_justified: int = 0
    engine_refusals: int = 0
    break_glass: int = 0
    break_glass_not_justified: int = 0
    # Patients of the cohort (baseline in the period) the practitioner cared for in the period.
    patients: int = 0
    relief: list[Relief] = field(default_factory=lambda: [Relief(months) for months in FOLLOW_UP_MONTHS])
    patients_hidden: bool = False

    @property
    def complication_percent(self) -> Decimal | None:
        return share_percent(self.complicated, self.procedures)

    @property
    def high_mme_unjustified(self) -> int:
        return self.high_mme - self.high_mme_justified

    @property
    def high_mme_percent(self) -> Decimal | None:
        """Prescriptions at or above the justification threshold, percent of those with an opioid."""
        return share_percent(self.high_mme, self.opioid_prescriptions)

    @property
    def shown_patients(self) -> int | str:
        return hidden_text() if self.patients_hidden else self.patients

    def at(self, months: int) -> Relief:
        return next(r for r in self.relief if r.months == months)


@dataclass(frozen=True)
class Flag:
    """Why the policy flags a practitioner for review: a stable code and the rule, in the user's language."""

    code: str
    message: str


@dataclass
class PeerRow:
    practitioner: Practitioner
    flags: list[Flag] = field(default_factory=list)


@dataclass
class PeerGroup:
    """The practitioners of one role side by side, with their medians (rates: of those with ``min_cases``)."""

    role: str
    label: str
    rows: list[PeerRow]
    medians: dict[str, Decimal | None]

    @property
    def flagged(self) -> int:
        return sum(1 for row in self.rows if row.flags)


@dataclass
class PracticeEvaluation:
    filters: EvaluationFilters
    as_of: datetime
    thresholds: Thresholds
    mme_justify: Decimal
    groups: list[PeerGroup]
    practitioners: dict[int, Practitioner]

    def rows(self) -> Iterator[tuple[PeerGroup, PeerRow]]:
        for group in self.groups:
            for row in group.rows:
                yield group, row


# --- Reading ----------------------------------------------------------------------------------


def pack_decimal(value: float) -> Decimal:
    number = Decimal(str(value))
    return number.quantize(Decimal(1)) if number == number.to_integral_value() else number


@dataclass(frozen=True)
class Window:
    """The period as a UTC range [start, end) at the facilities of one time zone."""

    places: tuple[int, ...]
    start: datetime
    end: datetime

    def q(self, place: str, moment: str) -> Q:
        """The rows of ``place`` (a facility id field) whose ``moment`` is in this window."""
        return Q(**{f"{place}__in": self.places, f"{moment}__gte": self.start, f"{moment}__lt": self.end})


def period_windows(facilities: Iterable[Facility], filters: EvaluationFilters, as_of: datetime) -> list[Window]:
    """The period on each facility's own calendar (WIB, WITA, WIT), one window per zone, none after ``as_of``."""
    by_zone: dict[str, list[Facility]] = defaultdict(list)
    for facility in facilities:
        by_zone[facility.time_zone].append(facility)
    windows = []
    for places in by_zone.values():
        start, end = period_bounds(places[0], filters.date_from, filters.date_to)
        windows.append(Window(tuple(f.pk for f in places), start, min(end, as_of)))
    return windows


def _within(windows: list[Window], place: str, moment: str) -> Q:
    found = Q(pk__in=[])
    for window in windows:
        found |= window.q(place, moment)
    return found


def _performances(scope: Scope, windows: list[Window]) -> Any:
    """The current version of every procedure performed in the period, at each facility on its day."""
    # NOT EXISTS rather than ``amended_by__isnull`` (a LEFT JOIN filtered on NULL): PostgreSQL
    # plans it as an anti-join and estimates its rows, so it hashes the records instead of
    # looking each one up in a nested loop it believed would run once.
    amended = ProcedurePerformance.objects.filter(amends=OuterRef("pk"))
    return (
        ProcedurePerformance.objects.filter(organization=scope.organization)
        .filter(_within(windows, "record__facility_id", "performed_at"))
        .filter(~Exists(amended))
        .exclude(record__status=ProcedureStatus.ENTERED_IN_ERROR)
        .order_by()
    )


def _signed(scope: Scope, windows: list[Window]) -> Any:
    """Prescriptions signed in the period, each facility on its day (cancelled later ones too: they were signed)."""
    return (
        Prescription.objects.filter(organization=scope.organization, prescriber__isnull=False)
        .filter(_within(windows, "facility_id", "signed_at"))
        .order_by()
    )


# (practitioner, patient, facility) of each act of care.
Pairs = set[tuple[int, int, int]]
# Per (practitioner, facility): the counts of a source.
PerPlace = dict[tuple[int, int], list[int]]


def _count_procedures(scope: Scope, windows: list[Window], cared: Pairs) -> PerPlace:
    """Per practitioner and facility: [procedures, with a complication]. Grouped by practitioner,
    patient *and facility*, so that the same scan gives the pairs of care (added to ``cared``)
    that relief needs, at each facility."""
    # A LEFT JOIN of the complications (a few hundred rows, hashed once), counted as distinct
    # performances (one may have several complications), rather than an EXISTS probed per
    # procedure, whose estimated cost also made PostgreSQL compile the query (JIT, ~0.1 s).
    rows = (
        _performances(scope, windows)
        .values("performer_id", "record__patient_id", "record__facility_id")
        .annotate(n=Count("id", distinct=True), complicated=Count("complications__performance_id", distinct=True))
        .values_list("performer_id", "record__patient_id", "record__facility_id", "n", "complicated")
    )
    counts: PerPlace = {}
    for person, patient, place, n, complicated in plain_rows(rows):
        cared.add((person, patient, place))
        figures = counts.setdefault((person, place), [0, 0])
        figures[0] += n
        figures[1] += complicated
    return counts


def _count_prescriptions(scope: Scope, windows: list[Window], justify_at: Decimal, cared: Pairs) -> PerPlace:
    """Per practitioner and facility: [signed, with an opioid, at or above ``justify_at``, of those
    justified]; grouped by patient too, like ``_count_procedures``."""
    high = Q(mme_total_per_day__gte=justify_at)
    rows = (
        _signed(scope, windows)
        .values("prescriber_id", "patient_id", "facility_id")
        .annotate(
            n=Count("id"),
            opioid=Count("id", filter=Q(mme_per_day__isnull=False)),
            high=Count("id", filter=high),
            justified=Count("id", filter=high & ~Q(justification="")),
        )
        .values_list("prescriber_id", "patient_id", "facility_id", "n", "opioid", "high", "justified")
    )
    counts: PerPlace = {}
    for person, patient, place, n, opioid, high_, justified in plain_rows(rows):
        cared.add((person, patient, place))
        totals = counts.setdefault((person, place), [0, 0, 0, 0])
        totals[0] += n
        totals[1] += opioid
        totals[2] += high_
        totals[3] += justified
    return counts


def _count_refusals(scope: Scope, windows: list[Window]) -> PerPlace:
    """Per account and facility: [engine refusals]."""
    rows = (
        AuditEvent.objects.filter(
            organization=scope.organization,
            action=AuditAction.PERMISSION_DENIED,
            actor__isnull=False,
            reason__contains=ENGINE_REFUSAL_MARK,
        )
        .filter(_within(windows, "facility_id", "occurred_at"))
        .order_by()
        .values("actor_id", "facility_id")
        .annotate(n=Count("id"))
        .values_list("actor_id", "facility_id", "n")
    )
    return {(actor, place): [n] for actor, place, n in rows}


def _in_view(counts: PerPlace, places: set[int]) -> dict[int, list[int]]:
    """The counts at ``places`` summed per practitioner (or account)."""
    summed: dict[int, list[int]] = {}
    for (who, place), figures in counts.items():
        if place in places:
            totals = summed.setdefault(who, [0] * len(figures))
            for n, value in enumerate(figures):
                totals[n] += value
    return summed


def _count_break_glass(scope: Scope, start: datetime, end: datetime) -> dict[int, tuple[int, int]]:
    # Emergency access is to a patient, not at a facility: counted wherever it happened.
    rows = (
        BreakGlassGrant.objects.filter(organization=scope.organization, starts_at__gte=start, starts_at__lt=end)
        .order_by()
        .values("user_id")
        .annotate(n=Count("id"), not_justified=Count("id", filter=Q(review_outcome=ReviewOutcome.NOT_JUSTIFIED)))
        .values_list("user_id", "n", "not_justified")
    )
    return {user: (n, not_justified) for user, n, not_justified in rows}


def _practitioners(
    scope: Scope, places: list[int], person_ids: Iterable[int], user_ids: Iterable[int], *, roles: frozenset[str]
) -> tuple[dict[int, Practitioner], dict[int, set[int]]]:
    """The practitioners with one of ``roles`` (the clinical roles the reader reviews) who work
    at ``places`` or acted there in the period, with those of their roles only, and the
    facilities of ``places`` each works at."""
    at_places = Q(person__facility_links__facility_id__in=places)
    acted = Q(person_id__in=sorted(set(person_ids))) | Q(person__user_id__in=sorted(set(user_ids)))
    rows = (
        PersonRole.objects.filter(organization=scope.organization, role__in=sorted(roles))
        .filter(at_places | acted)
        .order_by("person__full_name", "person_id", "role")
        .values_list("person_id", "person__full_name", "person__user_id", "role", "person__facility_links__facility_id")
        .distinct()
    )
    found: dict[int, Practitioner] = {}
    works_at: dict[int, set[int]] = defaultdict(set)
    wanted = set(places)
    for person_id, name, user_id, role, place in rows:
        practitioner = found.get(person_id)
        if practitioner is None:
            practitioner = found[person_id] = Practitioner(person_id, name, user_id)
        if role not in practitioner.roles:
            practitioner.roles.append(role)
        if place in wanted:
            works_at[person_id].add(place)
    return found, works_at


# The rows of the evaluation's table of patient counts: every facility of the reader's scope
# (the facility's id), and all of them together.
ALL_PLACES = 0
# Per (practitioner, row): the patients, then (assessed, moderate, substantial) at each follow-up point.
ReliefTable = dict[tuple[int, int], list[int]]


def _relief_table(cared: Pairs, cohort: list[PatientOutcome]) -> ReliefTable:
    """Each practitioner's patients of the cohort, at every facility and at all together: the
    outcomes report's verdicts, per patient, counted here.

    At a facility: the patients whose baseline was recorded there and whom the practitioner
    treated there (what the evaluation filtered on that facility shows). At all: the patients
    of the cohort the practitioner treated anywhere in the scope. A patient's baseline is at one
    facility, so the facilities' rows add up to at most the whole one.
    """
    width = len(FOLLOW_UP_MONTHS)
    # Per patient once: 1 (the patient), then (assessed, moderate, substantial) at each point.
    verdicts: dict[int, tuple[int, tuple[int, ...]]] = {}
    for patient, place, outcomes in cohort:
        flat: list[int] = [1]
        for outcome in outcomes or (None,) * width:
            if isinstance(outcome, ResponderLevel):
                flat += [1, outcome >= ResponderLevel.MODERATE, outcome >= ResponderLevel.SUBSTANTIAL]
            else:
                flat += [0, 0, 0]
        verdicts[patient] = (place, tuple(flat))
    table: ReliefTable = {}
    whole: dict[int, set[int]] = defaultdict(set)
    at_place: set[tuple[int, int, int]] = set()
    for person, patient, place in cared:
        found = verdicts.get(patient)
        if found is None:
            continue
        whole[person].add(patient)
        if found[0] == place:
            at_place.add((person, patient, place))
    for person, patients in whole.items():
        table[(person, ALL_PLACES)] = [sum(c) for c in zip(*(verdicts[p][1] for p in patients), strict=True)]
    for person, patient, place in at_place:
        row = table.setdefault((person, place), [0] * (1 + 3 * width))
        for n, value in enumerate(verdicts[patient][1]):
            row[n] += value
    return table


def _show_relief(practitioners: dict[int, Practitioner], table: ReliefTable, row: int, hidden: set[Any]) -> None:
    """The figures of ``row`` of the table (a facility, or ``ALL_PLACES``) with its hidden cells."""
    for person, p in practitioners.items():
        figures = table.get((person, row))
        if figures is None:
            continue
        p.patients = figures[0]
        p.patients_hidden = (person, row, 0, "patients") in hidden
        for n, relief in enumerate(p.relief):
            relief.assessed, relief.moderate, relief.substantial = figures[1 + 3 * n : 4 + 3 * n]
            relief.hidden = {name for name in RELIEF_COUNTS if (person, row, relief.months, name) in hidden}


def practice_evaluation(
    scope: Scope, filters: EvaluationFilters, *, as_of: datetime | None = None
) -> PracticeEvaluation:
    """The evaluation of every practitioner the reader may review for ``filters`` at ``as_of``
    (default: now). 7 queries; checks the reader's role (the compliance officer: everyone; a
    committee member: the roles their committee reviews); not audited here.

    Everything is read for every facility of the scope, each on its own calendar, whichever is
    asked for; the counts of patients are hidden on that whole table (``suppress_small_numbers``)
    and the evaluation shows the slice asked for, with the same cells hidden: the evaluation of
    one facility and that of all cannot be subtracted from each other.
    """
    reviewed = ensure_practice_review(scope)
    as_of = as_of or timezone.now()
    pack = pack_for(scope.organization.jurisdiction).pack
    thresholds = pack.practice_evaluation
    justify_at = pack_decimal(pack.opioids.mme_justify)
    facilities = list(report_facilities(scope))
    every = [facility.pk for facility in facilities]
    shown = {filters.facility.pk} if filters.facility is not None else set(every)
    windows = period_windows(facilities, filters, as_of)
    # Emergency access is to a patient, not at a facility: the installation's days.
    start, end = period_bounds(None, filters.date_from, filters.date_to)

    # (practitioner, patient, facility) of every procedure performed or prescription signed in the period.
    cared: Pairs = set()
    procedures = _count_procedures(scope, windows, cared)
    prescriptions = _count_prescriptions(scope, windows, justify_at, cared)
    refusals = _count_refusals(scope, windows)
    break_glass = _count_break_glass(scope, start, min(end, as_of))
    everyone, works_at = _practitioners(
        scope,
        every,
        [person for person, _place in [*procedures, *prescriptions]],
        [*(a for a, _ in refusals), *break_glass],
        roles=reviewed,
    )
    view_procedures, view_prescriptions = _in_view(procedures, shown), _in_view(prescriptions, shown)
    view_refusals = _in_view(refusals, shown)
    acted = {*view_procedures, *view_prescriptions}
    acted_users = {*view_refusals, *break_glass}
    practitioners = {
        person: p
        for person, p in everyone.items()
        if works_at.get(person, set()) & shown or person in acted or p.user_id in acted_users
    }

    by_user = {p.user_id: p for p in practitioners.values() if p.user_id is not None}
    for person_id, (n, complicated) in view_procedures.items():
        if (p := practitioners.get(person_id)) is not None:
            p.procedures, p.complicated = n, complicated
    for person_id, (n, opioid, high, justified) in view_prescriptions.items():
        if (p := practitioners.get(person_id)) is not None:
            p.prescriptions, p.opioid_prescriptions, p.high_mme, p.high_mme_justified = n, opioid, high, justified
    for user_id, (n,) in view_refusals.items():
        if (p := by_user.get(user_id)) is not None:
            p.engine_refusals = n
    for user_id, (n, not_justified) in break_glass.items():
        if (p := by_user.get(user_id)) is not None:
            p.break_glass, p.break_glass_not_justified = n, not_justified
    table = _relief_table(cared, cohort_outcomes(scope, filters.cohort(), as_of, facilities))
    hidden = suppress_small_numbers(table, every, small_number_minimum())
    _show_relief(practitioners, table, filters.facility.pk if filters.facility is not None else ALL_PLACES, hidden)
    groups = _peer_groups(practitioners.values(), thresholds, justify_at)
    return PracticeEvaluation(filters, as_of, thresholds, justify_at, groups, practitioners)


def practitioner_evaluation(
    scope: Scope, person_id: int, filters: EvaluationFilters, *, as_of: datetime | None = None
) -> tuple[Practitioner, list[tuple[PeerGroup, PeerRow]]] | None:
    """One practitioner's figures, and each of their roles' peer group with their flags: for a
    committee's file (re-credentialing, a privilege request). None when the practitioner is not
    among those of the scope. The same 7 queries: the peers' medians need the peers."""
    evaluation = practice_evaluation(scope, filters, as_of=as_of)
    practitioner = evaluation.practitioners.get(person_id)
    if practitioner is None:
        return None
    return practitioner, [(g, r) for g, r in evaluation.rows() if r.practitioner.person_id == person_id]


# --- Small numbers, peers and flags -----------------------------------------------------------


def suppress_small_numbers(table: ReliefTable, places: list[int], minimum: int) -> set[Any]:
    """The cells of ``table`` to hide: the counts of patients under ``minimum`` (nyeri/lib/suppression.py)
    and enough others that no evaluation subtracted from another gives one back.

    A cell is (practitioner, row, months (0: the patients), count). A patient counts for every
    practitioner who treated them, so no sum runs across practitioners; within one, each count
    of all the facilities = its sum over ``places`` + the rest (patients whose baseline was at
    another facility than the care: never shown, but all less the facilities would give it):
    the same sums, hidden on the whole table, as the outcomes report's facilities.
    """
    values: dict[tuple[int, int, int, str], int] = {}
    relations: list[Relation[tuple[int, int, int, str]]] = []
    names = [(0, "patients")] + [(months, name) for months in FOLLOW_UP_MONTHS for name in RELIEF_COUNTS]
    for (person, row), figures in table.items():
        for (months, name), value in zip(names, figures, strict=True):
            values[(person, row, months, name)] = value
    for person in {person for person, row in table if row == ALL_PLACES}:
        whole = table[(person, ALL_PLACES)]
        parts = [place for place in places if (person, place) in table]
        for n, (months, name) in enumerate(names):
            rest = whole[n] - sum(table[(person, place)][n] for place in parts)
            values[(person, -1, months, name)] = rest
            cells = tuple((person, place, months, name) for place in [*parts, -1])
            relations.append(Relation((person, ALL_PLACES, months, name), cells))
    return cells_to_hide(values, relations, minimum)


def _median(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return Decimal(statistics.median(values)).quantize(Decimal("0.1"))


def _medians(practitioners: list[Practitioner], minimum: int) -> dict[str, Decimal | None]:
    """The peers' medians: each rate over those with at least ``minimum`` cases, each count over all."""
    return {
        "complication_percent": _median(
            [
                p.complication_percent
                for p in practitioners
                if p.procedures >= minimum and p.complication_percent is not None
            ]
        ),
        "high_mme_percent": _median(
            [
                p.high_mme_percent
                for p in practitioners
                if p.opioid_prescriptions >= minimum and p.high_mme_percent is not None
            ]
        ),
        "moderate_percent": _median(
            [
                r.moderate_percent
                for p in practitioners
                if (r := p.at(RELIEF_MONTHS)).assessed >= minimum and r.moderate_percent is not None
            ]
        ),
        "procedures": _median([Decimal(p.procedures) for p in practitioners]),
        "prescriptions": _median([Decimal(p.prescriptions) for p in practitioners]),
        "engine_refusals": _median([Decimal(p.engine_refusals) for p in practitioners]),
        "break_glass": _median([Decimal(p.break_glass) for p in practitioners]),
    }


def _above_peers(value: Decimal | None, median: Decimal | None, multiple: float) -> bool:
    return value is not None and median is not None and median > 0 and value > median * pack_decimal(multiple)


def flags_for(p: Practitioner, medians: dict[str, Decimal | None], t: Thresholds, justify_at: Decimal) -> list[Flag]:
    """The policy's reasons to review ``p`` (exact figures; the messages name rules, not patients)."""
    flags: list[Flag] = []
    enough_procedures = p.procedures >= t.min_cases
    if enough_procedures and p.complication_percent is not None:
        if p.complication_percent > pack_decimal(t.complication_percent_above):
            limit = pack_decimal(t.complication_percent_above)
            flags.append(
                Flag(
                    "complications",
                    _("More than %(limit)s %% of the procedures had a complication.") % {"limit": limit},
                )
            )
        elif _above_peers(p.complication_percent, medians["complication_percent"], t.peer_multiple_above):
            flags.append(
                Flag(
                    "complications_peers",
                    _("The complication rate is more than %(multiple)s times the peers' median.")
                    % {"multiple": pack_decimal(t.peer_multiple_above)},
                )
            )
    relief = p.at(RELIEF_MONTHS)
    limit = pack_decimal(t.moderate_relief_percent_below)
    if relief.assessed >= t.min_cases and relief.moderate_percent is not None and relief.moderate_percent < limit:
        flags.append(
            Flag(
                "relief",
                _("Fewer than %(limit)s %% of the patients assessed at %(months)s months had at least 30 %% less pain.")
                % {"limit": limit, "months": RELIEF_MONTHS},
            )
        )
    if p.high_mme_unjustified > t.unjustified_high_mme_above:
        flags.append(
            Flag(
                "unjustified_mme",
                _("Prescriptions at or above %(threshold)s MME/day were signed without a justification.")
                % {"threshold": justify_at},
            )
        )
    if p.opioid_prescriptions >= t.min_cases and _above_peers(
        p.high_mme_percent, medians["high_mme_percent"], t.peer_multiple_above
    ):
        flags.append(
            Flag(
                "high_mme_peers",
                _("Prescriptions at or above %(threshold)s MME/day: over %(multiple)s times the peers' median share.")
                % {"threshold": justify_at, "multiple": pack_decimal(t.peer_multiple_above)},
            )
        )
    if p.engine_refusals > t.engine_refusals_above:
        flags.append(
            Flag(
                "engine_refusals",
                _("The requirements engine refused more than %(limit)s actions.") % {"limit": t.engine_refusals_above},
            )
        )
    if p.break_glass_not_justified > t.break_glass_not_justified_above:
        flags.append(
            Flag(
                "break_glass",
                _("More than %(limit)s emergency accesses were reviewed as not justified.")
                % {"limit": t.break_glass_not_justified_above},
            )
        )
    return flags


def _peer_groups(practitioners: Iterable[Practitioner], t: Thresholds, justify_at: Decimal) -> list[PeerGroup]:
    """One group per clinical role, in the role catalogue's order; a practitioner with two roles is in both."""
    by_role: dict[str, list[Practitioner]] = defaultdict(list)
    for p in practitioners:
        for role in p.roles:
            by_role[role].append(p)
    groups: list[PeerGroup] = []
    for role in Role:
        peers = by_role.get(role.value)
        if not peers:
            continue
        medians = _medians(peers, t.min_cases)
        rows = [PeerRow(p, flags_for(p, medians, t, justify_at)) for p in peers]
        groups.append(PeerGroup(role.value, str(role.label), rows, medians))
    return groups
