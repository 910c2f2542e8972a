"""Who administers the people of an organization, and fetching members and invitations.

Administrators invite staff, change roles and facilities and off-board members. A refusal
is audited (403); a member or invitation of another organization is 404, like one that
does not exist.
"""

from __future__ import annotations

from django.http import Http404

from nyeri.facilities.access import deny
from nyeri.onboarding.models import Invitation
from nyeri.tenancy.models import Membership
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope

PEOPLE_ADMINISTRATORS = (Role.ADMINISTRATOR,)


def may_administer_people(scope: Scope) -> bool:
    return scope.has_role(*PEOPLE_ADMINISTRATORS)


def require_people_administrator(
    scope: Scope, *, object_type: str = "membership", object_id: int | str = "", reason: str = "administer people"
) -> None:
    if not may_administer_people(scope):
        deny(scope, facility=None, object_type=object_type, object_id=object_id, reason=reason)


def access_member(scope: Scope, membership_id: int) -> Membership:
    """A membership of the scope's organization (403 audited for a non-administrator, 404 otherwise)."""
    require_people_administrator(scope, object_id=membership_id)
    membership = (
        Membership.objects.select_related("user", "organization")
        .filter(organization=scope.organization, pk=membership_id)
        .first()
    )
    if membership is None:
        raise Http404("No such member")
    return membership


def access_invitation(scope: Scope, invitation_id: int) -> Invitation:
    require_people_administrator(scope, object_type="invitation", object_id=invitation_id)
    invitation = Invitation.objects.filter(organization=scope.organization, pk=invitation_id).first()
    if invitation is None:
        raise Http404("No such invitation")
    return invitation
