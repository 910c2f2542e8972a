"""Credentials about to expire or just expired: the dashboard's rows and the renewals on file."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from django.utils import timezone

from nyeri.tenancy.clock import local_date
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from nyeri.workforce.access import scoped_credentials
from nyeri.workforce.kinds import CredentialKind, CredentialStatus
from nyeri.workforce.models import Credential, PersonFacility, SourceVerification
from nyeri.workforce.skp.selectors import SkpPeriod, SkpProgress, progress_for

AHEAD_DAYS = 90
RECENTLY_EXPIRED_DAYS = 30
# SQLite allows 32,766 bound parameters per statement; stay well below.
CHUNK = 5000


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _line(c: Credential) -> tuple[int, str, int | None, str, str]:
    # Two credentials are the same "line" when a renewal of one replaces the other: same
    # person and kind, and for a SIP the same place, for a residency the same specialty, ...
    return (c.person_id, c.kind, c.facility_id, c.specialty, c.check_kind)


def renewed_ids(organization: Organization, credentials: Sequence[Credential]) -> set[int]:
    """Those of ``credentials`` for which a verified renewal valid for longer is on file.

    (A SIP renewed before it runs out needs no reminder.) One query per 5,000 people.
    """
    if not credentials:
        return set()
    person_ids = sorted({c.person_id for c in credentials})
    kinds = sorted({c.kind for c in credentials})
    longest: dict[tuple[int, str, int | None, str, str], date | None] = {}
    for chunk in _chunks(person_ids):
        others = Credential.objects.filter(
            organization=organization, status=CredentialStatus.VERIFIED, person_id__in=chunk, kind__in=kinds
        ).only("pk", "person_id", "kind", "facility_id", "specialty", "check_kind", "expires_on")
        for other in others:
            key = _line(other)
            if key not in longest or _later(other.expires_on, longest[key]):
                longest[key] = other.expires_on
    renewed = set()
    for c in credentials:
        best = longest.get(_line(c), c.expires_on)
        if _later(best, c.expires_on):
            renewed.add(c.pk)
    return renewed


def _later(a: date | None, b: date | None) -> bool:
    """Whether validity to ``a`` outlasts validity to ``b`` (None: it does not expire)."""
    if a is None:
        return b is not None
    return b is not None and a > b


@dataclass(frozen=True, slots=True)
class ExpiringRow:
    credential: Credential
    days_left: int  # negative: expired that many days ago
    renewed: bool

    @property
    def expired(self) -> bool:
        return self.days_left < 0

    @property
    def days_ago(self) -> int:
        return -self.days_left


@dataclass(slots=True)
class FacilityGroup:
    facility: Facility | None  # None: people not linked to any facility
    rows: list[ExpiringRow] = field(default_factory=list)


def may_see_expiring(scope: Scope) -> bool:
    return scope.has_role(Role.CREDENTIALING_OFFICER, Role.ADMINISTRATOR)


def expiring_credentials(
    scope: Scope,
    *,
    today: date | None = None,
    ahead_days: int = AHEAD_DAYS,
    behind_days: int = RECENTLY_EXPIRED_DAYS,
) -> list[FacilityGroup]:
    """Credentials expiring within ``ahead_days`` or expired within ``behind_days``, by facility.

    A practice permit (SIP) is listed under its own facility; any other credential under
    each facility where its person works. Facilities by name, rows by expiry date. Three
    queries whatever the number of credentials (for up to 5,000 people).
    """
    if not may_see_expiring(scope):
        raise PermissionDenied
    # Days left are counted from each facility's own day (``today``, when given, for all);
    # the query spares two days either side for the zones, the rows are cut per facility.
    moment = timezone.now()
    base = today or local_date(None, moment)
    credentials = list(
        Credential.objects.filter(
            organization=scope.organization,
            expires_on__gte=base - timedelta(days=behind_days + 2),
            expires_on__lte=base + timedelta(days=ahead_days + 2),
        )
        # Verified ones not yet marked expired by the watch count as expired too.
        .filter(Q(status=CredentialStatus.VERIFIED) | Q(status=CredentialStatus.EXPIRED))
        .select_related("person", "facility")
        .order_by("expires_on", "person__full_name", "pk")
    )
    if not credentials:
        return []
    links: dict[int, list[Facility]] = defaultdict(list)
    person_ids = sorted({c.person_id for c in credentials})
    for chunk in _chunks(person_ids):
        for link in PersonFacility.objects.filter(organization=scope.organization, person_id__in=chunk).select_related(
            "facility"
        ):
            links[link.person_id].append(link.facility)
    renewed = renewed_ids(scope.organization, credentials)
    groups: dict[int | None, FacilityGroup] = {}
    for c in credentials:
        assert c.expires_on is not None
        places: list[Facility | None] = [c.facility] if c.facility is not None else [*links.get(c.person_id, [])]
        if not places:
            places = [None]
        for place in places:
            if place is None and scope.facility_ids is not None:
                continue
            if place is not None and not scope.covers_facility(place.pk):
                continue
            days_left = (c.expires_on - (today or local_date(place, moment))).days
            if not -behind_days <= days_left <= ahead_days:
                continue
            key = place.pk if place is not None else None
            groups.setdefault(key, FacilityGroup(place)).rows.append(ExpiringRow(c, days_left, c.pk in renewed))
    return sorted(groups.values(), key=lambda g: (g.facility is None, g.facility.name if g.facility else ""))


@dataclass(frozen=True, slots=True)
class ReverifyRow:
    """A verified credential due to be checked at its source again (or never checked there)."""

    verification: SourceVerification
    days_left: int | None  # None: verified before sources were recorded, check at the next occasion

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0


REVERIFY_LIMIT = 500


def reverification_due(scope: Scope, *, today: date | None = None, ahead_days: int = AHEAD_DAYS) -> list[ReverifyRow]:
    """Verified credentials whose check at the source falls due within ``ahead_days`` (or is
    overdue), and those verified before sources were recorded; soonest first. One query."""
    if not may_see_expiring(scope):
        raise PermissionDenied
    base = today or local_date(None)
    rows = (
        SourceVerification.objects.filter(
            organization=scope.organization,
            credential__status=CredentialStatus.VERIFIED,
            credential__in=scoped_credentials(scope),
        )
        .filter(Q(reverify_by__lte=base + timedelta(days=ahead_days)) | Q(before_source_recording=True))
        .select_related("credential__person", "credential__facility")
        .order_by(F("reverify_by").asc(nulls_last=True), "credential__person__full_name", "pk")[:REVERIFY_LIMIT]
    )
    return [
        ReverifyRow(v, (v.reverify_by - (today or local_date(v.credential.facility))).days if v.reverify_by else None)
        for v in rows
    ]


def skp_for_expiring_permits(scope: Scope, groups: Sequence[FacilityGroup]) -> dict[int, SkpProgress]:
    """SKP progress of each practice permit listed in ``groups``, over that permit's own
    period (its renewal is what the credits are for), keyed by credential id. Four queries."""
    permits = {
        row.credential.pk: row.credential
        for group in groups
        for row in group.rows
        if row.credential.kind == CredentialKind.PRACTICE_PERMIT and row.credential.expires_on is not None
    }
    by_person: dict[int, SkpPeriod] = {}
    for permit in sorted(permits.values(), key=lambda c: (c.expires_on, c.pk)):
        assert permit.expires_on is not None
        by_person.setdefault(permit.person_id, SkpPeriod(permit, permit.issued_on, permit.expires_on))
    progress = progress_for(scope.organization, by_person)
    return {
        pk: progress[permit.person_id]
        for pk, permit in permits.items()
        if permit.person_id in progress and progress[permit.person_id].period.permit.pk == pk  # type: ignore[union-attr]
    }
