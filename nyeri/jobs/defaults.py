"""Default requirements per role, as data: ``defaults/<JURISDICTION>.toml``.

Each ``[[roles]]`` entry names a ``role`` (the tenancy Role catalogue) and its
``requires`` rows, in the same shape as ``JobRequirement`` (``kind``, ``importance``,
``code``, ``credential_kind``, ``specialty``, ``months``, ``employer_kinds``). A file is
validated when loaded (shape with pydantic, codes against the jurisdiction's policy pack);
a bad file is refused naming the file, the role and the problem (a system check and a test
load every file). A posting created from a gap starts with its role's rows.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.utils import translation
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nyeri.jobs.models import Importance, RequirementKind
from nyeri.jobs.requirements import RequirementInput, requirement_problems
from nyeri.lib.toml import read_toml
from nyeri.tenancy.roles import Role
from nyeri.workforce.kinds import CredentialKind, EmployerKind, Specialty
from nyeri.workforce.policy.loader import PolicyPackError, pack_for

DEFAULTS_DIR = Path(__file__).resolve().parent / "defaults"


class DefaultsFileError(ValueError):
    """A defaults file that cannot be used; the message names the file, the role and the problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RowSpec(_Strict):
    kind: RequirementKind
    importance: Importance = Importance.REQUIRED
    code: str = ""
    credential_kind: CredentialKind | None = None
    specialty: Specialty | None = None
    months: int | None = Field(default=None, gt=0, le=600)
    employer_kinds: tuple[EmployerKind, ...] = ()

    def as_input(self) -> RequirementInput:
        return RequirementInput(
            kind=self.kind.value,
            importance=self.importance.value,
            code=self.code,
            credential_kind=self.credential_kind.value if self.credential_kind else "",
            specialty=self.specialty.value if self.specialty else "",
            months=self.months,
            employer_kinds=tuple(k.value for k in self.employer_kinds),
        )


class RoleDefaults(_Strict):
    role: Role
    requires: tuple[RowSpec, ...] = ()


class DefaultsFile(_Strict):
    jurisdiction: str = Field(pattern=r"^[A-Z]{2}$")
    version: str = Field(min_length=1)
    roles: tuple[RoleDefaults, ...] = ()


def load_defaults_file(path: Path) -> dict[str, tuple[RequirementInput, ...]]:
    raw = read_toml(path, DefaultsFileError)
    try:
        data = DefaultsFile.model_validate(raw)
    except ValidationError as exc:
        problems = [f"{path.name}: {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise DefaultsFileError("\n".join(problems)) from exc
    if path.stem.upper() != data.jurisdiction:
        raise DefaultsFileError(f"{path.name}: jurisdiction {data.jurisdiction!r} does not match the file name")
    try:
        pack = pack_for(data.jurisdiction)
    except PolicyPackError as exc:
        raise DefaultsFileError(f"{path.name}: {exc}") from exc
    result: dict[str, tuple[RequirementInput, ...]] = {}
    for entry in data.roles:
        if entry.role.value in result:
            raise DefaultsFileError(f"{path.name}: role {entry.role.value!r} appears twice")
        rows = tuple(r.as_input() for r in entry.requires)
        for n, row in enumerate(rows):
            with translation.override("en"):
                found = requirement_problems(row, pack)
            if found:
                text = "; ".join(f"{k}: {' '.join(v)}" for k, v in found.items())
                raise DefaultsFileError(f"{path.name}: roles ({entry.role.value}) requires[{n}]: {text}")
        result[entry.role.value] = rows
    return result


@cache
def all_defaults() -> dict[str, dict[str, tuple[RequirementInput, ...]]]:
    return {p.stem.upper(): load_defaults_file(p) for p in sorted(DEFAULTS_DIR.glob("*.toml"))}


def default_requirements(jurisdiction: str, role: str) -> tuple[RequirementInput, ...]:
    """The default rows for ``role`` in ``jurisdiction`` (none when the file or the role has none)."""
    return all_defaults().get(jurisdiction, {}).get(role, ())
