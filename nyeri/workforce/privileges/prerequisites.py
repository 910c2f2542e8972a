"""The engine's view of a privilege: its prerequisites for a person at a facility, and the
person's current grant. Reads only (the services and the pages call them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from nyeri.tenancy.clock import local_date
from nyeri.tenancy.models import Facility
from nyeri.workforce.engine.decisions import Unmet
from nyeri.workforce.engine.evaluate import Place, compile_requirement
from nyeri.workforce.engine.facts import load_facts
from nyeri.workforce.kinds import PrivilegeGrantStatus
from nyeri.workforce.models import PrivilegeGrant
from nyeri.workforce.policy.schema import HoursRequirement, OneOfRequirement
from nyeri.workforce.privileges.catalogue import PrivilegeEntry


@dataclass(frozen=True)
class Prerequisites:
    """Each prerequisite met or not (the engine's reason when not), and what was relied on."""

    met: tuple[bool, ...]
    unmet: tuple[Unmet, ...]
    relied_on: tuple[int, ...]
    # The index of each prerequisite in the catalogue entry (-1: working at the facility).
    indexes: tuple[int, ...]

    def as_list(self) -> list[dict[str, Any]]:
        """For the request's record: each prerequisite (by index) and whether it was met."""
        return [{"requirement": i, "met": met} for i, met in zip(self.indexes, self.met, strict=True)]


def _windows(entry: PrivilegeEntry) -> set[int]:
    found: set[int] = set()
    for req in entry.requires:
        options = req.options if isinstance(req, OneOfRequirement) else (req,)
        found.update(o.window_months for o in options if isinstance(o, HoursRequirement))
    return found


def check_prerequisites(
    person_id: int, entry: PrivilegeEntry, facility: Facility, *, at: datetime | None = None
) -> Prerequisites:
    """Evaluate ``entry``'s prerequisites for the person at the facility on its day (3-4 queries)."""
    today = local_date(facility, at or timezone.now())
    facts = load_facts([person_id], today=today, hour_windows=_windows(entry))[person_id]
    place = Place(facility.pk, facility.regency_code, facility.regency)
    met: list[bool] = []
    unmet: list[Unmet] = []
    relied: list[int] = []
    indexes: list[int] = []
    for i, req in enumerate(entry.requires):
        miss, used = compile_requirement(req, today, place)(facts)
        met.append(miss is None)
        indexes.append(i)
        if miss is not None:
            unmet.append(miss)
        relied.extend(used)
    # Working at the facility comes first, as in the engine's decisions.
    works_here = facility.pk in facts.facility_ids
    if not works_here:
        unmet.insert(0, Unmet("not_at_facility"))
    met.insert(0, works_here)
    indexes.insert(0, -1)
    return Prerequisites(tuple(met), tuple(unmet), tuple(sorted(set(relied))), tuple(indexes))


def current_grant(
    person_id: int, privilege: str, facility: Facility, *, at: datetime | None = None
) -> PrivilegeGrant | None:
    """The person's active grant of ``privilege`` at the facility on its day, if any (1 query)."""
    today = local_date(facility, at or timezone.now())
    return (
        PrivilegeGrant.objects.filter(
            person_id=person_id,
            facility=facility,
            privilege=privilege,
            status=PrivilegeGrantStatus.ACTIVE,
            starts_on__lte=today,
            ends_on__gte=today,
        )
        .order_by("-ends_on")
        .first()
    )
