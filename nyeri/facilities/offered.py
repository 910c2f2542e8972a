"""The services a facility can offer, derived from its equipment, rooms and privileged staff.

A service of the catalogue (``catalogue.py``) is offered when each of its parts is met:
equipment in service (``FacilityInputs``), rooms in the profile, and for each staff part
someone working at the facility whom the requirements engine allows the action today
(``decide_many`` over everyone at the facility: a fixed number of queries). An unmet part
carries the catalogue's explanation in both languages, and details: the equipment's state
("1 under maintenance") or, for staff, the people holding a fitting role and the engine's
reasons each of them may not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from nyeri.facilities.catalogue import EquipmentPart, Part, RoomsPart, Service, ServiceCatalogue, StaffPart
from nyeri.facilities.inputs import FacilityInputs
from nyeri.facilities.models import EquipmentKind, EquipmentStatus
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import Role
from nyeri.workforce.engine import Decision, Unmet, decide_many
from nyeri.workforce.models import Person, PersonRole
from nyeri.workforce.policy.loader import CompiledPack
from nyeri.workforce.policy.schema import RoleRequirement


@dataclass(frozen=True)
class StaffFacts:
    """Who works at a facility and what the engine decided about them, loaded in bulk."""

    names: dict[int, str]
    roles: dict[int, frozenset[str]]
    # How many facilities of the organization each person works at.
    facility_counts: dict[int, int]
    decisions: dict[tuple[int, str], Decision]

    def people_with(self, roles: Iterable[str]) -> list[int]:
        wanted = set(roles)
        return [pid for pid in self.names if self.roles.get(pid, frozenset()) & wanted]


def people_at(facility: Facility) -> QuerySet[Person]:
    return Person.objects.filter(organization_id=facility.organization_id, facility_links__facility=facility)


def load_staff_facts(
    facility: Facility, actions: Iterable[str], *, jurisdiction: str, at: datetime | None = None
) -> StaffFacts:
    """Everyone working at ``facility``, their roles, and the engine's decisions for ``actions``.

    6 queries whatever the number of people (names, roles, and the engine's 4).
    """
    people = people_at(facility)
    rows = (
        Person.objects.filter(pk__in=people.values("pk"))
        .annotate(n=Count("facility_links"))
        .order_by("full_name", "pk")
        .values_list("pk", "full_name", "n")
    )
    names: dict[int, str] = {}
    counts: dict[int, int] = {}
    for pid, full_name, n in rows:
        names[pid], counts[pid] = full_name, n
    roles: dict[int, set[str]] = {}
    for pid, role in PersonRole.objects.filter(person__in=people.values("pk")).values_list("person_id", "role"):
        roles.setdefault(pid, set()).add(role)
    codes = list(dict.fromkeys(actions))
    decisions = decide_many(people, codes, facility, at=at, jurisdiction=jurisdiction) if codes else {}
    return StaffFacts(names, {pid: frozenset(r) for pid, r in roles.items()}, counts, decisions)


@dataclass(frozen=True)
class Candidate:
    """Someone with a fitting role who may not do the action today, and the engine's reasons."""

    person_id: int
    full_name: str
    unmet: tuple[Unmet, ...]

    def reasons(self, language: str | None = None) -> list[str]:
        return [u.message(language) for u in self.unmet]


@dataclass(frozen=True)
class PartResult:
    part: Part
    met: bool
    # Staff parts: who may (person ids) and who has a fitting role but may not.
    allowed: tuple[int, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    roles: tuple[str, ...] = ()
    # Equipment parts: units of the kind not in service, by status; rooms parts: how many there are.
    not_in_service: tuple[tuple[str, int], ...] = ()
    have: int = 0

    def unmet(self, language: str) -> str:
        return self.part.unmet(language)

    def details(self, language: str | None = None, *, names: bool) -> list[str]:
        """Why the part is not met, beyond the catalogue's sentence (in ``language``)."""
        if self.met:
            return []
        with translation.override(language or translation.get_language()):
            return self._details(names)

    def _details(self, names: bool) -> list[str]:
        part = self.part
        if isinstance(part, EquipmentPart):
            kind = str(EquipmentKind(part.equipment).label)
            if not self.not_in_service:
                return [_("This facility has no %(kind)s.") % {"kind": kind}]
            states = ", ".join(f"{n} {str(EquipmentStatus(status).label).lower()}" for status, n in self.not_in_service)
            return [_("%(kind)s here: %(states)s.") % {"kind": kind, "states": states}]
        if isinstance(part, RoomsPart):
            need = {"have": self.have, "need": part.at_least}
            return [_("The facility profile has %(have)s, %(need)s needed.") % need]
        roles = ", ".join(str(Role(r).label) for r in self.roles if r in Role.values)
        if not self.candidates:
            return [_("Nobody working here holds one of these roles: %(roles)s.") % {"roles": roles}]
        if not names:
            n = len(self.candidates)
            return [
                ngettext(
                    "%(count)d person here holds the role but may not do this today.",
                    "%(count)d people here hold the role but may not do this today.",
                    n,
                )
                % {"count": n}
            ]
        return [f"{c.full_name}: {' '.join(c.reasons())}" for c in self.candidates]


@dataclass(frozen=True)
class ServiceResult:
    service: Service
    offered: bool
    parts: tuple[PartResult, ...]

    @property
    def code(self) -> str:
        return self.service.code

    def label(self, language: str) -> str:
        return self.service.label(language)

    @property
    def unmet_parts(self) -> list[PartResult]:
        return [p for p in self.parts if not p.met]


def _action_roles(pack: CompiledPack, action: str) -> tuple[str, ...]:
    """The roles the pack's ``action`` is for (its first role requirement), or () if it names none."""
    entry = pack.actions[action]
    for req in entry.requirements:
        if isinstance(req, RoleRequirement):
            return tuple(r.value for r in req.any_of)
    return ()


def _staff_part(part: StaffPart, staff: StaffFacts, pack: CompiledPack) -> PartResult:
    roles = tuple(r.value for r in part.roles) or _action_roles(pack, part.action)
    pool = staff.people_with(roles) if roles else list(staff.names)
    allowed = tuple(pid for pid in pool if staff.decisions[(pid, part.action)].allowed)
    candidates: tuple[Candidate, ...] = ()
    if not allowed:
        candidates = tuple(
            Candidate(
                pid,
                staff.names[pid],
                tuple(u for u in staff.decisions[(pid, part.action)].unmet if u.code != "role_missing"),
            )
            for pid in pool
        )
    return PartResult(part, bool(allowed), allowed=allowed, candidates=candidates, roles=roles)


def evaluate_part(part: Part, inputs: FacilityInputs, staff: StaffFacts, pack: CompiledPack) -> PartResult:
    if isinstance(part, EquipmentPart):
        kind = part.equipment.value
        others = tuple(sorted(inputs.not_in_service.get(kind, {}).items()))
        return PartResult(part, inputs.units_in_service(kind) > 0, not_in_service=others)
    if isinstance(part, RoomsPart):
        have = inputs.room(part.room)
        return PartResult(part, have >= part.at_least, have=have)
    return _staff_part(part, staff, pack)


def evaluate_services(
    catalogue: ServiceCatalogue, inputs: FacilityInputs, staff: StaffFacts, pack: CompiledPack
) -> list[ServiceResult]:
    """Each service of the catalogue: offered or not, part by part (no queries)."""
    results = []
    for service in catalogue.services:
        parts = tuple(evaluate_part(p, inputs, staff, pack) for p in service.requires)
        results.append(ServiceResult(service, all(p.met for p in parts), parts))
    return results
