"""Loading instrument files, validated, with errors that name the file, the item and the problem."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from nyeri.clinical.instruments.schema import Instrument

DATA_DIR = Path(__file__).resolve().parent / "data"


class InstrumentError(ValueError):
    """An instrument file that cannot be used; the message says which file, where, and why."""


def _where(raw: dict[str, Any], loc: tuple[int | str, ...]) -> tuple[str, tuple[int | str, ...]]:
    """'items[3] (worst)' for an error inside that entry, and the rest of the location."""
    if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(raw.get(str(loc[0])), list):
        entries = raw[str(loc[0])]
        entry = entries[loc[1]] if loc[1] < len(entries) else None
        code = entry.get("code", "?") if isinstance(entry, dict) else "?"
        return f"{loc[0]}[{loc[1]}] ({code})", loc[2:]
    return (str(loc[0]) if loc else "(file)"), loc[1:]


def describe_errors(name: str, raw: dict[str, Any], exc: ValidationError) -> str:
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


def load_instrument(path: Path) -> Instrument:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InstrumentError(f"{path.name}: cannot be read: {exc}") from exc
    try:
        loaded = Instrument.model_validate(raw)
    except ValidationError as exc:
        raise InstrumentError(describe_errors(path.name, raw, exc)) from exc
    if loaded.code != path.stem:
        raise InstrumentError(f"{path.name}: code {loaded.code!r} does not match the file name")
    return loaded


def load_directory(directory: Path) -> dict[str, Instrument]:
    """Every ``*.toml`` of ``directory``; all bad files are reported at once."""
    loaded: dict[str, Instrument] = {}
    problems = []
    for path in sorted(directory.glob("*.toml")):
        try:
            found = load_instrument(path)
        except InstrumentError as exc:
            problems.append(str(exc))
        else:
            loaded[found.code] = found
    if problems:
        raise InstrumentError("\n".join(problems))
    return loaded


@cache
def all_instruments() -> dict[str, Instrument]:
    """The shipped instruments by code (loaded once per process)."""
    return load_directory(DATA_DIR)


def instrument(code: str) -> Instrument | None:
    return all_instruments().get(code)
