"""HealthcareService: a facility's pain services, what it offers today.

One resource per facility (same id as its Location): ``type`` lists the services of the
service catalogue (``nyeri/facilities/data/services.toml``) the facility offers now, derived
from its equipment in service, its rooms and the staff the requirements engine allows the
needed actions; ``comment`` names the services it does not offer, with the first missing part.
The evaluation reads the facility's facts (about 10 queries): a search costs that much per
facility on its page.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.healthcareservice import HealthcareService as FhirHealthcareService

from nyeri.facilities.selectors import evaluate_facility_services
from nyeri.interop.fhir import systems
from nyeri.tenancy.models import Facility

SERVICE = f"{systems.BASE}/CodeSystem/service"


def as_json(facility: Facility) -> dict[str, Any]:
    """The resource as plain JSON values (the bulk export writes these; ``build`` validates them)."""
    results, _staff = evaluate_facility_services(facility, jurisdiction=facility.organization.jurisdiction)
    offered = [r for r in results if r.offered]
    missing = [r for r in results if not r.offered]
    data: dict[str, Any] = {
        "resourceType": "HealthcareService",
        "id": str(facility.pk),
        "active": facility.is_active,
        "providedBy": systems.ref("Organization", facility.organization_id),
        # Text only: no standard code for the category was confirmed.
        "category": [{"text": "Pain management"}],
        "location": [systems.ref("Location", facility.pk)],
        "name": f"{facility.name}: pain services",
    }
    if offered:
        data["type"] = [
            systems.concept(systems.coding(SERVICE, r.code, r.label("en")), text=r.label("en")) for r in offered
        ]
    if missing:
        data["comment"] = "Not offered now: " + "; ".join(
            f"{r.label('en')} ({r.unmet_parts[0].unmet('en')})" if r.unmet_parts else r.label("en") for r in missing
        )
    if facility.phone:
        data["telecom"] = [{"system": "phone", "value": facility.phone}]
    return data


def build(facility: Facility) -> FhirHealthcareService:
    return FhirHealthcareService.model_validate(as_json(facility))


def offered_codes(facility: Facility) -> set[str]:
    """The service codes ``facility`` offers now (for the ``service-type`` search)."""
    results, _staff = evaluate_facility_services(facility, jurisdiction=facility.organization.jurisdiction)
    return {r.code for r in results if r.offered}
