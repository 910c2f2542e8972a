"""The only way views and API endpoints fetch a tenant object: through the user's scope.

A row that exists but belongs to another organization (or to a facility outside a
facility-limited membership) raises Http404, exactly like a row that does not exist, so
that ids of other tenants cannot be probed.

``deny`` is the one way to refuse an action: the refusal is audited, then raised as
``PermissionDenied`` (403 on pages and in the API).
"""

from __future__ import annotations

from typing import NoReturn

from django.http import Http404
from django.utils.translation import gettext as _

from nyeri.tenancy.models import Facility
from nyeri.tenancy.refusals import refuse
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope

# Who edits the organization and adds, edits, deactivates and reactivates its facilities.
ORGANIZATION_ADMINISTRATORS = (Role.ADMINISTRATOR,)


def access_facility(scope: Scope, facility_id: int) -> Facility:
    facility = Facility.objects.filter(organization=scope.organization, pk=facility_id).first()
    if facility is None or not scope.covers_facility(facility.pk):
        raise Http404("No such facility")
    return facility


def may_administer_organization(scope: Scope) -> bool:
    return scope.has_role(*ORGANIZATION_ADMINISTRATORS)


def deny(scope: Scope, *, facility: Facility | None, object_type: str, object_id: int | str, reason: str) -> NoReturn:
    """Refuse through the door (``refuse``: audited, and the audit row stays when the
    caller's transaction rolls back), with no reasons beyond "not allowed"."""
    refuse(
        scope,
        audit_reason=reason,
        reasons=(),
        object_type=object_type,
        facility=facility,
        object_id=object_id,
        wording=_("You are not allowed to do this."),
    )


def require_organization_administrator(
    scope: Scope, *, object_type: str, object_id: int | str = "", reason: str, facility: Facility | None = None
) -> None:
    """Let administrators through; refuse (audited, 403) everyone else."""
    if not may_administer_organization(scope):
        deny(scope, facility=facility, object_type=object_type, object_id=object_id, reason=reason)
