"""KFA codes (Kamus Farmasi dan Alat Kesehatan, SATUSEHAT's drug dictionary) of the catalogue's
products, as data with their source (``data/kfa.toml``): FHIR MedicationRequest and
MedicationDispense carry the code when it is known."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nyeri.lib.toml import describe_errors, read_toml
from nyeri.prescriptions.catalogue.loader import CatalogueError

KFA_SYSTEM = "http://sys-ids.kemkes.go.id/kfa"
DATA_FILE = Path(__file__).resolve().parent / "data" / "kfa.toml"


class KfaCode(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    medication: str = Field(min_length=1)
    # POV (virtual product, 92...) or POA (actual, branded product, 93...).
    code: str = Field(pattern=r"^9[23]\d{6}$")
    display: str = Field(min_length=1)
    level: Literal["POV", "POA"]
    source: str = Field(min_length=10)


class KfaTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    kfa: tuple[KfaCode, ...] = ()


def load_kfa(path: Path) -> KfaTable:
    raw = read_toml(path, CatalogueError)
    try:
        table = KfaTable.model_validate(raw)
    except ValidationError as exc:
        raise CatalogueError(describe_errors(path.name, raw, exc)) from exc
    seen: set[str] = set()
    for entry in table.kfa:
        if entry.medication in seen:
            raise CatalogueError(f"{path.name}: {entry.medication} has two KFA codes")
        seen.add(entry.medication)
    return table


@cache
def _by_medication() -> dict[str, KfaCode]:
    return {entry.medication: entry for entry in load_kfa(DATA_FILE).kfa}


def kfa_code(medication_code: str) -> KfaCode | None:
    """The KFA code of the catalogue product ``medication_code``, when known."""
    return _by_medication().get(medication_code)


def medications_with_kfa(code: str) -> list[str]:
    """The catalogue products coded with KFA ``code``."""
    return [entry.medication for entry in _by_medication().values() if entry.code == code]
