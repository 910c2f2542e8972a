"""Reading the TOML data files (policy packs, catalogues, instruments, rule files), with
errors that name the file, the entry and the problem."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, TypeVar

from django.utils.translation import get_language
from pydantic import BaseModel, ConfigDict, Field, ValidationError


def read_toml(path: Path, error: type[Exception]) -> dict[str, Any]:
    """The file's table; ``error`` ("<file>: cannot be read: ...") when it is missing,
    unreadable, not UTF-8 or not TOML."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise error(f"{path.name}: cannot be read: {exc}") from exc


def _where(raw: dict[str, Any], loc: tuple[int | str, ...]) -> tuple[str, tuple[int | str, ...]]:
    """'items[3] (worst)' for an error inside that entry, and the rest of the location."""
    if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(raw.get(str(loc[0])), list):
        entries = raw[str(loc[0])]
        entry = entries[loc[1]] if loc[1] < len(entries) else None
        code = entry.get("code", "?") if isinstance(entry, dict) else "?"
        return f"{loc[0]}[{loc[1]}] ({code})", loc[2:]
    return (str(loc[0]) if loc else "(file)"), loc[1:]


def describe_errors(name: str, raw: dict[str, Any], exc: ValidationError) -> str:
    """One line per problem of a file that failed its schema: '<file>: items[3] (worst) label: ...'."""
    problems = []
    errors = exc.errors()
    locations = [tuple(e["loc"]) for e in errors]
    for err in errors:
        loc = tuple(err["loc"])
        # A list whose only entry is bad is also "too short" once that entry is dropped: noise.
        if err["type"] == "too_short" and any(other[: len(loc)] == loc and other != loc for other in locations):
            continue
        where, rest = _where(raw, tuple(err["loc"]))
        field = ".".join(str(p) for p in rest)
        message = str(err["msg"]).removeprefix("Value error, ")
        problems.append(f"{name}: {where}{(' ' + field) if field else ''}: {message}")
    return "\n".join(problems)


class StrictData(BaseModel):
    """A data file's entry: unknown keys are errors, values never change once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Bilingual(StrictData):
    """An entry named in English and Indonesian, shown in the active language."""

    label_en: str = Field(min_length=1)
    label_id: str = Field(min_length=1)

    def label(self) -> str:
        return self.label_id if (get_language() or "").startswith("id") else self.label_en


Data = TypeVar("Data", bound=BaseModel)


def load_data_file(path: Path, model: type[Data], error: type[Exception]) -> Data:
    """``path`` validated as ``model``; ``error`` naming the file and entry when it cannot be used."""
    raw = read_toml(path, error)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise error(describe_errors(path.name, raw, exc)) from exc


def load_jurisdiction_file(path: Path, model: type[Data], error: type[Exception], jurisdiction: str) -> Data:
    """``path`` validated as ``model``; ``error`` naming the file and entry when it cannot be
    used, or when its ``jurisdiction`` is not the one its name says."""
    data = load_data_file(path, model, error)
    if getattr(data, "jurisdiction", None) != jurisdiction:
        raise error(f"{path.name}: jurisdiction {getattr(data, 'jurisdiction', None)!r} does not match the file name")
    return data
