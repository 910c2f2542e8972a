"""Organization: the tenant (clinic operator, hospital)."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.organization import Organization as FhirOrganization

from nyeri.interop.fhir import systems
from nyeri.tenancy.models import Organization


def as_json(organization: Organization) -> dict[str, Any]:
    """The resource as plain JSON values (the bulk export writes these; ``build`` validates them)."""
    return {
        "resourceType": "Organization",
        "id": str(organization.pk),
        "identifier": [{"system": systems.ORGANIZATION_SLUG, "value": organization.slug}],
        "active": True,
        "type": [
            systems.concept(
                systems.coding(systems.ORGANIZATION_TYPE, "prov", "Healthcare Provider"),
                text=str(organization.get_kind_display()),
            )
        ],
        "name": organization.name,
        "address": [{"country": organization.jurisdiction or "ID"}],
    }


def build(organization: Organization) -> FhirOrganization:
    return FhirOrganization.model_validate(as_json(organization))
