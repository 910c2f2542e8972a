"""The NIK: its layout, what it refuses, and its contradictions with the birth date and sex on a form."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from nyeri import regions
from nyeri.regions.nik import NikFacts, NikProblem, check_nik, nik_regency, parse_nik

# A woman (day 05 + 40 = 45) born on 5 August 1990, registered in district 32.73.01 (Kota Bandung).
WOMAN = "3273014508900001"
# A man born on 17 March 2001 in district 73.71.02 (Kota Makassar).
MAN = "7371021703010042"


def refusal(nik: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        parse_nik(nik)
    return caught.value


def test_a_womans_nik_parses_as_female_with_the_real_day() -> None:
    assert parse_nik(WOMAN) == NikFacts(
        nik=WOMAN,
        province_code="32",
        regency_code="32.73",
        district_code="32.73.01",
        birth_day=5,
        birth_month=8,
        birth_year_2digits=90,
        female=True,
    )


def test_a_mans_nik_parses_as_male_with_the_day_as_written() -> None:
    facts = parse_nik(MAN)
    assert (facts.birth_day, facts.birth_month, facts.birth_year_2digits, facts.female) == (17, 3, 1, False)
    assert facts.regency_code == "73.71"


def test_surrounding_spaces_are_ignored() -> None:
    assert parse_nik(f"  {WOMAN} ").nik == WOMAN


def test_a_nik_of_15_digits_is_refused_saying_how_many_were_given() -> None:
    error = refusal(WOMAN[:15])
    assert error.code == "nik_format"
    assert "16" in error.messages[0]
    assert "15" in error.messages[0]


def test_a_nik_with_letters_or_punctuation_is_refused_as_malformed() -> None:
    assert refusal("3273.0145.0890.0001").code == "nik_format"
    assert refusal("327301450890000A").code == "nik_format"
    assert refusal("").code == "nik_format"


def test_a_nik_of_province_99_is_refused() -> None:
    error = refusal("9973014508900001")
    assert error.code == "nik_province"
    assert "99" in error.messages[0]


def test_a_nik_of_an_unlisted_regency_is_refused_as_such() -> None:
    # 91.01 was Kabupaten Merauke before the 2022 split (now 93.01): no longer in the list.
    error = refusal("9101014508900001")
    assert error.code == "nik_regency"
    assert "91.01" in error.messages[0]
    assert nik_regency("9101014508900001") is None


@pytest.mark.parametrize(
    "ddmmyy",
    ["051390", "320190", "720190", "000190", "400190", "310490", "300290", "290201"],
)
def test_an_impossible_encoded_birth_date_is_refused(ddmmyy: str) -> None:
    assert refusal(f"327301{ddmmyy}0001").code == "nik_birth_date"


def test_29_february_of_a_year_leap_in_one_of_the_two_centuries_is_accepted() -> None:
    assert parse_nik("3273016902000001").birth_day == 29  # 2000 is a leap year (1900 is not)
    assert parse_nik("3273012902960001").birth_month == 2


def test_the_regency_of_a_nik_is_where_it_was_issued() -> None:
    assert nik_regency(WOMAN) == regions.regency("32.73")
    assert nik_regency("not a nik") is None


def test_a_nik_matching_the_form_has_no_problems() -> None:
    assert check_nik(WOMAN, birth_date=date(1990, 8, 5), sex="female") == []
    assert check_nik(MAN, birth_date=date(2001, 3, 17), sex="male") == []


def test_a_birth_date_contradicting_the_nik_is_a_problem_of_the_birth_date_field() -> None:
    problems = check_nik(WOMAN, birth_date=date(1990, 8, 6))
    assert [(p.field, p.code) for p in problems] == [("birth_date", "nik_birth_date_mismatch")]
    assert "05-08-90" in problems[0].message


def test_the_century_of_the_birth_date_is_not_compared() -> None:
    assert check_nik(MAN, birth_date=date(1901, 3, 17)) == []


def test_a_male_sex_on_a_womans_nik_is_a_problem_of_the_sex_field() -> None:
    problems = check_nik(WOMAN, sex="male")
    assert [(p.field, p.code) for p in problems] == [("sex", "nik_sex_mismatch")]


def test_a_female_sex_on_a_mans_nik_is_a_problem_of_the_sex_field() -> None:
    assert [p.field for p in check_nik(MAN, sex="female")] == ["sex"]


@pytest.mark.parametrize("sex", ["other", "unknown", None])
def test_other_and_unknown_sex_never_contradict_the_nik(sex: str | None) -> None:
    assert check_nik(WOMAN, sex=sex) == []
    assert check_nik(MAN, sex=sex) == []


def test_a_malformed_nik_is_one_problem_of_the_nik_field() -> None:
    problems = check_nik("12345", birth_date=date(1990, 8, 5), sex="male")
    assert len(problems) == 1
    assert (problems[0].field, problems[0].code) == ("nik", "nik_format")
    assert "5" in problems[0].message


def test_an_unlisted_regency_is_reported_and_the_form_still_compared() -> None:
    problems = check_nik("9101014508900001", birth_date=date(1990, 8, 5), sex="male")
    assert [(p.field, p.code) for p in problems] == [("nik", "nik_regency"), ("sex", "nik_sex_mismatch")]


def test_the_problems_are_translated_into_indonesian() -> None:
    with translation.override("id"):
        problem = check_nik(WOMAN[:15])[0]
        assert problem == NikProblem("nik", "nik_format", "NIK terdiri dari 16 digit; yang diberikan 15.")
        assert "tidak sesuai" in check_nik(WOMAN, birth_date=date(1990, 8, 6))[0].message


@given(
    regency=st.sampled_from(regions.regencies()),
    district=st.integers(min_value=1, max_value=99),
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
    female=st.booleans(),
    serial=st.integers(min_value=1, max_value=9999),
)
def test_any_nik_built_from_a_real_regency_and_date_parses_back_to_the_same_facts(
    regency: regions.Regency, district: int, born: date, female: bool, serial: int
) -> None:
    day = born.day + 40 if female else born.day
    nik = f"{regency.code.replace('.', '')}{district:02d}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"
    assert parse_nik(nik) == NikFacts(
        nik=nik,
        province_code=regency.province_code,
        regency_code=regency.code,
        district_code=f"{regency.code}.{district:02d}",
        birth_day=born.day,
        birth_month=born.month,
        birth_year_2digits=born.year % 100,
        female=female,
    )
    assert nik_regency(nik) == regency
    assert check_nik(nik, birth_date=born, sex="female" if female else "male") == []
