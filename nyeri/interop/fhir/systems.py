"""Identifier and code systems used by the FHIR resources (see docs/fhir.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils import timezone

from nyeri.lib.bodysites import body_sites

NIK = "https://fhir.kemkes.go.id/id/nik"
IHS_NUMBER = "https://fhir.kemkes.go.id/id/ihs-number"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICD11 = "http://id.who.int/icd/release/11/mms"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"

# Nyeri's own systems, for what has no standard code.
BASE = "https://nyeri.id/fhir"
MRN = f"{BASE}/sid/mrn"
ORGANIZATION_SLUG = f"{BASE}/sid/organization"
FACILITY_CODE = f"{BASE}/sid/facility"
INSTRUMENT_SCORE = f"{BASE}/CodeSystem/instrument-score"
BODY_REGION = f"{BASE}/CodeSystem/body-region"
LATERALITY = f"{BASE}/CodeSystem/laterality"
ENCOUNTER_KIND = f"{BASE}/CodeSystem/encounter-kind"
CREDENTIAL_KIND = f"{BASE}/CodeSystem/credential-kind"


def ref(resource_type: str, pk: int | str) -> dict[str, Any]:
    return {"reference": f"{resource_type}/{pk}"}


def instant(value: datetime) -> str:
    """A moment with its offset, in the installation's time zone (Asia/Jakarta: +07:00)."""
    # The offset makes the moment exact whatever the facility's zone; readers convert it.
    return timezone.localtime(value).isoformat()


def day(value: date) -> str:
    return value.isoformat()


def coding(system: str, code: str, display: str = "") -> dict[str, Any]:
    found: dict[str, Any] = {"system": system, "code": code}
    if display:
        found["display"] = display
    return found


def body_site_codings(code: str) -> list[dict[str, Any]]:
    """A body site as Nyeri's own code and, where the vocabulary has one, the SNOMED CT body
    structure (the same concept, so both codings belong in one CodeableConcept)."""
    found = [coding(BODY_REGION, code)]
    site = body_sites().site(code)
    if site is not None and site.snomed:
        found.append(coding(SNOMED, site.snomed, site.snomed_term))
    return found


def concept(*codings: dict[str, Any], text: str = "") -> dict[str, Any]:
    found: dict[str, Any] = {"coding": list(codings)}
    if text:
        found["text"] = text
    return found
