"""Reads of the hours ledger, scoped to the organization, with a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Case, DecimalField, Exists, OuterRef, Q, QuerySet, Sum, When
from django.http import Http404
from django.utils import timezone

from nyeri.lib.rows import PageRows, page_of
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from nyeri.workforce.engine.periods import months_before
from nyeri.workforce.hours import rules
from nyeri.workforce.kinds import HoursStatus
from nyeri.workforce.models import HoursEntry, Person, PersonFacility

# The windows a pain-nursing certification looks at (12 months; 2,000 hours in 36 months).
DEFAULT_WINDOWS: tuple[int, ...] = (12, 36)
LEDGER_PAGE_SIZE = 50
PENDING_LIMIT = 200

ZERO = Decimal("0.00")
_SUM: DecimalField[Decimal, Decimal] = DecimalField(max_digits=12, decimal_places=2)


@dataclass(frozen=True, slots=True)
class WindowTotal:
    months: int
    since: date  # exclusive: hours worked after this day count
    hours: Decimal


@dataclass(slots=True)
class FacilityTotals:
    facility_id: int
    facility_name: str
    windows: list[WindowTotal]
    pending: Decimal


@dataclass(slots=True)
class HoursTotals:
    """Verified hours of one person in rolling windows ending ``as_of``, per facility and overall.

    The windows are the engine's (``worked_on`` after ``months_before(as_of, n)`` and not
    after ``as_of``), so the totals shown are the totals the engine decides on.
    ``pending`` is submitted hours not yet verified (any date): they do not count yet.
    """

    person_id: int
    as_of: date
    windows: tuple[int, ...]
    facilities: list[FacilityTotals] = field(default_factory=list)
    overall: list[WindowTotal] = field(default_factory=list)
    pending: Decimal = ZERO


def _ensure_may_view(scope: Scope, person: Person) -> None:
    if person.organization_id != scope.organization.pk:
        # Callers fetch people through access_person; this is the wall behind it.
        raise Http404("No such person")
    if not rules.may_view_ledger(scope, person):
        raise PermissionDenied


def hours_totals(
    scope: Scope, person: Person, *, as_of: date | None = None, windows: tuple[int, ...] = DEFAULT_WINDOWS
) -> HoursTotals:
    """Totals per facility and window for ``person`` (one query)."""
    _ensure_may_view(scope, person)
    # A person's totals span every facility they work at: the installation's day (one
    # window for all; an hour either way at a window's edge changes no requirement).
    today = as_of or timezone.localdate()
    windows = tuple(sorted(set(windows)))
    starts = {w: months_before(today, w) for w in windows}
    verified = Q(status=HoursStatus.VERIFIED, worked_on__lte=today)
    sums = {
        f"w{w}": Sum(Case(When(verified & Q(worked_on__gt=starts[w]), then="hours"), default=ZERO, output_field=_SUM))
        for w in windows
    }
    sums["pending"] = Sum(Case(When(status=HoursStatus.SUBMITTED, then="hours"), default=ZERO, output_field=_SUM))
    oldest = min(starts.values()) if starts else today
    rows = (
        HoursEntry.objects.filter(organization=scope.organization, person=person)
        .filter((verified & Q(worked_on__gt=oldest)) | Q(status=HoursStatus.SUBMITTED))
        .values("facility_id", "facility__name")
        .annotate(**sums)
        .order_by("facility__name", "facility_id")
    )
    result = HoursTotals(person_id=person.pk, as_of=today, windows=windows)
    overall = dict.fromkeys(windows, ZERO)
    for row in rows:
        per_window = []
        for w in windows:
            amount = row[f"w{w}"] or ZERO
            overall[w] += amount
            per_window.append(WindowTotal(w, starts[w], amount))
        pending = row["pending"] or ZERO
        result.pending += pending
        result.facilities.append(FacilityTotals(row["facility_id"], row["facility__name"], per_window, pending))
    result.overall = [WindowTotal(w, starts[w], overall[w]) for w in windows]
    return result


def person_ledger(
    scope: Scope, person: Person, *, page: int | str = 1, per_page: int = LEDGER_PAGE_SIZE
) -> Page[HoursEntry]:
    """One page of ``person``'s entries, newest day first (two queries: a count and the rows)."""
    _ensure_may_view(scope, person)
    qs = (
        HoursEntry.objects.filter(organization=scope.organization, person=person)
        .select_related("facility", "entered_by", "decided_by")
        .order_by("-worked_on", "-pk")
    )
    return Paginator(qs, per_page).get_page(page)


def _pending(scope: Scope) -> QuerySet[HoursEntry]:
    if not rules.may_verify_any(scope):
        raise PermissionDenied
    qs: QuerySet[HoursEntry] = (
        HoursEntry.objects.filter(organization=scope.organization, status=HoursStatus.SUBMITTED)
        .exclude(person__user=scope.user)
        .exclude(entered_by=scope.user)
    )
    if scope.facility_ids is not None:
        qs = qs.filter(facility_id__in=scope.facility_ids)
    if not scope.has_role(Role.CREDENTIALING_OFFICER):
        works_here = PersonFacility.objects.filter(
            organization=scope.organization, person__user=scope.user, facility=OuterRef("facility")
        )
        qs = qs.filter(Exists(works_here))
    return qs.order_by("worked_on", "pk")


def pending_verification(scope: Scope, *, limit: int = PENDING_LIMIT) -> list[HoursEntry]:
    """Submitted entries the user may decide on, oldest day first (one query).

    The same rule as ``rules.decision_refusal``: not their own, not entered by them, at a
    facility of their membership; a physician sees only the facilities where they work.
    """
    return list(_pending(scope).select_related("person", "facility", "entered_by")[:limit])


# The columns of an entry in the API's lists (HoursOut).
HOURS_COLUMNS = (
    "id",
    "person_id",
    "facility_id",
    "worked_on",
    "hours",
    "source",
    "status",
    "note",
    "encounter_id",
    "entered_by_id",
    "entered_at",
    "decided_by_id",
    "decided_at",
)


def pending_rows(scope: Scope, *, offset: int = 0, limit: int = 50) -> PageRows:
    """``pending_verification`` for a list: one page of ``HOURS_COLUMNS`` (1 query)."""
    return page_of(_pending(scope), HOURS_COLUMNS, offset=offset, limit=limit)
