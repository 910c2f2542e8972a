"""Observation: one score of a pain assessment (the NRS as LOINC 72514-3, valueInteger).

A score with a LOINC code in its instrument's definition carries it; the others are coded
in Nyeri's instrument-score system (``<instrument>.<score>``). Superseded versions of an
amended assessment are not served: the current version has status *amended*.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

from fhir.resources.R4B.observation import Observation as FhirObservation

from nyeri.clinical.instruments import all_instruments, instrument
from nyeri.clinical.models import AssessmentScore, AssessmentStatus, PainAssessment
from nyeri.interop.fhir import systems

NRS_LOINC = "72514-3"


def status(assessment: PainAssessment) -> str:
    if assessment.status == AssessmentStatus.ENTERED_IN_ERROR:
        return "entered-in-error"
    return "final" if assessment.amends_id is None else "amended"


def nyeri_code(score: AssessmentScore) -> str:
    return f"{score.assessment.instrument_code}.{score.score_code}"


def codings(score: AssessmentScore) -> tuple[list[dict[str, Any]], str]:
    """The score's codes (its LOINC code first when it has one) and its label."""
    found, label = _codings(score.assessment.instrument_code, score.score_code)
    return list(found), label


@cache
def _codings(instrument_code: str, score_code: str) -> tuple[tuple[dict[str, Any], ...], str]:
    # Once per instrument score and process: the instruments are shipped data, and the bulk
    # export asks this for every row.
    code = f"{instrument_code}.{score_code}"
    found = [systems.coding(systems.INSTRUMENT_SCORE, code)]
    label = code
    definition = instrument(instrument_code)
    if definition is not None:
        for candidate in definition.scores:
            if candidate.code == score_code:
                label = f"{definition.abbreviation} {candidate.label_en}".strip()
                if candidate.loinc is not None:
                    found.insert(0, systems.coding(systems.LOINC, candidate.loinc.code))
    return tuple(found), label


def _value(score: AssessmentScore, loinc: str | None) -> dict[str, Any]:
    value = Decimal(score.value)
    if loinc == NRS_LOINC or (value == value.to_integral_value() and loinc is not None):
        return {"valueInteger": int(value)}
    return {
        "valueQuantity": {"value": value, "unit": "{score}", "system": "http://unitsofmeasure.org", "code": "{score}"}
    }


def body_site(assessment: PainAssessment) -> dict[str, Any] | None:
    # The selector's prefetched list when there is one, else the relation.
    prefetched = getattr(assessment, "body_site_list", None)
    sites = list(prefetched if prefetched is not None else assessment.body_sites.all())
    if not sites:
        return None
    return {
        "coding": [found for site in sites for found in systems.body_site_codings(site.region)],
        "text": ", ".join(f"{site.region} ({site.view}, {site.laterality})" for site in sites),
    }


def as_json(score: AssessmentScore) -> dict[str, Any]:
    """The resource as plain JSON values (the bulk export writes these; ``build`` validates them)."""
    assessment = score.assessment
    found, label = codings(score)
    loinc = next((c["code"] for c in found if c["system"] == systems.LOINC), None)
    data: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(score.pk),
        "status": status(assessment),
        "category": [systems.concept(systems.coding(systems.OBSERVATION_CATEGORY, "survey", "Survey"))],
        "code": systems.concept(*found, text=label),
        "subject": systems.ref("Patient", assessment.patient_id),
        "effectiveDateTime": systems.instant(assessment.recorded_at),
        "issued": systems.instant(assessment.created_at),
        **_value(score, loinc),
    }
    if assessment.encounter_id is not None:
        data["encounter"] = systems.ref("Encounter", assessment.encounter_id)
    site = body_site(assessment)
    if site is not None:
        data["bodySite"] = site
    if score.band_code:
        data["interpretation"] = [{"text": score.band_code}]
    return data


def scores_with_loinc(code: str) -> list[tuple[str, str]]:
    """The (instrument, score) pairs the instruments code with LOINC ``code``."""
    return [
        (definition.code, score.code)
        for definition in all_instruments().values()
        for score in definition.scores
        if score.loinc is not None and score.loinc.code == code
    ]


def build(score: AssessmentScore) -> FhirObservation:
    return FhirObservation.model_validate(as_json(score))
