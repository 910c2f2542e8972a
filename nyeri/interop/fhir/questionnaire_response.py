"""QuestionnaireResponse: the answers of a pain assessment, item by item (integers), against the
instrument's version (``https://nyeri.id/fhir/Questionnaire/<instrument>|<version>``)."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse as FhirQuestionnaireResponse

from nyeri.clinical.models import AssessmentStatus, PainAssessment
from nyeri.interop.fhir import systems

QUESTIONNAIRE = f"{systems.BASE}/Questionnaire"


def status(assessment: PainAssessment) -> str:
    return "entered-in-error" if assessment.status == AssessmentStatus.ENTERED_IN_ERROR else "completed"


def as_json(assessment: PainAssessment) -> dict[str, Any]:
    """The resource as plain JSON values (the bulk export writes these; ``build`` validates them)."""
    data: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": str(assessment.pk),
        "questionnaire": f"{QUESTIONNAIRE}/{assessment.instrument_code}|{assessment.instrument_version}",
        "status": status(assessment),
        "subject": systems.ref("Patient", assessment.patient_id),
        "authored": systems.instant(assessment.recorded_at),
    }
    if assessment.source == "patient":
        # The patient's own answers (a diary entry).
        data["source"] = systems.ref("Patient", assessment.patient_id)
    if assessment.encounter_id is not None:
        data["encounter"] = systems.ref("Encounter", assessment.encounter_id)
    items = [
        {"linkId": answer.item_code, "answer": [{"valueInteger": answer.value}]}
        for answer in sorted(assessment.answers.all(), key=lambda a: a.pk)
    ]
    if items:
        data["item"] = items
    return data


def build(assessment: PainAssessment) -> FhirQuestionnaireResponse:
    return FhirQuestionnaireResponse.model_validate(as_json(assessment))
