"""Reads of the SKP ledger: a professional's activities and their progress toward the total
their next SIP renewal needs, with verified care hours counted in (never copied)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Any, BinaryIO

from django.db import transaction
from django.db.models import QuerySet, Sum
from django.http import Http404

from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.tenancy.clock import local_date
from nyeri.tenancy.models import Organization
from nyeri.tenancy.scope import Scope
from nyeri.workforce.credentials.evidence import open_stored
from nyeri.workforce.credentials.selectors import deny, reads_all_credentials
from nyeri.workforce.kinds import CredentialKind, CredentialStatus, HoursStatus
from nyeri.workforce.models import Credential, HoursEntry, Person, PersonRole, SkpActivity
from nyeri.workforce.skp.policy import Category, SkpPolicy, skp_policy

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
# Someone is shown as behind when the share of credits earned trails the share of the
# period gone by this much (percentage points): time to plan, not yet a failure.
BEHIND_MARGIN = 10


@dataclass(frozen=True, slots=True)
class SkpPeriod:
    """The five-year period credits count in: that of the SIP whose renewal comes first."""

    permit: Credential
    start: date
    end: date


@dataclass(frozen=True, slots=True)
class CategoryProgress:
    category: Category
    credits: Decimal  # recorded activities and, for the service category, credited hours
    from_hours: Decimal
    needed: Decimal | None  # the category's minimum share of the total

    @property
    def met(self) -> bool:
        return self.needed is not None and self.credits >= self.needed


@dataclass(slots=True)
class SkpProgress:
    person_id: int
    policy: SkpPolicy
    period: SkpPeriod | None
    needed: Decimal | None  # the role's total over the period (policy data), if the policy names one
    needed_source: str = ""
    hours: Decimal = ZERO  # verified care hours in the period
    categories: list[CategoryProgress] = field(default_factory=list)
    as_of: date | None = None

    @property
    def total(self) -> Decimal:
        return sum((c.credits for c in self.categories), ZERO)

    @property
    def percent(self) -> int | None:
        if not self.needed:
            return None
        return min(100, int(self.total * 100 / self.needed))

    @property
    def elapsed_percent(self) -> int | None:
        if self.period is None or self.as_of is None:
            return None
        length = (self.period.end - self.period.start).days or 1
        gone = (min(self.as_of, self.period.end) - self.period.start).days
        return max(0, min(100, gone * 100 // length))

    @property
    def complete(self) -> bool:
        return (
            self.needed is not None
            and self.total >= self.needed
            and all(c.met or c.needed is None for c in self.categories)
        )

    @property
    def behind(self) -> bool:
        """Credits trail the time gone by (not yet complete)."""
        percent, elapsed = self.percent, self.elapsed_percent
        return not self.complete and percent is not None and elapsed is not None and percent + BEHIND_MARGIN < elapsed


def may_read_ledger(scope: Scope, person: Person) -> bool:
    """The person themselves, credentialing officers and administrators."""
    return reads_all_credentials(scope) or (person.user_id is not None and person.user_id == scope.user.pk)


def check_ledger_access(scope: Scope, person: Person) -> None:
    if not may_read_ledger(scope, person):
        deny(scope, object_type="skp_ledger", object_id=person.pk, reason="not the person, no officer role")


def audit_ledger_read(scope: Scope, person: Person, *, purpose: str) -> None:
    """The READ row of a look at someone's SKP ledger or progress (one per request)."""
    with transaction.atomic():
        record_event(
            actor=scope.user,
            action=AuditAction.READ,
            organization=scope.organization,
            object_type="skp_ledger",
            object_id=person.pk,
            reason=purpose,
        )


def current_periods(
    organization: Organization, person_ids: Sequence[int], *, today: date | None = None
) -> dict[int, SkpPeriod]:
    """Each person's period: the verified SIP valid on the facility's day that expires first
    (its renewal comes first and needs the credits). One query."""
    permits = (
        Credential.objects.filter(
            organization=organization,
            person_id__in=list(person_ids),
            kind=CredentialKind.PRACTICE_PERMIT,
            status=CredentialStatus.VERIFIED,
            expires_on__isnull=False,
        )
        .select_related("facility")
        .order_by("expires_on", "pk")
    )
    found: dict[int, SkpPeriod] = {}
    for permit in permits:
        day = today or local_date(permit.facility)
        assert permit.expires_on is not None
        if permit.person_id in found or not permit.issued_on <= day <= permit.expires_on:
            continue
        found[permit.person_id] = SkpPeriod(permit, permit.issued_on, permit.expires_on)
    return found


def credits_for_hours(policy: SkpPolicy, hours: Decimal) -> Decimal:
    return (hours / policy.service_hours_per_credit).quantize(CENT, rounding=ROUND_DOWN)


def progress_for(
    organization: Organization, periods: dict[int, SkpPeriod], *, today: date | None = None
) -> dict[int, SkpProgress]:
    """The progress of each person with a period, by the organization's policy: four queries
    whatever the number of people (their roles, activities and verified hours in the period)."""
    policy = skp_policy(organization.jurisdiction)
    if policy is None or not periods:
        return {}
    ids = sorted(periods)
    first = min(p.start for p in periods.values())
    roles: dict[int, set[str]] = defaultdict(set)
    for person_id, role in PersonRole.objects.filter(person_id__in=ids).values_list("person_id", "role"):
        roles[person_id].add(role)
    earned: dict[tuple[int, str], Decimal] = defaultdict(lambda: ZERO)
    activities = SkpActivity.objects.filter(organization=organization, person_id__in=ids, done_on__gte=first)
    for person_id, code, done_on, credits in activities.values_list("person_id", "category", "done_on", "credits"):
        period = periods[person_id]
        if period.start <= done_on <= period.end:
            earned[(person_id, code)] += credits
    hours: dict[int, Decimal] = defaultdict(lambda: ZERO)
    worked = (
        HoursEntry.objects.filter(
            organization=organization, person_id__in=ids, status=HoursStatus.VERIFIED, worked_on__gte=first
        )
        .values("person_id", "worked_on")
        .annotate(total=Sum("hours"))
        .order_by()
    )
    for row in worked:
        period = periods[row["person_id"]]
        if period.start <= row["worked_on"] <= period.end:
            hours[row["person_id"]] += row["total"]
    result: dict[int, SkpProgress] = {}
    for person_id in ids:
        period = periods[person_id]
        total = policy.total_for(roles[person_id])
        needed = total.credits if total is not None else None
        from_hours = credits_for_hours(policy, hours[person_id])
        categories = []
        for category in policy.categories:
            extra = from_hours if category.from_hours else ZERO
            share = (needed * category.min_percent / 100).quantize(CENT) if needed is not None else None
            categories.append(CategoryProgress(category, earned[(person_id, category.code)] + extra, extra, share))
        result[person_id] = SkpProgress(
            person_id=person_id,
            policy=policy,
            period=period,
            needed=needed,
            needed_source=total.source if total is not None else "",
            hours=hours[person_id],
            categories=categories,
            as_of=today or local_date(period.permit.facility),
        )
    return result


def person_progress(scope: Scope, person: Person, *, today: date | None = None) -> SkpProgress | None:
    """One person's progress; None where the jurisdiction keeps no SKP policy. Without a
    current SIP the progress has no period and counts nothing."""
    check_ledger_access(scope, person)
    policy = skp_policy(scope.organization.jurisdiction)
    if policy is None:
        return None
    periods = current_periods(scope.organization, [person.pk], today=today)
    found = progress_for(scope.organization, periods, today=today)
    if person.pk in found:
        return found[person.pk]
    total = policy.total_for({r for r in person.roles.values_list("role", flat=True)})
    return SkpProgress(person.pk, policy, None, total.credits if total else None, total.source if total else "")


def ledger(scope: Scope, person: Person) -> QuerySet[SkpActivity]:
    """The person's activities, newest first (the caller pages them)."""
    check_ledger_access(scope, person)
    return SkpActivity.objects.filter(organization=scope.organization, person=person).order_by("-done_on", "-pk")


def activity_rows(activities: Sequence[SkpActivity]) -> list[dict[str, Any]]:
    return [
        {
            "id": a.pk,
            "person_id": a.person_id,
            "category": a.category,
            "title": a.title,
            "provider": a.provider,
            "credits": a.credits,
            "done_on": a.done_on,
            "certificate_number": a.certificate_number,
            "has_file": bool(a.evidence_storage_name),
            "entered_by_id": a.entered_by_id,
            "entered_at": a.entered_at,
        }
        for a in activities
    ]


def read_evidence(scope: Scope, activity_id: int) -> tuple[SkpActivity, BinaryIO]:
    """An activity's certificate file, opened, and its READ audit row; another
    organization's is *not found*, anyone but the person and officers is refused (audited)."""
    activity = (
        SkpActivity.objects.select_related("person")
        .filter(organization=scope.organization, pk=activity_id)
        .exclude(evidence_storage_name="")
        .first()
    )
    if activity is None:
        raise Http404("No such file")
    check_ledger_access(scope, activity.person)
    with transaction.atomic():
        record_event(
            actor=scope.user,
            action=AuditAction.READ,
            organization=scope.organization,
            object_type="skp_evidence",
            object_id=activity.pk,
            reason=f"person {activity.person_id}; {activity.content_type}; sha256 {activity.evidence_sha256}",
        )
    return activity, open_stored(activity)
