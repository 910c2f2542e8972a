"""MedicationDispense: a controlled drug handed to a patient (the register's dispensing), against
its prescription line; a reversed dispensing is entered in error."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.medicationdispense import MedicationDispense as FhirMedicationDispense

from nyeri.interop.fhir import systems
from nyeri.interop.fhir.medication_request import medication_codings
from nyeri.register.models import Movement


def reversed_(movement: Movement) -> bool:
    try:
        return movement.reversed_by is not None
    except Movement.DoesNotExist:
        return False


def as_json(movement: Movement) -> dict[str, Any]:
    """The resource as plain JSON values (the bulk export writes these; ``build`` validates them)."""
    if movement.patient_id is None:  # a dispensing always names its patient (a database constraint)
        raise ValueError("a dispensing without a patient")
    product = movement.balance
    item = movement.prescription_item
    codings = medication_codings(product.medication_code, product.label_en, item.atc if item is not None else "")
    data: dict[str, Any] = {
        "resourceType": "MedicationDispense",
        "id": str(movement.pk),
        "status": "entered-in-error" if reversed_(movement) else "completed",
        "medicationCodeableConcept": systems.concept(*codings, text=product.label_en),
        "subject": systems.ref("Patient", movement.patient_id),
        "location": systems.ref("Location", movement.facility_id),
        "quantity": {"value": movement.quantity, "unit": product.dose_unit},
        "whenHandedOver": systems.instant(movement.occurred_at),
    }
    if movement.prescription_item_id is not None:
        data["authorizingPrescription"] = [systems.ref("MedicationRequest", movement.prescription_item_id)]
    if movement.batch_number:
        data["note"] = [{"text": f"batch {movement.batch_number}"}]
    return data


def build(movement: Movement) -> FhirMedicationDispense:
    return FhirMedicationDispense.model_validate(as_json(movement))
