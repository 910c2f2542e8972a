"""Condition: a diagnosis (ICD-10, with its ICD-11 MG30 chronic pain category)."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.condition import Condition as FhirCondition

from nyeri.clinical.diagnoses.models import ClinicalStatus, Diagnosis, RecordStatus
from nyeri.interop.fhir import systems


def as_json(diagnosis: Diagnosis) -> dict[str, Any]:
    """The resource as plain JSON values (the bulk export writes these; ``build`` validates them)."""
    codings = [systems.coding(systems.ICD10, diagnosis.icd10_code, diagnosis.icd10_title)]
    if diagnosis.icd11_category:
        codings.append(systems.coding(systems.ICD11, diagnosis.icd11_category))
    data: dict[str, Any] = {
        "resourceType": "Condition",
        "id": str(diagnosis.pk),
        "category": [systems.concept(systems.coding(systems.CONDITION_CATEGORY, "problem-list-item"))],
        "code": systems.concept(*codings, text=diagnosis.icd10_title),
        "subject": systems.ref("Patient", diagnosis.patient_id),
        "recordedDate": systems.instant(diagnosis.recorded_at),
    }
    # A refuted or erroneous condition has no clinical status (FHIR invariant con-5).
    if diagnosis.record_status == RecordStatus.ENTERED_IN_ERROR:
        data["verificationStatus"] = systems.concept(systems.coding(systems.CONDITION_VERIFICATION, "entered-in-error"))
    elif diagnosis.clinical_status == ClinicalStatus.RULED_OUT:
        data["verificationStatus"] = systems.concept(systems.coding(systems.CONDITION_VERIFICATION, "refuted"))
    else:
        data["verificationStatus"] = systems.concept(systems.coding(systems.CONDITION_VERIFICATION, "confirmed"))
        data["clinicalStatus"] = systems.concept(systems.coding(systems.CONDITION_CLINICAL, diagnosis.clinical_status))
    if diagnosis.encounter_id is not None:
        data["encounter"] = systems.ref("Encounter", diagnosis.encounter_id)
    if diagnosis.body_site:
        text = diagnosis.body_site_label()
        site_codings = systems.body_site_codings(diagnosis.body_site)
        if diagnosis.laterality:
            site_codings.append(systems.coding(systems.LATERALITY, diagnosis.laterality))
            text = f"{text} ({diagnosis.get_laterality_display()})"
        data["bodySite"] = [systems.concept(*site_codings, text=text)]
    if diagnosis.onset_date is not None:
        data["onsetDateTime"] = systems.day(diagnosis.onset_date)
    if diagnosis.suspected_cause:
        data["note"] = [{"text": diagnosis.suspected_cause}]
    return data


def build(diagnosis: Diagnosis) -> FhirCondition:
    return FhirCondition.model_validate(as_json(diagnosis))
