"""Device: a unit of imaging equipment (C-arm, ultrasound, CT...), its owner and location."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.device import Device as FhirDevice

from nyeri.facilities.models import Equipment
from nyeri.interop.fhir import systems

EQUIPMENT_KIND = f"{systems.BASE}/CodeSystem/equipment-kind"
# In service and under maintenance are both "active" (the unit exists); retired is "inactive".
STATUS = {"in_service": "active", "under_maintenance": "active", "retired": "inactive"}
STATUS_FROM_FHIR = {"active": ["in_service", "under_maintenance"], "inactive": ["retired"]}


def as_json(unit: Equipment) -> dict[str, Any]:
    """The resource as plain JSON values (the bulk export writes these; ``build`` validates them)."""
    data: dict[str, Any] = {
        "resourceType": "Device",
        "id": str(unit.pk),
        "status": STATUS[unit.status],
        "statusReason": [systems.concept(systems.coding(f"{systems.BASE}/CodeSystem/equipment-status", unit.status))],
        "deviceName": [{"name": unit.model_name, "type": "model-name"}],
        "type": systems.concept(systems.coding(EQUIPMENT_KIND, unit.kind), text=str(unit.get_kind_display())),
        "owner": systems.ref("Organization", unit.organization_id),
        "location": systems.ref("Location", unit.facility_id),
    }
    if unit.serial_number:
        data["serialNumber"] = unit.serial_number
    return data


def build(unit: Equipment) -> FhirDevice:
    return FhirDevice.model_validate(as_json(unit))
