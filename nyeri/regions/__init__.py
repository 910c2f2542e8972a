"""Indonesia's administrative regions: provinces and regencies/cities with their Kemendagri codes.

Plain data, no database: ``data/provinces.csv`` (code, name, time_zone) and
``data/regencies.csv`` (code, name, province_code), taken from cahyadsn/wilayah (see
``data/SOURCE.md`` for the repository, file, commit and Kepmendagri decree). 38 provinces
(with the 2022 Papua splits: 93 Papua Selatan, 94 Papua Tengah, 95 Papua Pegunungan,
96 Papua Barat Daya) and 514 regencies/cities (416 kabupaten, 98 kota).

Codes are in the dotted Kemendagri form: province ``"32"``, regency/city ``"32.73"``. A
regency's last two digits are 01-69 for a kabupaten and 71-99 for a kota.

Names: ``name`` is the name as the source writes it, in title case with the full kind
("Kabupaten Bandung", "Kota Bandung", "Kota Administrasi Jakarta Pusat"), which is also the
display name; the decree's capitalised form is ``name.upper()``. Names are not translated:
they are proper names, the same in both languages.

Time zones (IANA) per province follow Keputusan Presiden No. 41 Tahun 1987 (Pembagian
Wilayah Republik Indonesia menjadi 3 (Tiga) Wilayah Waktu): WIB ``Asia/Jakarta`` (Sumatra,
Java, West and Central Kalimantan), WITA ``Asia/Makassar`` (Bali, NTB, NTT, South, East and
North Kalimantan, all Sulawesi), WIT ``Asia/Jayapura`` (Maluku, Maluku Utara, all Papua).

The data are loaded once per process and validated when loaded (well-formed codes, no
duplicates, every regency's province exists, known time zones): a broken file raises
``RegionDataError`` naming the file, the line and the problem.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = [
    "SOURCE",
    "Province",
    "Regency",
    "RegionDataError",
    "province",
    "provinces",
    "regencies",
    "regency",
    "time_zone_label",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
PROVINCES_FILE = DATA_DIR / "provinces.csv"
REGENCIES_FILE = DATA_DIR / "regencies.csv"

SOURCE = (
    "Kode wilayah Kemendagri (Kepmendagri No. 300.2.2-2138 Tahun 2025, as maintained in "
    "github.com/cahyadsn/wilayah db/wilayah.sql at commit b7ad440a1322e7be3189a16a8cac35f7d4c3d7f7)"
)

# Keppres 41/1987: the three Indonesian time zones, by IANA name.
TIME_ZONE_LABELS: dict[str, str] = {
    "Asia/Jakarta": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}

PROVINCE_CODE = re.compile(r"[1-9][0-9]")
REGENCY_CODE = re.compile(r"([1-9][0-9])\.([0-9]{2})")
UNDOTTED_REGENCY_CODE = re.compile(r"([1-9][0-9])([0-9]{2})")


class RegionDataError(ValueError):
    """A region data file that cannot be used; the message names the file, the line and the problem."""


@dataclass(frozen=True, slots=True)
class Province:
    code: str
    name: str
    time_zone: str


@dataclass(frozen=True, slots=True)
class Regency:
    code: str
    name: str
    province_code: str


def time_zone_label(tz: str) -> str:
    """The label of an Indonesian IANA time zone ("WIB", "WITA" or "WIT"); ValueError for any other."""
    try:
        return TIME_ZONE_LABELS[tz]
    except KeyError:
        raise ValueError(f"{tz!r} is not an Indonesian time zone") from None


def _rows(path: Path, header: list[str]) -> list[tuple[int, list[str]]]:
    try:
        with path.open(encoding="utf-8", newline="") as f:
            lines = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise RegionDataError(f"{path.name}: cannot be read: {exc}") from exc
    if not lines or lines[0] != header:
        raise RegionDataError(f"{path.name}: the first line must be {','.join(header)}")
    rows = []
    for number, row in enumerate(lines[1:], start=2):
        if len(row) != len(header) or any(not value.strip() for value in row):
            raise RegionDataError(f"{path.name}, line {number}: expected {len(header)} non-empty values, got {row!r}")
        rows.append((number, [value.strip() for value in row]))
    return rows


def load_provinces(path: Path) -> dict[str, Province]:
    """Provinces of a CSV file by code, validated."""
    found: dict[str, Province] = {}
    for number, (code, name, tz) in _rows(path, ["code", "name", "time_zone"]):
        where = f"{path.name}, line {number}"
        if not PROVINCE_CODE.fullmatch(code):
            raise RegionDataError(f"{where}: province code {code!r} is not two digits")
        if code in found:
            raise RegionDataError(f"{where}: province code {code} appears twice")
        if tz not in TIME_ZONE_LABELS:
            raise RegionDataError(f"{where}: time zone {tz!r} is not one of {', '.join(TIME_ZONE_LABELS)}")
        found[code] = Province(code=code, name=name, time_zone=tz)
    return found


def load_regencies(path: Path, provinces_by_code: dict[str, Province]) -> dict[str, Regency]:
    """Regencies/cities of a CSV file by code, validated against ``provinces_by_code``."""
    found: dict[str, Regency] = {}
    for number, (code, name, province_code) in _rows(path, ["code", "name", "province_code"]):
        where = f"{path.name}, line {number}"
        match = REGENCY_CODE.fullmatch(code)
        if match is None or match.group(2) == "00":
            raise RegionDataError(f"{where}: regency code {code!r} is not of the form 32.73")
        if code in found:
            raise RegionDataError(f"{where}: regency code {code} appears twice")
        if match.group(1) != province_code:
            raise RegionDataError(f"{where}: regency {code} does not start with its province code {province_code}")
        if province_code not in provinces_by_code:
            raise RegionDataError(f"{where}: regency {code} names province {province_code}, which does not exist")
        found[code] = Regency(code=code, name=name, province_code=province_code)
    return found


@cache
def _provinces() -> dict[str, Province]:
    return load_provinces(PROVINCES_FILE)


@cache
def _regencies() -> dict[str, Regency]:
    return load_regencies(REGENCIES_FILE, _provinces())


@cache
def provinces() -> tuple[Province, ...]:
    """All provinces, sorted by code."""
    return tuple(sorted(_provinces().values(), key=lambda p: p.code))


def province(code: str) -> Province | None:
    """The province of a two-digit code ("32"), or None."""
    return _provinces().get(code.strip())


@cache
def _sorted_regencies(province_code: str | None) -> tuple[Regency, ...]:
    chosen = (r for r in _regencies().values() if province_code is None or r.province_code == province_code)
    return tuple(sorted(chosen, key=lambda r: r.code))


def regencies(province_code: str | None = None) -> tuple[Regency, ...]:
    """All regencies/cities, or those of one province, sorted by code."""
    return _sorted_regencies(None if province_code is None else province_code.strip())


def normalize_regency_code(code: str) -> str | None:
    """A regency code in the dotted form: "32.73" or "3273" as "32.73"; None when it is neither."""
    code = code.strip()
    if REGENCY_CODE.fullmatch(code):
        return code
    match = UNDOTTED_REGENCY_CODE.fullmatch(code)
    return f"{match.group(1)}.{match.group(2)}" if match else None


def regency(code: str) -> Regency | None:
    """The regency/city of a code, dotted ("32.73") or not ("3273"), or None."""
    normalized = normalize_regency_code(code)
    return None if normalized is None else _regencies().get(normalized)
