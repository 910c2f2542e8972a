"""Instruments are named in full with their acronym, once, in both languages."""

from __future__ import annotations

import pytest

from nyeri.clinical.instruments import all_instruments, instrument_full_name


@pytest.mark.parametrize("language", ["en", "id"])
def test_every_instrument_is_named_in_full_with_its_acronym_once(language: str) -> None:
    for found in all_instruments().values():
        name = found.name(language)
        assert name.count(f"({found.abbreviation})") == 1, name
        assert len(name) > len(found.abbreviation) + 3, name  # more than the acronym


def test_the_full_names_read_as_people_know_them() -> None:
    assert instrument_full_name("phq9", "en") == "Patient Health Questionnaire-9 (PHQ-9)"
    assert instrument_full_name("bpi_sf", "en") == "Brief Pain Inventory Short Form (BPI-SF)"
    assert instrument_full_name("gad7", "en") == "Generalized Anxiety Disorder-7 (GAD-7)"
    assert instrument_full_name("unknown_code", "en") == "unknown_code"
