"""Location: a facility of the organization (clinic, hospital pain unit)."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.location import Location as FhirLocation

from nyeri.interop.fhir import systems
from nyeri.tenancy.models import Facility


def as_json(facility: Facility) -> dict[str, Any]:
    """The resource as plain JSON values (the bulk export writes these; ``build`` validates them)."""
    address: dict[str, Any] = {
        "use": "work",
        "city": facility.regency,
        "state": facility.province,
        "country": "ID",
    }
    if facility.address:
        address["line"] = [facility.address]
    data: dict[str, Any] = {
        "resourceType": "Location",
        "id": str(facility.pk),
        "identifier": [{"system": f"{systems.FACILITY_CODE}/{facility.organization_id}", "value": facility.code}],
        "status": "active" if facility.is_active else "inactive",
        "name": facility.name,
        "mode": "instance",
        "type": [{"text": str(facility.get_kind_display())}],
        "address": address,
        "managingOrganization": systems.ref("Organization", facility.organization_id),
    }
    if facility.phone:
        data["telecom"] = [{"system": "phone", "value": facility.phone}]
    return data


def build(facility: Facility) -> FhirLocation:
    return FhirLocation.model_validate(as_json(facility))
