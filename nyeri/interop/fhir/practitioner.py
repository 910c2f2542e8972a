"""Practitioner: a person of the workforce, with their verified STR and SIP as qualifications."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.practitioner import Practitioner as FhirPractitioner

from nyeri.interop.fhir import systems
from nyeri.workforce.models import Credential, Person

# The Indonesian names of the two licences, as codes.
QUALIFICATION_CODES = {"registration": "STR", "practice_permit": "SIP"}


def qualification(credential: Credential) -> dict[str, Any]:
    code = QUALIFICATION_CODES.get(credential.kind, credential.kind)
    found: dict[str, Any] = {
        "code": systems.concept(
            systems.coding(systems.CREDENTIAL_KIND, code, str(credential.get_kind_display())),
            text=str(credential.get_kind_display()),
        ),
        "period": {"start": systems.day(credential.issued_on)},
        "issuer": {"display": credential.issuer},
    }
    if credential.number:
        found["identifier"] = [{"system": f"{systems.CREDENTIAL_KIND}/{code}", "value": credential.number}]
    if credential.expires_on is not None:
        found["period"]["end"] = systems.day(credential.expires_on)
    return found


def as_json(person: Person) -> dict[str, Any]:
    """The resource as plain JSON values (the bulk export writes these; ``build`` validates them)."""
    credentials: list[Credential] = getattr(person, "published_credentials", [])
    data: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": str(person.pk),
        "active": True,
        "name": [{"use": "official", "text": person.full_name}],
    }
    # The NIK and contact details only for those who may read the person's workforce record.
    if getattr(person, "private_details_visible", False):
        if person.nik:
            data["identifier"] = [{"use": "official", "system": systems.NIK, "value": person.nik}]
        telecom = []
        if person.phone:
            telecom.append({"system": "phone", "value": person.phone})
        if person.email:
            telecom.append({"system": "email", "value": person.email})
        if telecom:
            data["telecom"] = telecom
    if credentials:
        data["qualification"] = [qualification(c) for c in credentials]
    return data


def build(person: Person) -> FhirPractitioner:
    return FhirPractitioner.model_validate(as_json(person))
