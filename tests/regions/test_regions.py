"""Indonesia's provinces and regencies/cities: counts, lookups, time zones and data validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from nyeri import regions
from nyeri.regions import Province, RegionDataError, load_provinces, load_regencies


def test_there_are_38_provinces_sorted_by_code() -> None:
    codes = [p.code for p in regions.provinces()]
    assert len(codes) == 38
    assert codes == sorted(codes)


def test_there_are_514_regencies_and_cities_sorted_by_code() -> None:
    codes = [r.code for r in regions.regencies()]
    assert len(codes) == 514
    assert codes == sorted(codes)
    assert sum(1 for r in regions.regencies() if r.name.startswith("Kabupaten ")) == 416
    assert sum(1 for r in regions.regencies() if r.name.startswith("Kota ")) == 98


def test_the_four_2022_papua_provinces_are_listed() -> None:
    names = {code: regions.province(code) for code in ("93", "94", "95", "96")}
    assert [p.name for p in names.values() if p] == [
        "Papua Selatan",
        "Papua Tengah",
        "Papua Pegunungan",
        "Papua Barat Daya",
    ]


def test_32_73_is_kota_bandung_in_jawa_barat_on_western_time() -> None:
    bandung = regions.regency("32.73")
    assert bandung is not None
    assert bandung.name == "Kota Bandung"
    assert bandung.province_code == "32"
    west_java = regions.province(bandung.province_code)
    assert west_java == Province(code="32", name="Jawa Barat", time_zone="Asia/Jakarta")
    assert regions.time_zone_label(west_java.time_zone) == "WIB"


def test_a_regency_code_without_the_dot_finds_the_same_regency() -> None:
    assert regions.regency("3273") == regions.regency("32.73")
    assert regions.regency("32.04") is not None
    assert regions.regency("32.04").name == "Kabupaten Bandung"  # type: ignore[union-attr]


def test_unknown_or_malformed_codes_find_nothing() -> None:
    assert regions.province("99") is None
    assert regions.province("3") is None
    assert regions.regency("99.01") is None
    assert regions.regency("32.7") is None
    assert regions.regency("kota") is None


def test_sulawesi_selatan_is_on_central_time() -> None:
    south_sulawesi = regions.province("73")
    assert south_sulawesi is not None
    assert south_sulawesi.name == "Sulawesi Selatan"
    assert regions.time_zone_label(south_sulawesi.time_zone) == "WITA"


def test_papua_is_on_eastern_time() -> None:
    papua = regions.province("91")
    assert papua is not None
    assert papua.time_zone == "Asia/Jayapura"
    assert regions.time_zone_label(papua.time_zone) == "WIT"


@pytest.mark.parametrize(
    ("code", "label"),
    [("11", "WIB"), ("61", "WIB"), ("62", "WIB"), ("51", "WITA"), ("63", "WITA"), ("65", "WITA"), ("81", "WIT")],
)
def test_every_province_has_its_keppres_41_1987_time_zone(code: str, label: str) -> None:
    found = regions.province(code)
    assert found is not None
    assert regions.time_zone_label(found.time_zone) == label


def test_a_time_zone_outside_indonesia_has_no_label() -> None:
    with pytest.raises(ValueError, match="Europe/Paris"):
        regions.time_zone_label("Europe/Paris")


def test_the_regencies_of_a_province_are_only_its_own() -> None:
    west_java = regions.regencies("32")
    assert len(west_java) == 27
    assert {r.province_code for r in west_java} == {"32"}
    assert regions.regencies("99") == ()


def test_every_regency_belongs_to_an_existing_province_and_every_province_has_regencies() -> None:
    codes = {p.code for p in regions.provinces()}
    assert {r.province_code for r in regions.regencies()} == codes


def test_the_source_names_the_decree() -> None:
    assert "Kepmendagri" in regions.SOURCE


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_regency_of_a_missing_province_is_refused_naming_the_line(tmp_path: Path) -> None:
    provinces = load_provinces(write(tmp_path, "p.csv", "code,name,time_zone\n32,Jawa Barat,Asia/Jakarta\n"))
    path = write(tmp_path, "r.csv", "code,name,province_code\n32.73,Kota Bandung,32\n33.01,Kabupaten Cilacap,33\n")
    with pytest.raises(RegionDataError, match=r"r\.csv, line 3: regency 33\.01 names province 33"):
        load_regencies(path, provinces)


def test_a_duplicated_province_code_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", "code,name,time_zone\n32,Jawa Barat,Asia/Jakarta\n32,Jawa Barat,Asia/Jakarta\n")
    with pytest.raises(RegionDataError, match="appears twice"):
        load_provinces(path)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("3,Jawa Barat,Asia/Jakarta", "not two digits"),
        ("32,Jawa Barat,Europe/Paris", "time zone"),
        ("32,,Asia/Jakarta", "non-empty"),
    ],
)
def test_a_malformed_province_line_is_refused(tmp_path: Path, line: str, problem: str) -> None:
    with pytest.raises(RegionDataError, match=problem):
        load_provinces(write(tmp_path, "p.csv", f"code,name,time_zone\n{line}\n"))


@pytest.mark.parametrize(
    ("line", "problem"),
    [("3273,Kota Bandung,32", "form 32.73"), ("33.73,Kota Bandung,32", "does not start")],
)
def test_a_malformed_regency_line_is_refused(tmp_path: Path, line: str, problem: str) -> None:
    provinces = load_provinces(write(tmp_path, "p.csv", "code,name,time_zone\n32,Jawa Barat,Asia/Jakarta\n"))
    with pytest.raises(RegionDataError, match=problem):
        load_regencies(write(tmp_path, "r.csv", f"code,name,province_code\n{line}\n"), provinces)
