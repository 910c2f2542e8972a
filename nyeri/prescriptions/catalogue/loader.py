"""Loading the medication catalogue, validated, with errors that name the file, the entry and the problem."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import ValidationError

from nyeri.lib.toml import describe_errors, read_toml
from nyeri.prescriptions.catalogue.schema import Catalogue

DATA_FILE = Path(__file__).resolve().parent / "data" / "medications.toml"


class CatalogueError(ValueError):
    """A catalogue file that cannot be used; the message says which file, where, and why."""


def load_catalogue(path: Path) -> Catalogue:
    raw = read_toml(path, CatalogueError)
    try:
        return Catalogue.model_validate(raw)
    except ValidationError as exc:
        raise CatalogueError(describe_errors(path.name, raw, exc)) from exc


@cache
def shipped_catalogue() -> Catalogue:
    """The shipped catalogue (loaded once per process)."""
    return load_catalogue(DATA_FILE)
