"""MedicationRequest: one line of a prescription (ATC and the catalogue code; dose, frequency,
quantity and days), grouped by its prescription."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fhir.resources.R4B.medicationrequest import MedicationRequest as FhirMedicationRequest

from nyeri.interop.fhir import systems
from nyeri.prescriptions.catalogue.kfa import KFA_SYSTEM, kfa_code
from nyeri.prescriptions.models import PrescriptionItem

ATC = "http://www.whocc.no/atc"
MEDICATION = f"{systems.BASE}/CodeSystem/medication"
PRESCRIPTION = f"{systems.BASE}/sid/prescription"
STATUS = {"draft": "draft", "signed": "active", "cancelled": "cancelled"}
STATUS_FROM_FHIR = {v: k for k, v in STATUS.items()}


def _number(value: Decimal) -> int | Decimal:
    return int(value) if value == value.to_integral_value() else value


def medication_codings(medication_code: str, label: str, atc: str = "") -> list[dict[str, Any]]:
    """The product's codes: KFA (what SATUSEHAT asks for) when known, ATC, the catalogue code."""
    found = [systems.coding(MEDICATION, medication_code, label)]
    if atc:
        found.insert(0, systems.coding(ATC, atc))
    kfa = kfa_code(medication_code)
    if kfa is not None:
        found.insert(0, systems.coding(KFA_SYSTEM, kfa.code, kfa.display))
    return found


def dosage(item: PrescriptionItem) -> dict[str, Any]:
    found: dict[str, Any] = {
        "sequence": item.position,
        "text": item.instructions or f"{_number(item.dose)} {item.dose_unit} x {_number(item.doses_per_day)}/day",
        "asNeededBoolean": item.as_needed,
        "route": {"text": item.route},
        "doseAndRate": [{"doseQuantity": {"value": item.dose, "unit": item.dose_unit}}],
    }
    per_day = item.doses_per_day
    if per_day == per_day.to_integral_value() and per_day > 0:
        found["timing"] = {"repeat": {"frequency": int(per_day), "period": 1, "periodUnit": "d"}}
    return found


def as_json(item: PrescriptionItem) -> dict[str, Any]:
    """The resource as plain JSON values (the bulk export writes these; ``build`` validates them)."""
    prescription = item.prescription
    data: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": str(item.pk),
        "groupIdentifier": {"system": PRESCRIPTION, "value": str(prescription.pk)},
        "status": STATUS[prescription.status],
        "intent": "order",
        "medicationCodeableConcept": systems.concept(
            *medication_codings(item.medication_code, item.label_en, item.atc), text=item.label_en
        ),
        "subject": systems.ref("Patient", prescription.patient_id),
        "authoredOn": systems.instant(prescription.signed_at or prescription.created_at),
        "dosageInstruction": [dosage(item)],
        "dispenseRequest": {
            "quantity": {"value": item.quantity, "unit": item.dose_unit},
            "expectedSupplyDuration": {
                "value": item.days,
                "unit": "d",
                "system": "http://unitsofmeasure.org",
                "code": "d",
            },
        },
    }
    if prescription.prescriber_id is not None:
        data["requester"] = systems.ref("Practitioner", prescription.prescriber_id)
    if prescription.status == "cancelled" and prescription.cancel_reason:
        data["statusReason"] = {"text": prescription.cancel_reason}
    return data


def build(item: PrescriptionItem) -> FhirMedicationRequest:
    return FhirMedicationRequest.model_validate(as_json(item))
