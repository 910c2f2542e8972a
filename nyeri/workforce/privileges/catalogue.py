"""The privilege catalogue: one TOML file per jurisdiction (``data/<JURISDICTION>.toml``),
validated when loaded (a system check stops a deploy with a bad file)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from nyeri.lib.toml import describe_errors, read_toml
from nyeri.workforce.policy.schema import PrivilegeRequirement, Requirement

DATA_DIR = Path(__file__).resolve().parent / "data"


class CatalogueError(ValueError):
    """A catalogue file that cannot be used; the message names the file, the entry and the problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PrivilegeEntry(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label_en: str = Field(min_length=1)
    label_id: str = Field(min_length=1)
    source: str = Field(min_length=1)
    # The policy pack's actions that require this privilege (where the facility requires it).
    actions: tuple[str, ...] = Field(min_length=1)
    # Focused professional practice evaluation: cases needing a proctor after a first grant.
    fppe_cases: int = Field(ge=0, le=100)
    requires: tuple[Requirement, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _no_privilege_in_prerequisites(self) -> PrivilegeEntry:
        if any(isinstance(r, PrivilegeRequirement) for r in self.requires):
            raise ValueError("a prerequisite cannot be another privilege")
        return self

    def label(self, language: str) -> str:
        return self.label_id if language == "id" else self.label_en


class Catalogue(_Strict):
    jurisdiction: str = Field(pattern=r"^[A-Z]{2}$")
    version: str = Field(min_length=1)
    name_en: str
    name_id: str
    sources: tuple[str, ...] = Field(min_length=1)
    period_years: int = Field(ge=1, le=5)
    warn_days: tuple[int, ...] = Field(min_length=1)
    privileges: tuple[PrivilegeEntry, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _codes_unique(self) -> Catalogue:
        codes = [p.code for p in self.privileges]
        if len(codes) != len(set(codes)):
            raise ValueError("privilege codes must be unique")
        return self

    def get(self, code: str) -> PrivilegeEntry | None:
        return next((p for p in self.privileges if p.code == code), None)


def load_catalogue(path: Path) -> Catalogue:
    raw = read_toml(path, CatalogueError)
    try:
        found = Catalogue.model_validate(raw)
    except ValidationError as exc:
        raise CatalogueError(describe_errors(path.name, raw, exc)) from exc
    if path.stem.upper() != found.jurisdiction:
        raise CatalogueError(f"{path.name}: jurisdiction {found.jurisdiction!r} does not match the file name")
    return found


@cache
def all_catalogues() -> dict[str, Catalogue]:
    found = [load_catalogue(p) for p in sorted(DATA_DIR.glob("*.toml"))]
    return {c.jurisdiction: c for c in found}


def catalogue_for(jurisdiction: str) -> Catalogue | None:
    """The jurisdiction's catalogue, or None: no clinical privileges are kept there."""
    return all_catalogues().get(jurisdiction)


def privilege_label(code: str, language: str) -> str:
    """A privilege's name in ``language`` (its code when no catalogue knows it)."""
    for found in all_catalogues().values():
        entry = found.get(code)
        if entry is not None:
            return entry.label(language)
    return code
