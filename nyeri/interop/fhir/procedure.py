"""Procedure: a procedure performed here (ICD-9-CM, body site and side, performers and their
function, the imaging guidance). The latest version of what was performed is served."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.procedure import Procedure as FhirProcedure

from nyeri.interop.fhir import systems
from nyeri.procedures.catalogue import procedure as catalogue_entry
from nyeri.procedures.models import ProcedurePerformance, ProcedureRecord

ICD9CM = "http://hl7.org/fhir/sid/icd-9-cm"
STATUS = {"performed": "completed", "entered_in_error": "entered-in-error"}
STATUS_FROM_FHIR = {v: k for k, v in STATUS.items()}
# Performer functions (SNOMED CT): the operator, the anesthesiologist, the imaging operator, the
# nurse who monitored the sedated patient (106292003 "Professional nurse (occupation)", as HL7's
# Da Vinci HRex ConceptMap CareTeamMember-NUCCFunction maps it to Registered Nurse).
FUNCTIONS = {
    "performer": ("304292004", "Surgeon"),
    "anesthesiologist": ("88189002", "Anesthesiologist"),
    "imaging_operator": ("159016003", "Radiographer"),
    "monitoring_nurse": ("106292003", "Professional nurse"),
}


def _performer(function: str, person_id: int) -> dict[str, Any]:
    code, display = FUNCTIONS[function]
    return {
        "function": systems.concept(systems.coding(systems.SNOMED, code, display), text=function.replace("_", " ")),
        "actor": systems.ref("Practitioner", person_id),
    }


def code_concept(code: str) -> dict[str, Any]:
    """A catalogue procedure in ICD-9-CM (when the catalogue codes it) and by its catalogue code."""
    entry = catalogue_entry(code)
    codings = []
    if entry is not None and entry.icd9cm is not None:
        codings.append(systems.coding(ICD9CM, entry.icd9cm.code, entry.icd9cm.title))
    codings.append(systems.coding(f"{systems.BASE}/CodeSystem/procedure", code))
    return systems.concept(*codings, text=entry.label_en if entry is not None else code)


def body_site_concept(body_site: str, laterality: str) -> dict[str, Any]:
    """The body region and, when given, the side (the Procedure's and its order's bodySite)."""
    site_codings = systems.body_site_codings(body_site)
    if laterality:
        site_codings.append(systems.coding(systems.LATERALITY, laterality))
    return systems.concept(*site_codings, text=f"{body_site} {laterality}".strip())


def current(record: ProcedureRecord) -> ProcedurePerformance | None:
    versions: list[ProcedurePerformance] = list(getattr(record, "versions", []))
    return versions[-1] if versions else None


def as_json(record: ProcedureRecord) -> dict[str, Any]:
    """The resource as plain JSON values (the bulk export writes these; ``build`` validates them)."""
    done = current(record)
    code = done.procedure_code if done is not None else record.procedure_code
    body_site = done.body_site if done is not None else record.body_site
    laterality = done.laterality if done is not None else record.laterality
    guidance = done.guidance if done is not None else record.guidance
    data: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": str(record.pk),
        "status": STATUS.get(record.status, "unknown"),
        "code": code_concept(code),
        "subject": systems.ref("Patient", record.patient_id),
        "location": systems.ref("Location", record.facility_id),
        "bodySite": [body_site_concept(body_site, laterality)],
        "usedCode": [systems.concept(systems.coding(f"{systems.BASE}/CodeSystem/guidance", guidance))],
    }
    if record.encounter_id is not None:
        data["encounter"] = systems.ref("Encounter", record.encounter_id)
    if done is not None:
        data["performedDateTime"] = systems.instant(done.performed_at)
        performers = [_performer("performer", done.performer_id)]
        if done.anesthesiologist_id is not None:
            performers.append(_performer("anesthesiologist", done.anesthesiologist_id))
        if done.imaging_operator_id is not None:
            performers.append(_performer("imaging_operator", done.imaging_operator_id))
        if done.monitoring_nurse_id is not None:
            performers.append(_performer("monitoring_nurse", done.monitoring_nurse_id))
        data["performer"] = performers
        if done.note:
            data["note"] = [{"text": done.note}]
    return data


def codes_for_icd9cm(code: str) -> list[str]:
    """The catalogue's procedure codes coded with ICD-9-CM ``code``."""
    from nyeri.procedures.catalogue import catalogue

    return [p.code for p in catalogue().procedures if p.icd9cm is not None and p.icd9cm.code == code]


def build(record: ProcedureRecord) -> FhirProcedure:
    return FhirProcedure.model_validate(as_json(record))
