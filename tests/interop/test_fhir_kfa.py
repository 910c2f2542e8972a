"""KFA codes (SATUSEHAT's drug dictionary) as data with their source, on MedicationRequest and
MedicationDispense."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.medicationdispense import MedicationDispense
from fhir.resources.R4B.medicationrequest import MedicationRequest

from nyeri.prescriptions.catalogue import medication
from nyeri.prescriptions.catalogue.kfa import DATA_FILE, KFA_SYSTEM, load_kfa
from nyeri.prescriptions.catalogue.loader import CatalogueError
from nyeri.register.models import Movement, StockBalance
from tests.interop.conftest import Clinic, at, make_prescription

PARACETAMOL = "paracetamol-500mg-tab"


def get(client: Client, path: str) -> dict[str, Any]:
    response = client.get(f"/fhir/R4{path}")
    assert response.status_code == 200, response.content
    return dict(response.json())


def test_every_kfa_entry_names_a_catalogue_product_and_its_source() -> None:
    table = load_kfa(DATA_FILE)
    assert table.kfa
    for entry in table.kfa:
        assert medication(entry.medication) is not None, entry.medication
        assert entry.source
        # A prescription names a generic product: the virtual product (POV, 92...).
        assert entry.level == "POV"
        assert entry.code.startswith("92")


def test_a_kfa_file_with_a_product_coded_twice_or_a_malformed_code_is_refused(tmp_path: Path) -> None:
    twice = tmp_path / "kfa.toml"
    entry = 'medication = "x"\ncode = "92001267"\ndisplay = "X"\nlevel = "POV"\nsource = "a source long enough"\n'
    twice.write_text(f'version = "1"\n[[kfa]]\n{entry}[[kfa]]\n{entry}', encoding="utf-8")
    with pytest.raises(CatalogueError, match="two KFA codes"):
        load_kfa(twice)
    malformed = tmp_path / "bad.toml"
    malformed.write_text(f'version = "1"\n[[kfa]]\n{entry.replace("92001267", "1234")}', encoding="utf-8")
    with pytest.raises(CatalogueError, match="code"):
        load_kfa(malformed)


def test_a_prescription_line_with_a_known_kfa_code_carries_it_and_is_found_by_it(fhir: Client, clinic: Clinic) -> None:
    item = make_prescription(clinic, medication_code=PARACETAMOL)
    data = get(fhir, f"/MedicationRequest/{item.pk}")
    MedicationRequest.model_validate(data)
    assert data["medicationCodeableConcept"]["coding"][0] == {
        "system": KFA_SYSTEM,
        "code": "92001267",
        "display": "Paracetamol 500 mg Tablet",
    }
    assert get(fhir, f"/MedicationRequest?code={KFA_SYSTEM}|92001267")["total"] == 1
    assert get(fhir, f"/MedicationRequest?code={KFA_SYSTEM}|92000000")["total"] == 0


def test_a_product_without_a_known_kfa_code_has_none(fhir: Client, clinic: Clinic) -> None:
    item = make_prescription(clinic, medication_code="tramadol-50mg-cap")
    systems = [c["system"] for c in get(fhir, f"/MedicationRequest/{item.pk}")["medicationCodeableConcept"]["coding"]]
    assert KFA_SYSTEM not in systems
    assert "http://www.whocc.no/atc" in systems


def test_a_dispensing_carries_the_kfa_code_of_its_product(fhir: Client, clinic: Clinic) -> None:
    item = make_prescription(clinic, medication_code=PARACETAMOL)
    product = StockBalance.objects.create(
        organization=clinic.org,
        facility=clinic.facility,
        medication_code=PARACETAMOL,
        label_en=item.label_en,
        label_id=item.label_id,
        strength=item.strength,
        strength_unit=item.strength_unit,
        dose_unit=item.dose_unit,
        controlled_class="narkotika_II",
        quantity=70,
    )
    dispensing = Movement.objects.create(
        organization=clinic.org,
        facility=clinic.facility,
        balance=product,
        kind="dispensing",
        quantity=30,
        delta=-30,
        balance_after=70,
        occurred_at=at(3, 13),
        recorded_by=clinic.user,
        prescription=item.prescription,
        prescription_item=item,
        patient=clinic.patient,
    )
    data = get(fhir, f"/MedicationDispense/{dispensing.pk}")
    MedicationDispense.model_validate(data)
    assert data["medicationCodeableConcept"]["coding"][0]["system"] == KFA_SYSTEM
    assert data["medicationCodeableConcept"]["coding"][0]["code"] == "92001267"
