"""PractitionerRole: a person's work at a facility, with their professional roles."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.practitionerrole import PractitionerRole as FhirPractitionerRole

from nyeri.interop.fhir import systems
from nyeri.workforce.models import PersonFacility

ROLE = f"{systems.BASE}/CodeSystem/role"


def as_json(link: PersonFacility) -> dict[str, Any]:
    """The resource as plain JSON values (the bulk export writes these; ``build`` validates them)."""
    data: dict[str, Any] = {
        "resourceType": "PractitionerRole",
        "id": str(link.pk),
        "active": True,
        "practitioner": systems.ref("Practitioner", link.person_id),
        "organization": systems.ref("Organization", link.organization_id),
        "location": [systems.ref("Location", link.facility_id)],
    }
    roles = [
        systems.concept(systems.coding(ROLE, r.role), text=str(r.get_role_display())) for r in link.person.roles.all()
    ]
    if roles:
        data["code"] = roles
    return data


def build(link: PersonFacility) -> FhirPractitionerRole:
    return FhirPractitionerRole.model_validate(as_json(link))
