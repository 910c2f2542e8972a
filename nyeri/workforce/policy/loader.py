"""Loading policy packs from their TOML files, validated, with readable errors."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from nyeri.lib.toml import read_toml
from nyeri.workforce.policy.schema import Entry, PolicyPack, Requirement, UseSet

PACKS_DIR = Path(__file__).resolve().parent / "packs"


class PolicyPackError(ValueError):
    """A policy file that cannot be used; the message names the file, the entry and the problem."""


@dataclass(frozen=True)
class CompiledEntry:
    code: str
    label_en: str
    label_id: str
    source: str
    requirements: tuple[Requirement, ...]

    def label(self, language: str) -> str:
        return self.label_id if language == "id" else self.label_en


@dataclass(frozen=True)
class CompiledPack:
    """A validated pack with every named requirement set expanded in place."""

    pack: PolicyPack
    path: Path
    actions: dict[str, CompiledEntry]
    certifications: dict[str, CompiledEntry]

    @property
    def jurisdiction(self) -> str:
        return self.pack.jurisdiction

    @property
    def version(self) -> str:
        return self.pack.version

    def max_practice_permits(self, roles: frozenset[str]) -> int:
        by_role = self.pack.limits.max_practice_permits_by_role
        limits = [by_role[r] for r in by_role if r in roles]
        return min(limits) if limits else self.pack.limits.max_practice_permits


def _entry_name(raw: dict[str, Any], loc: tuple[int | str, ...]) -> str:
    """'actions[3] (prescribe_controlled)' for an error located inside that entry."""
    if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(raw.get(str(loc[0])), list):
        items = raw[str(loc[0])]
        code = items[loc[1]].get("code", "?") if loc[1] < len(items) and isinstance(items[loc[1]], dict) else "?"
        return f"{loc[0]}[{loc[1]}] ({code})"
    return str(loc[0]) if loc else "(file)"


def _compile(entry: Entry, sets: dict[str, tuple[Requirement, ...]]) -> CompiledEntry:
    flat: list[Requirement] = []
    for req in entry.requires:
        if isinstance(req, UseSet):
            flat.extend(sets[req.use])
        else:
            flat.append(req)
    return CompiledEntry(entry.code, entry.label_en, entry.label_id, entry.source, tuple(flat))


def load_pack(path: Path) -> CompiledPack:
    raw = read_toml(path, PolicyPackError)
    try:
        pack = PolicyPack.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            where = _entry_name(raw, loc)
            field = ".".join(str(p) for p in loc[2:]) if where.endswith(")") else ".".join(str(p) for p in loc[1:])
            problems.append(f"{path.name}: {where}{(' ' + field) if field else ''}: {err['msg']}")
        raise PolicyPackError("\n".join(problems)) from exc
    if path.stem.upper() != pack.jurisdiction:
        raise PolicyPackError(f"{path.name}: jurisdiction {pack.jurisdiction!r} does not match the file name")
    sets = {s.code: s.requires for s in pack.requirement_sets}
    return CompiledPack(
        pack=pack,
        path=path,
        actions={a.code: _compile(a, sets) for a in pack.actions},
        certifications={c.code: _compile(c, sets) for c in pack.certifications},
    )


@cache
def all_packs() -> dict[str, CompiledPack]:
    packs = [load_pack(p) for p in sorted(PACKS_DIR.glob("*.toml"))]
    return {p.jurisdiction: p for p in packs}


def pack_for(jurisdiction: str) -> CompiledPack:
    try:
        return all_packs()[jurisdiction]
    except KeyError:
        raise PolicyPackError(f"no policy pack for jurisdiction {jurisdiction!r}") from None
