"""Instruments as data: every shipped file loads, each scores as computed by hand, bad files are refused."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from nyeri.clinical.instruments import InstrumentError, all_instruments, checks, instrument, loader
from nyeri.clinical.instruments.loader import load_instrument
from nyeri.clinical.instruments.schema import Instrument
from nyeri.clinical.instruments.scoring import answer_errors, compute_scores
from nyeri.lib.bodysites import BodySitesError, body_sites, load_body_sites

NRS_FILE = """
code = "{code}"
version = "1"
abbreviation = "T"
label_en = "Test"
label_id = "Uji"
source = "test"

[[items]]
code = "intensity"
label_en = "Pain"
label_id = "Nyeri"
min = {min}
max = {max}

[[scores]]
code = "total"
label_en = "Total"
label_id = "Total"
rule = "sum"
items = [{items}]
bands = [{bands}]
"""


def nrs_file(tmp_path: Path, *, code: str = "bad", name: str = "bad", **values: object) -> Path:
    fields: dict[str, object] = {"code": code, "min": 0, "max": 10, "items": '"intensity"', "bands": ""}
    fields.update(values)
    path = tmp_path / f"{name}.toml"
    path.write_text(NRS_FILE.format(**fields), encoding="utf-8")
    return path


def loaded(code: str) -> Instrument:
    found = instrument(code)
    assert found is not None
    return found


def scored(code: str, answers: dict[str, int | None], sex: str = "male") -> dict[str, Decimal | None]:
    found = instrument(code)
    assert found is not None
    assert answer_errors(found, answers) == {}
    return {r.score.code: r.value for r in compute_scores(found, answers, sex=sex)}


def bands(code: str, answers: dict[str, int | None], sex: str = "male") -> dict[str, str]:
    found = instrument(code)
    assert found is not None
    return {r.score.code: r.band.code for r in compute_scores(found, answers, sex=sex) if r.band is not None}


def test_every_shipped_instrument_and_the_body_map_load() -> None:
    assert set(all_instruments()) == {"nrs", "peg", "bpi_sf", "odi", "phq9", "gad7", "ort"}
    assert len(body_sites().body_map) >= 15
    assert checks.instruments_valid(None) == []


def test_loinc_codes_from_the_reference_are_kept_and_unverified_ones_are_marked() -> None:
    nrs, peg, phq9, gad7 = (loaded(c) for c in ("nrs", "peg", "phq9", "gad7"))
    assert (nrs.scores[0].loinc.code, nrs.scores[0].loinc.verified) == ("72514-3", True)  # type: ignore[union-attr]
    assert (phq9.scores[0].loinc.code, gad7.scores[0].loinc.code) == ("44261-6", "70274-6")  # type: ignore[union-attr]
    assert peg.panel_loinc is not None
    assert (peg.panel_loinc.code, peg.panel_loinc.verified) == ("91148-7", False)
    assert peg.scores[0].loinc is not None
    assert (peg.scores[0].loinc.code, peg.scores[0].loinc.verified) == ("91147-9", False)
    last = phq9.items[0].answers[3]
    assert last.loinc is not None
    assert (last.loinc.code, last.loinc.verified) == ("LA6571-9", False)


@pytest.mark.parametrize(
    ("rating", "band"), [(0, "none"), (3, "mild"), (4, "moderate"), (7, "severe"), (10, "excruciating")]
)
def test_the_numeric_rating_is_its_own_score_with_the_snomed_band(rating: int, band: str) -> None:
    assert scored("nrs", {"intensity": rating}) == {"total": Decimal(rating)}
    assert bands("nrs", {"intensity": rating}) == {"total": band}


@pytest.mark.parametrize(
    ("p", "e", "g", "mean"), [(7, 5, 6, "6.0"), (8, 6, 5, "6.3"), (4, 5, 5, "4.7"), (0, 0, 1, "0.3")]
)
def test_the_peg_score_is_the_mean_of_its_three_items_to_one_decimal(p: int, e: int, g: int, mean: str) -> None:
    assert scored("peg", {"pain_average": p, "enjoyment": e, "general_activity": g}) == {"total": Decimal(mean)}


BPI_INTENSITY = {"worst": 8, "least": 3, "average": 5, "now": 6}


def test_the_bpi_records_severity_and_interference_as_two_means() -> None:
    interference = {
        "general_activity": 4,
        "mood": 5,
        "walking": 6,
        "normal_work": 3,
        "relations": 7,
        "sleep": 2,
        "enjoyment": 8,
    }
    # Severity (8 + 3 + 5 + 6) / 4 = 5.5; interference 35 / 7 = 5.0.
    assert scored("bpi_sf", {**BPI_INTENSITY, **interference}) == {
        "severity": Decimal("5.5"),
        "interference": Decimal("5.0"),
    }


def test_bpi_interference_is_scored_from_four_answered_items() -> None:
    # (4 + 5 + 6 + 4) / 4 = 4.75, rounded half up to 4.8.
    answers = {**BPI_INTENSITY, "general_activity": 4, "mood": 5, "walking": 6, "sleep": 4, "relations": None}
    assert scored("bpi_sf", answers)["interference"] == Decimal("4.8")


def test_bpi_interference_with_fewer_than_four_answered_items_has_no_score() -> None:
    found = instrument("bpi_sf")
    assert found is not None
    results = compute_scores(found, {**BPI_INTENSITY, "mood": 5, "walking": 6, "sleep": 4}, sex="female")
    interference = next(r for r in results if r.score.code == "interference")
    assert (interference.value, interference.answered, interference.needed) == (None, 3, 4)
    assert next(r for r in results if r.score.code == "severity").value == Decimal("5.5")


ODI_SECTIONS = [
    "pain_intensity",
    "personal_care",
    "lifting",
    "walking",
    "sitting",
    "standing",
    "sleeping",
    "sex_life",
    "social_life",
    "travelling",
]


def test_the_oswestry_index_is_the_percentage_of_the_maximum() -> None:
    answers = dict(zip(ODI_SECTIONS, [2, 1, 3, 2, 2, 1, 2, 0, 1, 2], strict=True))
    # 16 / (5 x 10) x 100 = 32 %.
    assert scored("odi", answers) == {"index": Decimal(32)}
    assert bands("odi", answers) == {"index": "moderate"}


def test_the_oswestry_index_with_a_skipped_section_divides_by_the_sections_answered() -> None:
    answers: dict[str, int | None] = dict(zip(ODI_SECTIONS, [2, 2, 3, 2, 2, 2, 2, 0, 1, 2], strict=True))
    answers["sex_life"] = None
    # 18 / (5 x 9) x 100 = 40 % (with the section counted as 0 it would be 36 %).
    assert scored("odi", answers) == {"index": Decimal(40)}
    assert bands("odi", answers) == {"index": "moderate"}
    answers["social_life"] = 2
    # 19 / 45 x 100 = 42.2 %, reported as 42: severe disability.
    assert scored("odi", answers) == {"index": Decimal(42)}
    assert bands("odi", answers) == {"index": "severe"}


def test_the_oswestry_index_needs_eight_sections() -> None:
    found = instrument("odi")
    assert found is not None
    answers = dict.fromkeys(ODI_SECTIONS[:7], 2)
    assert compute_scores(found, answers, sex="male")[0].value is None


@pytest.mark.parametrize(
    ("answers", "total", "band"),
    [
        ([1, 2, 1, 2, 0, 1, 1, 0, 0], 8, "mild"),
        ([2, 2, 1, 2, 1, 1, 1, 0, 0], 10, "moderate"),
        ([3] * 9, 27, "severe"),
        ([0] * 9, 0, "minimal"),
    ],
)
def test_the_phq9_total_is_the_sum_with_its_depression_band(answers: list[int], total: int, band: str) -> None:
    found = instrument("phq9")
    assert found is not None
    given = dict(zip([i.code for i in found.items], answers, strict=True))
    assert scored("phq9", given) == {"total": Decimal(total)}
    assert bands("phq9", given) == {"total": band}


def test_the_gad7_total_is_the_sum_with_its_anxiety_band() -> None:
    found = instrument("gad7")
    assert found is not None
    given = dict(zip([i.code for i in found.items], [2, 2, 2, 1, 1, 1, 1], strict=True))
    assert scored("gad7", given) == {"total": Decimal(10)}
    assert bands("gad7", given) == {"total": "moderate"}


ORT_NO = {
    "family_alcohol": 0,
    "family_illegal_drugs": 0,
    "family_prescription_drugs": 0,
    "personal_alcohol": 0,
    "personal_illegal_drugs": 0,
    "personal_prescription_drugs": 0,
    "age_16_45": 0,
    "preadolescent_sexual_abuse": 0,
    "psychological_disease": 0,
    "depression": 0,
}


def test_the_opioid_risk_tool_weighs_the_same_answers_by_sex() -> None:
    answers = {**ORT_NO, "family_alcohol": 1, "personal_alcohol": 1, "preadolescent_sexual_abuse": 1, "depression": 1}
    # Female: 1 + 3 + 3 + 1 = 8, high risk. Male: 3 + 3 + 0 + 1 = 7, moderate risk.
    assert (scored("ort", answers, "female"), bands("ort", answers, "female")) == ({"risk": 8}, {"risk": "high"})
    assert (scored("ort", answers, "male"), bands("ort", answers, "male")) == ({"risk": 7}, {"risk": "moderate"})
    # Sex unknown: the higher weight of each item, 3 + 3 + 3 + 1 = 10.
    assert scored("ort", answers, "unknown") == {"risk": 10}


def test_the_opioid_risk_tool_with_no_yes_is_low_risk() -> None:
    assert (scored("ort", ORT_NO, "female"), bands("ort", ORT_NO, "female")) == ({"risk": 0}, {"risk": "low"})


def test_answers_out_of_range_missing_or_unknown_are_named_by_item() -> None:
    nrs, peg, ort = loaded("nrs"), loaded("peg"), loaded("ort")
    assert list(answer_errors(nrs, {"intensity": 11})) == ["answers.intensity"]
    assert list(answer_errors(nrs, {"intensity": -1})) == ["answers.intensity"]
    assert set(answer_errors(peg, {"pain_average": 3, "enjoyment": 4})) == {"answers.general_activity"}
    assert set(answer_errors(peg, {"pain_average": 3, "enjoyment": 4, "general_activity": 2, "extra": 1})) == {
        "answers"
    }
    assert list(answer_errors(ort, {**ORT_NO, "depression": 2})) == ["answers.depression"]
    bpi = instrument("bpi_sf")
    assert bpi is not None
    assert list(answer_errors(bpi, {**BPI_INTENSITY, "relief": 35})) == ["answers.relief"]
    assert answer_errors(bpi, {**BPI_INTENSITY, "relief": 30}) == {}


def test_a_bad_item_is_refused_naming_the_file_the_item_and_the_problem(tmp_path: Path) -> None:
    with pytest.raises(InstrumentError) as caught:
        load_instrument(nrs_file(tmp_path, min=10, max=0))
    assert str(caught.value) == "bad.toml: items[0] (intensity): max (0) must be greater than min (10)"


def test_a_score_of_an_unknown_item_is_refused_naming_the_score(tmp_path: Path) -> None:
    with pytest.raises(InstrumentError, match=r"bad.toml: .*score 'total': unknown item\(s\) nothing"):
        load_instrument(nrs_file(tmp_path, items='"nothing"'))


def test_bands_with_a_gap_or_not_covering_the_scores_are_refused(tmp_path: Path) -> None:
    gap = (
        '{ code = "low", min = 0, max = 3, label_en = "Low", label_id = "Rendah" },'
        '{ code = "high", min = 6, max = 10, label_en = "High", label_id = "Tinggi" }'
    )
    with pytest.raises(InstrumentError, match="band high does not follow band low"):
        load_instrument(nrs_file(tmp_path, bands=gap))
    short = '{ code = "low", min = 0, max = 8, label_en = "Low", label_id = "Rendah" }'
    with pytest.raises(InstrumentError, match="the last band ends at 8, not at the highest score 10"):
        load_instrument(nrs_file(tmp_path, bands=short))


def test_a_missing_label_is_refused_naming_the_field(tmp_path: Path) -> None:
    path = nrs_file(tmp_path)
    path.write_text(path.read_text().replace('label_id = "Nyeri"\n', ""), encoding="utf-8")
    with pytest.raises(InstrumentError, match=r"bad.toml: items\[0\] \(intensity\) label_id: Field required"):
        load_instrument(path)


def test_a_file_whose_code_is_not_its_name_or_is_not_toml_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InstrumentError, match=r"other\.toml: code 'bad' does not match the file name"):
        load_instrument(nrs_file(tmp_path, name="other"))
    broken = tmp_path / "broken.toml"
    broken.write_text("code = ", encoding="utf-8")
    with pytest.raises(InstrumentError, match=r"broken\.toml: cannot be read"):
        load_instrument(broken)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A data folder of this test's own (the loader's cache is emptied before and after)."""
    monkeypatch.setattr(loader, "DATA_DIR", tmp_path)
    loader.all_instruments.cache_clear()
    yield tmp_path
    loader.all_instruments.cache_clear()


def test_a_clinic_adds_an_instrument_by_adding_a_file(data_dir: Path) -> None:
    nrs_file(data_dir, code="vas", name="vas")
    assert list(all_instruments()) == ["vas"]
    found = instrument("vas")
    assert isinstance(found, Instrument)
    assert compute_scores(found, {"intensity": 4}, sex="female")[0].value == 4


def test_the_system_check_reports_a_bad_instrument_file(data_dir: Path) -> None:
    nrs_file(data_dir, min=10, max=0)
    (error,) = checks.instruments_valid(None)
    assert error.id == "nyeri.clinical.E001"
    assert "bad.toml: items[0] (intensity)" in error.msg


def test_a_bad_body_map_is_refused_naming_the_region(tmp_path: Path) -> None:
    path = tmp_path / "bodysites.toml"
    path.write_text(
        'version = "1"\nsource = "test"\n[[sides]]\ncode = "left"\nsnomed = "7771000"\nsnomed_term = "Left"\n'
        '[[sites]]\ncode = "knee"\nlabel_en = "Knee"\nlabel_id = "Lutut"\nviews = ["side"]\npaired = true\n',
        encoding="utf-8",
    )
    with pytest.raises(BodySitesError, match=r"bodysites.toml: sites\[0\] \(knee\) views.0: Input should be"):
        load_body_sites(path)
