"""Who the acting user is, in which organization, with which roles and facilities.

A ``Scope`` is resolved once per request from the user's active membership. Every
``access_*`` helper and selector takes a scope, so that nothing reaches a row of another
organization: such a row is simply *not found*.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from nyeri.tenancy.models import Membership, Organization
from nyeri.tenancy.roles import Role

if TYPE_CHECKING:
    from nyeri.accounts.models import User

SESSION_ORGANIZATION_KEY = "nyeri_organization_id"


@dataclass(frozen=True)
class Scope:
    user: User
    organization: Organization
    membership_id: int
    roles: frozenset[str]
    # None means every facility of the organization.
    facility_ids: frozenset[int] | None = field(default=None)

    def has_role(self, *roles: Role | str) -> bool:
        return any(str(role) in self.roles for role in roles)

    def covers_facility(self, facility_id: int) -> bool:
        return self.facility_ids is None or facility_id in self.facility_ids


def memberships_of(user: User) -> list[Membership]:
    return list(
        Membership.objects.filter(user=user, is_active=True)
        .select_related("organization")
        .prefetch_related("roles", "facility_links")
        .order_by("organization_id")
    )


def scope_from_membership(membership: Membership, user: User) -> Scope:
    facility_ids = frozenset(link.facility_id for link in membership.facility_links.all())
    return Scope(
        user=user,
        organization=membership.organization,
        membership_id=membership.pk,
        roles=frozenset(r.role for r in membership.roles.all()),
        facility_ids=facility_ids or None,
    )


def resolve_scope(user: User, organization_id: int | None = None) -> Scope | None:
    """The scope of ``user`` in ``organization_id`` (or their first organization)."""
    memberships = memberships_of(user)
    if not memberships:
        return None
    chosen = next((m for m in memberships if m.organization_id == organization_id), memberships[0])
    return scope_from_membership(chosen, user)


def request_scope(request: HttpRequest) -> Scope:
    """The scope of the request's user; PermissionDenied when they belong nowhere."""
    cached: Scope | None = getattr(request, "_nyeri_scope", None)
    if cached is not None:
        return cached
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied
    scope = resolve_scope(user, request.session.get(SESSION_ORGANIZATION_KEY))
    if scope is None:
        raise PermissionDenied
    request._nyeri_scope = scope  # type: ignore[attr-defined]
    return scope
