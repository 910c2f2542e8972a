"""Who may do what with a facility's profile and equipment, and fetching equipment through the scope.

- Reading the profile, the equipment and the services offered: every member whose scope
  covers the facility.
- Editing the profile and adding equipment: administrators.
- Changing an equipment's status (in service, under maintenance, retired): administrators
  and medical technicians (who look after the equipment).

A refusal is audited (``permission_denied``) and raised as ``PermissionDenied`` (403);
another organization's facility or equipment is *not found* (404).
"""

from __future__ import annotations

from django.http import Http404

from nyeri.facilities.models import Equipment
from nyeri.tenancy.access import deny
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope

__all__ = ["access_equipment", "deny", "may_add_equipment", "may_change_status", "may_edit_profile"]

PROFILE_EDITORS = (Role.ADMINISTRATOR,)
EQUIPMENT_ADDERS = (Role.ADMINISTRATOR,)
STATUS_CHANGERS = (Role.ADMINISTRATOR, Role.MEDICAL_TECHNICIAN)


def may_edit_profile(scope: Scope) -> bool:
    return scope.has_role(*PROFILE_EDITORS)


def may_add_equipment(scope: Scope) -> bool:
    return scope.has_role(*EQUIPMENT_ADDERS)


def may_change_status(scope: Scope) -> bool:
    return scope.has_role(*STATUS_CHANGERS)


def access_equipment(scope: Scope, equipment_id: int) -> Equipment:
    """A unit of the scope's organization at a facility the scope covers; 404 otherwise."""
    equipment = (
        Equipment.objects.select_related("facility").filter(organization=scope.organization, pk=equipment_id).first()
    )
    if equipment is None or not scope.covers_facility(equipment.facility_id):
        raise Http404("No such equipment")
    return equipment
