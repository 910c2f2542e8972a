"""The privilege catalogue: one TOML file per jurisdiction (``data/<JURISDICTION>.toml``),
validated when loaded (a system check stops a deploy with a bad file)."""

from __future__ import annotations

from collections.abc import Collection
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from nyeri.lib.toml import describe_errors, read_toml
from nyeri.tenancy.roles import Role
from nyeri.workforce.policy.schema import PrivilegeRequirement, Requirement, RoleRequirement

DATA_DIR = Path(__file__).resolve().parent / "data"


class CatalogueError(ValueError):
    """A catalogue file that cannot be used; the message names the file, the entry and the problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Committee(_Strict):
    """A committee that reviews requests and recommends privileges: the medical committee
    (Komite Medik) for physicians, the nursing committee (Komite Keperawatan) for nurses.
    Its members are the memberships holding ``role``."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    role: str
    label_en: str = Field(min_length=1)
    label_id: str = Field(min_length=1)
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _role_known(self) -> Committee:
        if self.role not in Role.values:
            raise ValueError(f"committee {self.code}: unknown role {self.role}")
        return self

    @property
    def member_role(self) -> Role:
        return Role(self.role)

    def label(self, language: str) -> str:
        return self.label_id if language == "id" else self.label_en


class PrivilegeEntry(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label_en: str = Field(min_length=1)
    label_id: str = Field(min_length=1)
    source: str = Field(min_length=1)
    # The committee that reviews requests for it (a code of the catalogue's ``committees``).
    committee: str = "medical"
    # The policy pack's actions that require this privilege (where the facility requires it).
    # Empty: granted, recorded and re-credentialed, but no engine action asks for it yet (a
    # nursing privilege whose acts physicians record too, such as a pain assessment).
    actions: tuple[str, ...] = ()
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
    committees: tuple[Committee, ...] = Field(min_length=1)
    privileges: tuple[PrivilegeEntry, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _codes_unique(self) -> Catalogue:
        codes = [p.code for p in self.privileges]
        if len(codes) != len(set(codes)):
            raise ValueError("privilege codes must be unique")
        committees = [c.code for c in self.committees]
        if len(committees) != len(set(committees)):
            raise ValueError("committee codes must be unique")
        for entry in self.privileges:
            if entry.committee not in committees:
                raise ValueError(f"privilege {entry.code}: unknown committee {entry.committee}")
        return self

    def get(self, code: str) -> PrivilegeEntry | None:
        return next((p for p in self.privileges if p.code == code), None)

    def committee_of(self, entry: PrivilegeEntry) -> Committee:
        """The committee reviewing ``entry`` (the validator holds that it exists)."""
        return next(c for c in self.committees if c.code == entry.committee)

    def reviewed_roles(self, committee: Committee) -> frozenset[str] | None:
        """The practitioners' roles ``committee`` reviews: those its privileges' prerequisites
        name (the nursing committee: nurses). None: one of its privileges names no role, so it
        reviews anyone."""
        roles: set[str] = set()
        for entry in self.privileges:
            if entry.committee != committee.code:
                continue
            named = [r for r in entry.requires if isinstance(r, RoleRequirement)]
            if not named:
                return None
            roles.update(role for r in named for role in r.any_of)
        return frozenset(roles)

    def committees_of(self, roles: Collection[str]) -> list[Committee]:
        """The committees whose members hold one of ``roles`` (role codes)."""
        return [c for c in self.committees if c.role in roles]


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


def committee_for(jurisdiction: str, code: str) -> Committee | None:
    """The committee that reviews privilege ``code`` in ``jurisdiction`` (None: unknown privilege)."""
    found = catalogue_for(jurisdiction)
    entry = found.get(code) if found is not None else None
    return found.committee_of(entry) if found is not None and entry is not None else None


def privilege_label(code: str, language: str) -> str:
    """A privilege's name in ``language`` (its code when no catalogue knows it)."""
    for found in all_catalogues().values():
        entry = found.get(code)
        if entry is not None:
            return entry.label(language)
    return code
