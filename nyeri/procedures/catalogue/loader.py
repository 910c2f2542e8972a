"""Loading the procedure catalogue, with errors that name the file, the entry and the problem."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import ValidationError

from nyeri.lib.toml import describe_errors, read_toml
from nyeri.procedures.catalogue.schema import Procedure, ProcedureCatalogue

CATALOGUE_PATH = Path(__file__).resolve().parent / "data" / "procedures.toml"


class CatalogueError(ValueError):
    """A catalogue file that cannot be used (the message names the file, the entry, the problem)."""


def load_catalogue(path: Path) -> ProcedureCatalogue:
    raw = read_toml(path, CatalogueError)
    try:
        return ProcedureCatalogue.model_validate(raw)
    except ValidationError as exc:
        raise CatalogueError(describe_errors(path.name, raw, exc)) from exc


@cache
def catalogue() -> ProcedureCatalogue:
    """The shipped catalogue (loaded once per process)."""
    return load_catalogue(CATALOGUE_PATH)


def procedure(code: str) -> Procedure | None:
    return catalogue().procedure(code)
