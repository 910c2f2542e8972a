"""The legal basis of each data subject right and the retention of medical records, read
from ``data/legal_basis.toml`` (sources and verification state are in the file)."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from nyeri.lib.toml import describe_errors, read_toml

FILE = Path(__file__).parent / "data" / "legal_basis.toml"


class LegalBasisFileError(Exception):
    pass


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Retention(_Strict):
    years: int
    regulation: str
    article: str
    verified: bool
    source: str


class Right(_Strict):
    regulation: str
    article: str
    verified: bool
    source: str
    en: str
    id: str
    deadline_hours: int | None = None
    deadline_verified: bool = True

    def text(self, language: str, **values: str) -> str:
        """The legal basis in ``language`` (Indonesian or English), placeholders filled."""
        template = self.id if language.startswith("id") else self.en
        return template % values if values else template


class LegalBasis(_Strict):
    retention: Retention
    rights: dict[str, Right]


@cache
def legal_basis() -> LegalBasis:
    raw = read_toml(FILE, LegalBasisFileError)
    try:
        return LegalBasis.model_validate(raw)
    except ValidationError as exc:
        raise LegalBasisFileError(describe_errors(FILE.name, raw, exc)) from exc


def right(name: str) -> Right:
    return legal_basis().rights[name]


def retention_ends(last_visit: date) -> date:
    """The first day a medical record may be destroyed: ``years`` after the last visit
    (29 February gives 28 February in a year without it)."""
    years = legal_basis().retention.years
    try:
        return last_visit.replace(year=last_visit.year + years)
    except ValueError:
        return last_visit.replace(year=last_visit.year + years, day=28)
