"""The service catalogue: what a facility may offer, and what each service needs.

A service (a fluoroscopy-guided spinal block, procedural sedation, X-ray imaging, ...) is
offered when every one of its parts is met:

- ``equipment``: a unit of this kind in service at the facility;
- ``staff``: someone working at the facility whom the requirements engine allows the
  policy pack's ``action`` today (optionally: only people with one of ``roles``);
- ``rooms``: the facility's profile has at least ``at_least`` of a room kind.

Each part says, in both languages, what is missing when it is not met (``unmet_en``,
``unmet_id``). The file is ``data/services.toml``, validated when loaded: a bad file is
refused naming the file, the entry and the field, and so is a staff action that a policy
pack does not know (a system check stops the deploy).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from nyeri.facilities.models import EquipmentKind
from nyeri.lib.toml import read_toml
from nyeri.tenancy.roles import Role
from nyeri.workforce.policy.loader import all_packs

CATALOGUE_FILE = Path(__file__).resolve().parent / "data" / "services.toml"

ROOM_MEASURES = ("consultation_rooms", "procedure_rooms", "recovery_beds")


class CatalogueError(ValueError):
    """A service catalogue that cannot be used; the message names the file, the entry and the problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Part(_Strict):
    unmet_en: str = Field(min_length=1)
    unmet_id: str = Field(min_length=1)

    def unmet(self, language: str) -> str:
        return self.unmet_id if language == "id" else self.unmet_en


class EquipmentPart(_Part):
    """A unit of ``equipment`` in service at the facility."""

    kind: Literal["equipment"]
    equipment: EquipmentKind


class StaffPart(_Part):
    """Someone working here whom the engine allows ``action`` (among ``roles``, if given)."""

    kind: Literal["staff"]
    action: str = Field(pattern=r"^[a-z][a-z0-9_]*(:[a-z][a-z0-9_]*)?$")
    roles: tuple[Role, ...] = ()


class RoomsPart(_Part):
    """At least ``at_least`` of ``room`` in the facility's profile."""

    kind: Literal["rooms"]
    room: Literal["consultation_rooms", "procedure_rooms", "recovery_beds"]
    at_least: int = Field(default=1, gt=0)


Part = Annotated[EquipmentPart | StaffPart | RoomsPart, Field(discriminator="kind")]


class Service(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label_en: str = Field(min_length=1)
    label_id: str = Field(min_length=1)
    source: str = ""
    requires: tuple[Part, ...] = Field(min_length=1)

    def label(self, language: str) -> str:
        return self.label_id if language == "id" else self.label_en

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(p.action for p in self.requires if isinstance(p, StaffPart))

    @property
    def equipment(self) -> tuple[EquipmentKind, ...]:
        return tuple(p.equipment for p in self.requires if isinstance(p, EquipmentPart))


class ServiceCatalogue(_Strict):
    version: str = Field(min_length=1)
    sources: tuple[str, ...] = ()
    services: tuple[Service, ...] = Field(min_length=1)

    @field_validator("services")
    @classmethod
    def _codes_unique(cls, services: tuple[Service, ...]) -> tuple[Service, ...]:
        seen: set[str] = set()
        for service in services:
            if service.code in seen:
                raise ValueError(f"duplicate code {service.code!r}")
            seen.add(service.code)
        return services

    @property
    def actions(self) -> tuple[str, ...]:
        """Every staff action of the catalogue, once, in the order of first use."""
        return tuple(dict.fromkeys(a for s in self.services for a in s.actions))

    def get(self, code: str) -> Service | None:
        return next((s for s in self.services if s.code == code), None)


def _where(raw: dict[str, Any], loc: tuple[int | str, ...]) -> tuple[str, str]:
    """('services[3] (fluoroscopy_guided_block)', 'requires.0.action') for an error inside that entry."""
    if len(loc) >= 2 and loc[0] == "services" and isinstance(loc[1], int):
        items = raw.get("services", [])
        entry = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else {}
        code = entry.get("code", "?") if isinstance(entry, dict) else "?"
        return f"services[{loc[1]}] ({code})", ".".join(str(p) for p in loc[2:])
    return (str(loc[0]) if loc else "(file)"), ".".join(str(p) for p in loc[1:])


def load_catalogue(path: Path) -> ServiceCatalogue:
    raw = read_toml(path, CatalogueError)
    try:
        catalogue = ServiceCatalogue.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            entry, field = _where(raw, tuple(err["loc"]))
            problems.append(f"{path.name}: {entry}{(' ' + field) if field else ''}: {err['msg']}")
        raise CatalogueError("\n".join(problems)) from exc
    problems = []
    for jurisdiction, pack in sorted(all_packs().items()):
        for n, service in enumerate(catalogue.services):
            for i, part in enumerate(service.requires):
                if isinstance(part, StaffPart) and part.action not in pack.actions:
                    problems.append(
                        f"{path.name}: services[{n}] ({service.code}) requires.{i}.action: "
                        f"unknown action {part.action!r} in the {jurisdiction} policy pack"
                    )
    if problems:
        raise CatalogueError("\n".join(problems))
    return catalogue


@cache
def service_catalogue() -> ServiceCatalogue:
    return load_catalogue(CATALOGUE_FILE)


def operate_action(kind: EquipmentKind | str) -> str:
    """The policy packs' action for operating equipment of ``kind``: ``operate_equipment:<kind>``."""
    return f"operate_equipment:{EquipmentKind(kind).value}"


def equipment_actions_problems() -> list[str]:
    """Equipment kinds whose ``operate_equipment:<kind>`` action a policy pack lacks."""
    problems = []
    for jurisdiction, pack in sorted(all_packs().items()):
        for kind in EquipmentKind:
            if operate_action(kind) not in pack.actions:
                problems.append(f"{jurisdiction} policy pack: no action {operate_action(kind)!r} for {kind.value}")
    return problems
