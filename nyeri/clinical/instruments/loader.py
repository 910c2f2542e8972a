"""Loading instrument files, validated, with errors that name the file, the item and the problem."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.utils.translation import get_language
from pydantic import ValidationError

from nyeri.clinical.instruments.schema import Instrument
from nyeri.lib.toml import describe_errors, read_toml

DATA_DIR = Path(__file__).resolve().parent / "data"


class InstrumentError(ValueError):
    """An instrument file that cannot be used; the message says which file, where, and why."""


def load_instrument(path: Path) -> Instrument:
    raw = read_toml(path, InstrumentError)
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


def instrument_full_name(code: str, language: str | None = None) -> str:
    """The instrument ``code`` in full with its acronym in ``language`` (default: the active one).

    An unknown code is shown as it is (an instrument file removed after it was used)."""
    found = all_instruments().get(code)
    return found.name(language or get_language()) if found is not None else code
