"""The medication catalogue: a validated data file, and the system check that guards it."""

from __future__ import annotations

from pathlib import Path

import pytest

from nyeri.prescriptions import catalogue
from nyeri.prescriptions.catalogue.loader import DATA_FILE, CatalogueError, load_catalogue
from nyeri.prescriptions.checks import catalogue_problems

PAIN_CLINIC_DRUGS = [
    "paracetamol",
    "ibuprofen",
    "diclofenac",
    "gabapentin",
    "pregabalin",
    "amitriptyline",
    "duloxetine",
    "tramadol",
    "codeine",
    "morphine",
    "oxycodone",
    "hydrocodone",
    "fentanyl",
    "hydromorphone",
    "methadone",
    "tapentadol",
    "buprenorphine",
    "diazepam",
    "alprazolam",
    "clonazepam",
    "lorazepam",
    "lidocaine",
]


def test_the_shipped_catalogue_loads_and_the_system_check_is_clean() -> None:
    assert catalogue_problems() == []
    assert catalogue.catalogue_version()


@pytest.mark.parametrize("drug", PAIN_CLINIC_DRUGS)
def test_it_covers_the_drugs_a_pain_clinic_uses(drug: str) -> None:
    assert any(drug in m.generic_en for m in catalogue.shipped_catalogue().medications)


def test_controlled_classes_follow_each_jurisdiction() -> None:
    def klass(code: str, jurisdiction: str) -> str:
        med = catalogue.medication(code)
        assert med is not None
        return catalogue.controlled_class(med, jurisdiction)

    assert klass("morphine-30mg-tab-mr", "ID") == "narkotika_II"
    assert klass("fentanyl-25mcgh-patch", "ID") == "narkotika_II"
    assert klass("codeine-10mg-tab", "ID") == "narkotika_III"
    assert klass("diazepam-5mg-tab", "ID") == "psikotropika_IV"
    assert klass("tramadol-50mg-cap", "ID") == ""
    assert klass("tramadol-50mg-cap", "US") == "CIV"
    assert klass("pregabalin-75mg-cap", "US") == "CV"
    assert klass("oxycodone-10mg-tab-er", "US") == "CII"
    assert catalogue.class_label("ID", "narkotika_II", "id") == "Narkotika golongan II"


def test_hydrocodone_is_offered_in_the_us_only() -> None:
    assert "hydrocodone-apap-5-325-tab" in {m.code for m in catalogue.for_jurisdiction("US")}
    assert "hydrocodone-apap-5-325-tab" not in {m.code for m in catalogue.for_jurisdiction("ID")}


def test_benzodiazepines_are_flagged() -> None:
    flagged = {m.generic_en for m in catalogue.shipped_catalogue().medications if m.benzodiazepine}
    assert flagged == {"diazepam", "alprazolam", "clonazepam", "lorazepam"}


def broken(tmp_path: Path, old: str, new: str) -> Path:
    text = DATA_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "medications.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_bad_entry_is_refused_naming_the_file_the_entry_and_the_field(tmp_path: Path) -> None:
    path = broken(tmp_path, 'atc = "N02BE01"', 'atc = "paracetamol"')
    with pytest.raises(CatalogueError, match=r"medications\.toml: medications\[0\] \(paracetamol-500mg-tab\) atc"):
        load_catalogue(path)


def test_an_opioid_without_a_factor_must_say_why(tmp_path: Path) -> None:
    path = broken(tmp_path, 'mme = [{ table = "CDC-2022", factor = 0.2 }]\n', "")
    with pytest.raises(CatalogueError, match=r"\(tramadol-50mg-cap\).*must say why"):
        load_catalogue(path)


def test_a_market_without_a_controlled_class_is_refused(tmp_path: Path) -> None:
    path = broken(tmp_path, 'controlled = { ID = "none", US = "none" }', 'controlled = { ID = "none" }')
    with pytest.raises(CatalogueError, match=r"no class .* for market US"):
        load_catalogue(path)


def test_an_unknown_factor_table_is_refused(tmp_path: Path) -> None:
    path = broken(
        tmp_path, 'mme = [{ table = "CDC-2022", factor = 0.2 }]', 'mme = [{ table = "CDC-1999", factor = 0.2 }]'
    )
    with pytest.raises(CatalogueError, match="unknown MME table 'CDC-1999'"):
        load_catalogue(path)


def test_a_file_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "medications.toml"
    path.write_text("version = ", encoding="utf-8")
    with pytest.raises(CatalogueError, match="cannot be read"):
        load_catalogue(path)
