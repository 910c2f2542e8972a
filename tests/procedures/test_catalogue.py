"""The procedure catalogue: what ships, and how a bad file is refused (file, entry, problem)."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from pathlib import Path

import pytest

from nyeri.lib.bodysites import body_sites
from nyeri.procedures import checks
from nyeri.procedures.catalogue import CatalogueError, catalogue, load_catalogue
from nyeri.procedures.catalogue import loader as catalogue_loader
from nyeri.procedures.catalogue.schema import Anesthesia, GuidanceCode
from nyeri.procedures.kinds import GUIDANCE_EQUIPMENT, AnesthesiaLevel, Guidance
from nyeri.workforce.policy.loader import all_packs

HEADER = """
version = "test-1"
sources = ["a test"]
icd9cm_edition = "ICD-9-CM 2010"
icd9cm_source = "a test"
"""

GOOD_ENTRY = """
[[procedures]]
code = "caudal"
label_en = "Caudal epidural steroid injection"
label_id = "Injeksi steroid epidural kaudal"
procedure_class = "interventional_spine"
body_sites = ["sacrum_buttock"]
laterality_required = false
guidance = ["fluoroscopy"]
anesthesia = "local"
icd9cm = { code = "03.92", title = "Injection of other agent into spinal canal", verified = true }
source = "a test"
"""


def write(tmp_path: Path, text: str, name: str = "bad.toml") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + text, encoding="utf-8")
    return path


def refused(tmp_path: Path, text: str) -> str:
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(write(tmp_path, text))
    return str(caught.value)


def test_the_shipped_catalogue_has_the_procedures_of_a_pain_service() -> None:
    codes = {p.code for p in catalogue().procedures}
    assert {
        "esi_interlaminar",
        "esi_transforaminal",
        "esi_caudal",
        "medial_branch_block",
        "facet_joint_injection",
        "rfa_medial_branch",
        "sacroiliac_joint_injection",
        "stellate_ganglion_block",
        "lumbar_sympathetic_block",
        "celiac_plexus_block",
        "celiac_plexus_neurolysis",
        "peripheral_nerve_block",
        "trigger_point_injection",
        "scs_trial",
    } <= codes


def test_epidural_steroid_injections_cover_the_cervical_thoracic_and_lumbar_spine() -> None:
    interlaminar = catalogue().procedure("esi_interlaminar")
    transforaminal = catalogue().procedure("esi_transforaminal")
    assert interlaminar is not None
    assert transforaminal is not None
    assert {"neck", "upper_back", "lower_back"} <= set(interlaminar.body_sites)
    assert {"neck", "upper_back", "lower_back"} <= set(transforaminal.body_sites)
    assert transforaminal.laterality_required
    assert not interlaminar.laterality_required


def test_every_entry_names_a_class_of_both_packs_body_map_regions_and_a_source() -> None:
    regions = set(body_sites().codes)
    for proc in catalogue().procedures:
        for pack in all_packs().values():
            assert proc.action in pack.actions, (proc.code, pack.jurisdiction)
        assert set(proc.body_sites) <= regions
        assert proc.source
        assert proc.label_en
        assert proc.label_id


def test_every_entry_has_an_icd9cm_code_and_the_unverified_ones_say_why() -> None:
    for proc in catalogue().procedures:
        assert proc.icd9cm is not None, proc.code
        if not proc.icd9cm.verified:
            assert proc.icd9cm.note, proc.code


def test_the_file_speaks_the_same_codes_as_the_models() -> None:
    assert set(typing.get_args(Anesthesia)) == set(AnesthesiaLevel.values)
    assert set(typing.get_args(GuidanceCode)) == set(Guidance.values)
    assert set(GUIDANCE_EQUIPMENT) == set(Guidance.values)


def test_a_good_file_loads(tmp_path: Path) -> None:
    loaded = load_catalogue(write(tmp_path, GOOD_ENTRY))
    assert loaded.procedure("caudal") is not None


def test_an_unknown_body_site_is_refused_naming_the_file_the_entry_and_the_problem(tmp_path: Path) -> None:
    message = refused(tmp_path, GOOD_ENTRY.replace('["sacrum_buttock"]', '["lumbar"]'))
    assert message.startswith("bad.toml: procedures[0] (caudal) body_sites: unknown body site 'lumbar'")


def test_a_class_missing_from_a_policy_pack_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, GOOD_ENTRY.replace('"interventional_spine"', '"acupuncture"'))
    assert "bad.toml: procedures[0] (caudal) procedure_class:" in message
    assert "no action 'perform_procedure:acupuncture' in policy pack(s) ID, US" in message


def test_a_usual_anesthesia_outside_its_options_is_refused(tmp_path: Path) -> None:
    text = GOOD_ENTRY.replace('anesthesia = "local"', 'anesthesia = "general"\nanesthesia_options = ["local"]')
    assert "bad.toml: procedures[0] (caudal): anesthesia 'general' is not one of anesthesia_options" in refused(
        tmp_path, text
    )


def test_an_unknown_guidance_and_a_bad_icd9cm_code_are_refused(tmp_path: Path) -> None:
    text = GOOD_ENTRY.replace('["fluoroscopy"]', '["mri"]').replace('"03.92"', '"3.92"')
    message = refused(tmp_path, text)
    assert "procedures[0] (caudal) guidance.0:" in message
    assert "procedures[0] (caudal) icd9cm.code:" in message


def test_a_procedure_defined_twice_is_refused(tmp_path: Path) -> None:
    assert "procedure(s) defined twice: caudal" in refused(tmp_path, GOOD_ENTRY + GOOD_ENTRY)


def test_a_side_rule_that_no_region_can_meet_is_refused(tmp_path: Path) -> None:
    text = GOOD_ENTRY.replace("laterality_required = false", 'laterality_required = true\nsides = ["midline"]')
    assert "cannot list 'midline'" in refused(tmp_path, text)


def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("version = ", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"^broken.toml: cannot be read"):
        load_catalogue(path)


@pytest.fixture
def bad_shipped_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(
        catalogue_loader, "CATALOGUE_PATH", write(tmp_path, GOOD_ENTRY.replace("sacrum_buttock", "tail"), "x.toml")
    )
    catalogue_loader.catalogue.cache_clear()
    yield
    catalogue_loader.catalogue.cache_clear()


def test_a_bad_catalogue_stops_the_deploy_with_a_system_check(bad_shipped_file: None) -> None:
    [error] = checks.procedure_catalogue_valid(None)
    assert error.id == "nyeri.procedures.E001"
    assert "x.toml: procedures[0] (caudal) body_sites: unknown body site 'tail'" in error.msg


def test_the_shipped_catalogue_passes_the_system_check() -> None:
    assert checks.procedure_catalogue_valid(None) == []
