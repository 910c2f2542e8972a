"""Encounter: a visit at a facility, with its participants."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.encounter import Encounter as FhirEncounter

from nyeri.clinical.models import Encounter, EncounterKind
from nyeri.interop.fhir import systems

STATUS = {"in_progress": "in-progress", "finished": "finished", "cancelled": "cancelled"}
STATUS_FROM_FHIR = {v: k for k, v in STATUS.items()}
# v3 ParticipationType for the participant roles.
PARTICIPATION = {
    "primary_performer": "PPRF",
    "secondary_performer": "SPRF",
    "attender": "ATND",
    "consultant": "CON",
}


def as_json(encounter: Encounter) -> dict[str, Any]:
    """The resource as plain JSON values (the bulk export writes these; ``build`` validates them)."""
    remote = encounter.kind == EncounterKind.TELECONSULTATION
    period: dict[str, Any] = {"start": systems.instant(encounter.starts_at)}
    if encounter.ends_at is not None:
        period["end"] = systems.instant(encounter.ends_at)
    data: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": str(encounter.pk),
        "status": STATUS[encounter.status],
        "class": systems.coding(systems.ACT_CODE, "VR" if remote else "AMB", "virtual" if remote else "ambulatory"),
        "type": [
            systems.concept(
                systems.coding(systems.ENCOUNTER_KIND, encounter.kind), text=str(encounter.get_kind_display())
            )
        ],
        "subject": systems.ref("Patient", encounter.patient_id),
        "period": period,
        "location": [{"location": systems.ref("Location", encounter.facility_id), "status": "completed"}],
        "serviceProvider": systems.ref("Organization", encounter.organization_id),
    }
    participants = [
        {
            "type": [systems.concept(systems.coding(systems.PARTICIPATION_TYPE, PARTICIPATION[p.role]))],
            "individual": systems.ref("Practitioner", p.person_id),
        }
        for p in encounter.participants.all()
    ]
    if participants:
        data["participant"] = participants
    return data


def build(encounter: Encounter) -> FhirEncounter:
    return FhirEncounter.model_validate(as_json(encounter))
