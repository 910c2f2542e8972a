"""One body-site vocabulary for assessments, diagnoses and procedures (nyeri/lib/bodysites.toml)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from nyeri.accounts.models import User
from nyeri.clinical.diagnoses.models import Diagnosis
from nyeri.clinical.models import Patient
from nyeri.interop.fhir import condition, systems
from nyeri.lib.bodysites import BodySitesError, body_sites, load_body_sites, site_choices, site_label
from nyeri.procedures.catalogue import catalogue
from tests.diagnoses.conftest import client_of
from tests.diagnoses.test_services import errors_of, record

# The codes stored before the vocabulary was shared: the body map's regions and the
# diagnoses' own short list. Rows keep them, so every one must still read.
BODY_MAP_BEFORE = [
    "head",
    "face",
    "neck",
    "shoulder",
    "upper_arm",
    "elbow",
    "forearm",
    "wrist_hand",
    "chest",
    "abdomen",
    "upper_back",
    "lower_back",
    "pelvis_groin",
    "sacrum_buttock",
    "hip",
    "thigh",
    "knee",
    "lower_leg",
    "ankle_foot",
]
DIAGNOSES_BEFORE = [
    "head",
    "face",
    "jaw",
    "neck",
    "shoulder",
    "arm",
    "elbow",
    "wrist_hand",
    "chest",
    "upper_back",
    "lower_back",
    "sacrum_coccyx",
    "abdomen",
    "pelvis",
    "hip",
    "buttock",
    "leg",
    "knee",
    "ankle_foot",
    "widespread",
]


@pytest.fixture(autouse=True)
def _language_restored() -> Iterator[None]:
    # A request through the test client leaves its language active in this thread: put
    # the one before back, so that the next test does not run in Indonesian.
    with translation.override(translation.get_language()):
        yield


def snomed_of(code: str) -> str:
    site = body_sites().site(code)
    assert site is not None
    return site.snomed


def test_every_code_stored_before_the_vocabulary_was_shared_still_has_a_name_in_both_languages() -> None:
    for code in {*BODY_MAP_BEFORE, *DIAGNOSES_BEFORE}:
        site = body_sites().site(code)
        assert site is not None, code
        assert site.label("en")
        assert site.label("id")


def test_the_body_map_draws_the_same_regions_in_the_same_order_as_before() -> None:
    assert [s.code for s in body_sites().body_map] == BODY_MAP_BEFORE


def test_snomed_codes_are_the_checked_body_structures_and_a_combined_region_has_none() -> None:
    assert [snomed_of(c) for c in ("knee", "jaw", "leg", "wrist_hand")] == ["72696002", "661005", "61685007", ""]
    assert [(s.code, s.snomed) for s in body_sites().sides] == [
        ("left", "7771000"),
        ("right", "24028007"),
        ("bilateral", "51440002"),
        ("midline", "399488007"),
    ]


def test_every_procedure_site_is_a_site_of_the_vocabulary() -> None:
    for proc in catalogue().procedures:
        assert set(proc.body_sites) <= set(body_sites().codes), proc.code


def test_a_within_naming_no_site_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bodysites.toml"
    path.write_text(
        'version = "1"\nsource = "test"\n[[sides]]\ncode = "left"\nsnomed = "7771000"\nsnomed_term = "Left"\n'
        '[[sites]]\ncode = "knee"\nlabel_en = "Knee"\nlabel_id = "Lutut"\npaired = true\nwithin = "leg"\n',
        encoding="utf-8",
    )
    with pytest.raises(BodySitesError, match=r"bodysites.toml: sites: .*'within' names unknown site\(s\): leg"):
        load_body_sites(path)


def test_labels_and_choices_follow_the_active_language() -> None:
    with translation.override("id"):
        assert site_label("lower_leg") == "Tungkai bawah"
        assert ("knee", "Lutut") in site_choices()
    with translation.override("en"):
        assert site_label("lower_leg") == "Lower leg"
        assert site_choices({"knee", "hip"}) == [("hip", "Hip"), ("knee", "Knee")]
    assert site_label("not_a_site") == "not_a_site"


def test_a_diagnosis_takes_a_body_map_region_it_did_not_have_before(physician: User, patient: Patient) -> None:
    found = record(physician, patient, body_site="thigh", laterality="left")
    assert Diagnosis.objects.get(pk=found.pk).body_site == "thigh"
    with translation.override("id"):
        assert found.body_site_label() == "Paha"


def test_a_diagnosis_with_a_site_outside_the_vocabulary_is_refused_naming_the_field(
    physician: User, patient: Patient
) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        record(physician, patient, body_site="tail")
    assert errors_of(excinfo) == {"body_site": ["Choose a body site from the list."]}


def test_the_diagnosis_form_offers_the_vocabulary_in_the_readers_language(physician: User, patient: Patient) -> None:
    client = client_of(physician)
    client.post("/i18n/setlang/", {"language": "id", "next": "/"})
    html = client.get(f"/patients/{patient.pk}/diagnoses/new/").content.decode()
    assert '<option value="lower_leg">Tungkai bawah</option>' in html
    assert '<option value="jaw">Rahang</option>' in html


def test_the_fhir_condition_codes_its_body_site_in_snomed_ct_as_well(physician: User, patient: Patient) -> None:
    found = record(physician, patient, body_site="jaw", laterality="right")
    with translation.override("en"):
        data = condition.as_json(found)
    site = data["bodySite"][0]
    assert {"system": systems.SNOMED, "code": "661005", "display": "Jaw region"} in site["coding"]
    assert {"system": systems.BODY_REGION, "code": "jaw"} in site["coding"]
    assert {"system": systems.LATERALITY, "code": "right"} in site["coding"]
    assert site["text"] == "Jaw (Right)"


def test_a_site_without_a_snomed_concept_is_sent_with_nyeris_code_alone() -> None:
    assert systems.body_site_codings("wrist_hand") == [{"system": systems.BODY_REGION, "code": "wrist_hand"}]
