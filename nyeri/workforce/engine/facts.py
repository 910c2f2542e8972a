"""What the engine knows about people: loaded in bulk, a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import Case, DecimalField, Q, QuerySet, Sum, When

from nyeri.tenancy.models import Facility
from nyeri.workforce.engine.periods import months_before
from nyeri.workforce.kinds import CredentialStatus, HoursStatus, PrivilegeGrantStatus
from nyeri.workforce.models import (
    Credential,
    HoursEntry,
    Person,
    PersonFacility,
    PersonRole,
    PrivilegeGrant,
)

# SQLite allows 32,766 bound parameters per statement; stay well below.
CHUNK = 5000


class CredentialFact(NamedTuple):
    """One credential as the engine sees it (a tuple: a batch builds tens of thousands)."""

    id: int
    kind: str
    status: str
    issued_on: date
    expires_on: date | None
    specialty: str
    facility_id: int | None
    issuer_regency_code: str
    exam_passed_on: date | None
    hours: Decimal | None
    check_kind: str
    check_result: str
    valid_months: int | None
    employer_kind: str
    months: int | None


class GrantFact(NamedTuple):
    """A clinical privilege granted at a facility (a superseded grant is no fact)."""

    id: int
    privilege: str
    facility_id: int
    starts_on: date
    ends_on: date
    status: str


@dataclass(slots=True)
class PersonFacts:
    person_id: int
    roles: set[str] = field(default_factory=set)
    facility_ids: set[int] = field(default_factory=set)
    credentials: dict[str, list[CredentialFact]] = field(default_factory=lambda: defaultdict(list))
    # Verified hours with pain-clinic patients in the window of N months ending today.
    hours_in_window: dict[int, float] = field(default_factory=dict)
    # Clinical privileges granted, by privilege code; loaded only when an asked action needs one.
    grants: dict[str, list[GrantFact]] = field(default_factory=lambda: defaultdict(list))


# The columns of CredentialFact, in its order, then the person (dropped from the fact).
_CREDENTIAL_COLUMNS = (*CredentialFact._fields, "person_id")


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


People = QuerySet[Person] | Iterable[int]


def load_facts(
    people: People, *, today: date, hour_windows: Iterable[int], grants_at: int | None = None
) -> dict[int, PersonFacts]:
    """Roles, facilities, credentials and hours of ``people``.

    Given a queryset (say, everyone at a facility), 5 queries whatever the number of people,
    filtering by subquery; given ids, 4 queries per 5,000 of them (3 without hour windows).
    With ``grants_at`` (a facility), one more for the privileges granted there.
    """
    windows = sorted(set(hour_windows))
    if isinstance(people, QuerySet):
        ids = list(people.values_list("pk", flat=True))
        selections: Iterable[Any] = [people.values("pk")]
    else:
        ids = sorted(set(people))
        selections = _chunks(ids)
    facts = {pid: PersonFacts(pid) for pid in ids}
    # A batch builds tens of thousands of facts: the loops below avoid attribute look-ups
    # and constructor calls per row (tuple.__new__ takes the row's values as they are).
    new_fact = tuple.__new__
    for chunk in selections:
        for pid, role in PersonRole.objects.filter(person_id__in=chunk).values_list("person_id", "role"):
            facts[pid].roles.add(role)
        for pid, fid in PersonFacility.objects.filter(person_id__in=chunk).values_list("person_id", "facility_id"):
            facts[pid].facility_ids.add(fid)
        rows = (
            Credential.objects.filter(person_id__in=chunk)
            .exclude(status=CredentialStatus.REJECTED)
            .values_list(*_CREDENTIAL_COLUMNS)
        )
        for row in rows:
            facts[row[-1]].credentials[row[1]].append(new_fact(CredentialFact, row[:-1]))
        if windows:
            load_hours(facts, chunk, today=today, windows=windows)
        if grants_at is not None:
            load_grants(facts, chunk, facility_id=grants_at)
    return facts


_GRANT_COLUMNS = (*GrantFact._fields, "person_id")


def load_grants(facts: dict[int, PersonFacts], people: Any, *, facility_id: int) -> None:
    """The privileges granted to ``people`` (ids, or a subquery of them) at the facility, into
    their facts: one query. A grant replaced at re-credentialing is left out."""
    rows = (
        PrivilegeGrant.objects.filter(Q(person_id__in=people), facility_id=facility_id)
        .exclude(status=PrivilegeGrantStatus.SUPERSEDED)
        .values_list(*_GRANT_COLUMNS)
    )
    new_fact = tuple.__new__
    for row in rows:
        facts[row[-1]].grants[row[1]].append(new_fact(GrantFact, row[:-1]))


def required_privileges(facility: Facility) -> frozenset[str]:
    """The privileges the facility requires (kept on the facility row: no query)."""
    return frozenset(facility.required_privileges or ())


def load_hours(facts: dict[int, PersonFacts], people: Any, *, today: date, windows: Sequence[int]) -> None:
    """Verified hours of ``people`` (ids, or a subquery of them) in each window of months
    ending ``today``, into their facts: one query."""
    sums = {
        f"w{w}": Sum(
            Case(
                When(worked_on__gt=months_before(today, w), then="hours"),
                default=Decimal(0),
                output_field=DecimalField(max_digits=12, decimal_places=2),
            )
        )
        for w in windows
    }
    oldest = months_before(today, max(windows))
    hour_rows = (
        HoursEntry.objects.filter(
            Q(person_id__in=people), status=HoursStatus.VERIFIED, worked_on__gt=oldest, worked_on__lte=today
        )
        .values("person_id")
        .annotate(**sums)
    )
    for row in hour_rows:
        facts[row["person_id"]].hours_in_window.update({w: float(row[f"w{w}"] or 0) for w in windows})
