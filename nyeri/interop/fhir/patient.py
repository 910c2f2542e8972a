"""Patient: NIK (the SATUSEHAT identifier), the record number, the IHS number once linked."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.patient import Patient as FhirPatient

from nyeri.clinical.models import Patient
from nyeri.interop.fhir import systems

GENDER = {"male": "male", "female": "female"}


def identifiers(patient: Patient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if patient.nik:
        found.append({"use": "official", "system": systems.NIK, "value": patient.nik})
    if patient.ihs_number:
        found.append({"use": "official", "system": systems.IHS_NUMBER, "value": patient.ihs_number})
    found.append(
        {
            "use": "usual",
            "type": systems.concept(systems.coding("http://terminology.hl7.org/CodeSystem/v2-0203", "MR")),
            "system": f"{systems.MRN}/{patient.organization_id}",
            "value": patient.mrn,
        }
    )
    return found


def as_json(patient: Patient) -> dict[str, Any]:
    """The resource as plain JSON values (the bulk export writes these; ``build`` validates them)."""
    data: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "identifier": identifiers(patient),
        "active": patient.merged_into_id is None,
        "name": [{"use": "official", "text": patient.full_name}],
        "gender": GENDER.get(patient.sex, "unknown"),
        "birthDate": systems.day(patient.birth_date),
        "managingOrganization": systems.ref("Organization", patient.organization_id),
    }
    if patient.phone:
        data["telecom"] = [{"system": "phone", "value": patient.phone}]
    if patient.address or patient.regency:
        address: dict[str, Any] = {"use": "home", "country": "ID"}
        if patient.address:
            address["line"] = [patient.address]
        if patient.regency:
            address["city"] = patient.regency
        data["address"] = [address]
    if patient.merged_into_id is not None:
        data["link"] = [{"other": systems.ref("Patient", patient.merged_into_id), "type": "replaced-by"}]
    return data


def build(patient: Patient) -> FhirPatient:
    return FhirPatient.model_validate(as_json(patient))
