"""Is the imaging guidance a procedure needs available at a facility? (The facilities app knows.)

The equipment register belongs to ``nyeri.facilities``; this module only asks it, through
its selectors, so that procedures never keep their own idea of equipment:

- ``guidance_available(facility, kind)``: ``nyeri.facilities.selectors.equipment_in_service``
  (at least one unit of the kind in service now; units under maintenance or retired do not
  count);
- ``guidance_status(facility, kind)``: the same answer, and on a refusal how many units of
  the kind are under maintenance (``nyeri.facilities.inputs.load_inputs``), so that the
  reason can say so.

When the facilities app is not installed there is no register to ask: nothing is
available, and the reason says that the facility has no such equipment in service.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps

from nyeri.tenancy.models import Facility


def _register_installed() -> bool:
    return apps.is_installed("nyeri.facilities")


def guidance_available(facility: Facility, kind: str) -> bool:
    """Whether ``facility`` has a unit of equipment ``kind`` (c_arm, ultrasound, ct) in service now (1 query)."""
    if not _register_installed():
        return False
    from nyeri.facilities.selectors import equipment_in_service

    return equipment_in_service(facility, kind)


@dataclass(frozen=True)
class GuidanceStatus:
    kind: str
    available: bool
    # Units of the kind under maintenance (counted only when none is available).
    under_maintenance: int = 0


def guidance_status(facility: Facility, kind: str) -> GuidanceStatus:
    """``guidance_available`` and, when it is not, the units under maintenance (1 query; 4 on a refusal)."""
    if guidance_available(facility, kind):
        return GuidanceStatus(kind, True)
    if not _register_installed():
        return GuidanceStatus(kind, False)
    from nyeri.facilities.inputs import load_inputs
    from nyeri.facilities.models import EquipmentStatus

    waiting = load_inputs(facility).not_in_service.get(kind, {}).get(EquipmentStatus.UNDER_MAINTENANCE.value, 0)
    return GuidanceStatus(kind, False, waiting)
