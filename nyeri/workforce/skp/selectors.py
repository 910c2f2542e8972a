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
from django.utils.translation import gettext as _

from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.tenancy.clock import local_date
from nyeri.tenancy.models import Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from nyeri.workforce.credentials.evidence import open_stored
from nyeri.workforce.credentials.selectors import deny, reads_all_credentials
from nyeri.workforce.kinds import CredentialKind, CredentialStatus, HoursStatus
from nyeri.workforce.models import Credential, HoursEntry, Person, PersonRole, SkpActivity, SkpSetting
from nyeri.workforce.skp.policy import FACILITY_SETTING, HOURS_SETTING, Category, SkpPolicy, Total, skp_policy

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
# Someone is shown as behind when the share of credits earned trails the share of the
# period gone by this much (percentage points): time to plan, not yet a failure.
BEHIND_MARGIN = 10


@dataclass(frozen=True, slots=True)
class SkpTotal:
    """The total a role needs, as the organization counts it: the policy's, or the
    administrator's setting (always a facility setting, whatever the policy's basis)."""

    code: str
    credits: Decimal
    basis: str  # "regulation" or "facility_setting"
    source: str  # the policy's source of its own figure
    policy_credits: Decimal
    set_here: bool  # the organization's administrator set it

    @property
    def is_setting(self) -> bool:
        return self.basis == FACILITY_SETTING


@dataclass(frozen=True, slots=True)
class SkpFigures:
    """The policy and the organization's own settings of the figures it leaves to the facility."""

    policy: SkpPolicy
    settings: dict[str, Decimal]

    def total(self, roles: set[str] | frozenset[str]) -> SkpTotal | None:
        found = self.policy.total_for(roles)
        return self.resolve(found) if found is not None else None

    def resolve(self, total: Total) -> SkpTotal:
        own = self.settings.get(total.code)
        return SkpTotal(
            code=total.code,
            credits=own if own is not None else total.credits,
            basis=FACILITY_SETTING if own is not None else total.basis,
            source=total.source,
            policy_credits=total.credits,
            set_here=own is not None,
        )

    @property
    def hours_per_credit(self) -> Decimal:
        return self.settings.get(HOURS_SETTING, self.policy.service_hours_per_credit)

    @property
    def hours_is_setting(self) -> bool:
        return HOURS_SETTING in self.settings or self.policy.service_hours_basis == FACILITY_SETTING


def skp_figures(organization: Organization) -> SkpFigures | None:
    """The organization's SKP figures (one query); None where its jurisdiction keeps no SKP policy."""
    policy = skp_policy(organization.jurisdiction)
    if policy is None:
        return None
    rows = SkpSetting.objects.filter(organization=organization).values_list("code", "value")
    return SkpFigures(policy, dict(rows))


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
    # How the total and the hours' conversion were set: a regulation, or the facility's setting.
    needed_total: SkpTotal | None = None
    hours_per_credit: Decimal | None = None
    hours_is_setting: bool = True
    categories: list[CategoryProgress] = field(default_factory=list)
    as_of: date | None = None

    @property
    def total(self) -> Decimal:
        return sum((c.credits for c in self.categories), ZERO)

    @property
    def needed_is_setting(self) -> bool:
        """The total is the facility's setting, not a regulation (the pages and notices say so)."""
        return self.needed_total is not None and self.needed_total.is_setting

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


def credits_for_hours(figures: SkpFigures, hours: Decimal) -> Decimal:
    return (hours / figures.hours_per_credit).quantize(CENT, rounding=ROUND_DOWN)


def progress_for(
    organization: Organization, periods: dict[int, SkpPeriod], *, today: date | None = None
) -> dict[int, SkpProgress]:
    """The progress of each person with a period, by the organization's policy and settings:
    five queries whatever the number of people (the settings, their roles, activities and
    verified hours in the period)."""
    if not periods:
        return {}
    figures = skp_figures(organization)
    if figures is None:
        return {}
    policy = figures.policy
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
        total = figures.total(roles[person_id])
        needed = total.credits if total is not None else None
        from_hours = credits_for_hours(figures, hours[person_id])
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
            needed_total=total,
            hours_per_credit=figures.hours_per_credit,
            hours_is_setting=figures.hours_is_setting,
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
    figures = skp_figures(scope.organization)
    assert figures is not None
    total = figures.total({r for r in person.roles.values_list("role", flat=True)})
    return SkpProgress(
        person.pk,
        policy,
        None,
        total.credits if total else None,
        total.source if total else "",
        needed_total=total,
        hours_per_credit=figures.hours_per_credit,
        hours_is_setting=figures.hours_is_setting,
    )


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


@dataclass(frozen=True, slots=True)
class SettingRow:
    """One SKP figure on the settings page: the policy data's value and basis, the organization's own."""

    code: str
    label: str
    policy_value: Decimal
    is_setting: bool  # no regulation was found: the policy's figure is itself a facility setting
    source: str
    own: Decimal | None


def settings_rows(scope: Scope) -> tuple[SkpPolicy, list[SettingRow]] | None:
    """The figures an administrator may set, in the policy's order (one query); None where the
    jurisdiction keeps no SKP policy. Anyone but an administrator is refused (audited)."""
    if not scope.has_role(Role.ADMINISTRATOR):
        deny(scope, object_type="skp_setting", object_id="", reason="SKP settings: no role administrator")
    figures = skp_figures(scope.organization)
    if figures is None:
        return None
    policy = figures.policy
    rows = [
        SettingRow(
            total.code,
            _("Total for %(roles)s") % {"roles": ", ".join(str(Role(r).label) for r in total.roles)},
            total.credits,
            total.basis == FACILITY_SETTING,
            total.source,
            figures.settings.get(total.code),
        )
        for total in policy.totals
    ]
    rows.append(
        SettingRow(
            HOURS_SETTING,
            _("Hours of verified care per credit (service category)"),
            policy.service_hours_per_credit,
            policy.service_hours_basis == FACILITY_SETTING,
            policy.service_hours_source,
            figures.settings.get(HOURS_SETTING),
        )
    )
    return policy, rows
