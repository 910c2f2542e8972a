"""Who the acting user is, in which organization, with which roles and facilities.

A ``Scope`` is resolved once per request from the user's active membership. Every
``access_*`` helper and selector takes a scope, so that nothing reaches a row of another
organization: such a row is simply *not found*.

The scope of a request is its *actor*: resolved in one query (the membership, its
organization, roles and facilities, and the facts registered by other layers with
``register_actor_facts``: the professional record and credentials the requirements engine
reads, see ``nyeri.workforce.door``), kept on the request, so that nothing about the caller
is read twice. A change of membership, role, facility or credential takes effect on the
next request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from django.core.exceptions import PermissionDenied
from django.db import DEFAULT_DB_ALIAS
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest

from nyeri.lib.sql import JsonRows, Prepared, rows
from nyeri.tenancy.models import Membership, MembershipFacility, MembershipRole, Organization
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
    # What other layers loaded with the membership (``register_actor_facts``), by key;
    # empty for a scope resolved outside a request (each question then reads afresh).
    facts: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def has_role(self, *roles: Role | str) -> bool:
        return any(str(role) in self.roles for role in roles)

    def covers_facility(self, facility_id: int) -> bool:
        return self.facility_ids is None or facility_id in self.facility_ids


class ActorFacts(Protocol):
    """Facts about the acting user that another layer loads with the membership, in its query."""

    key: str

    def annotations(self) -> dict[str, Any]:
        """Expressions over a Membership row (``OuterRef("user_id")``, ``OuterRef("organization_id")``)."""
        ...

    def read(self, row: Mapping[str, Any]) -> Any:
        """The facts, from the membership's row (with the annotations)."""
        ...


_ACTOR_FACTS: dict[str, ActorFacts] = {}


def register_actor_facts(provider: ActorFacts) -> None:
    """Load ``provider``'s facts with every request's scope (called from an AppConfig.ready)."""
    _ACTOR_FACTS[provider.key] = provider


def _joined(model: type[MembershipRole] | type[MembershipFacility], column: str) -> Subquery:
    return Subquery(
        model.objects.filter(membership=OuterRef("pk"))
        .order_by()
        .values("membership")
        .annotate(rows=JsonRows(column))
        .values("rows")
    )


_ORGANIZATION_FIELDS = ("name", "slug", "kind", "jurisdiction", "created_at")
_PREPARED: dict[str, Prepared] = {}


def _membership_rows(user_id: int, providers: list[ActorFacts]) -> list[dict[str, Any]]:
    name = "scope:" + ",".join(p.key for p in providers)
    prepared = _PREPARED.get(name)
    if prepared is None:

        def build(user: int) -> Any:
            extra: dict[str, Any] = {}
            for provider in providers:
                extra.update(provider.annotations())
            return (
                Membership.objects.filter(user_id=user, is_active=True)
                .annotate(
                    role_rows=_joined(MembershipRole, "role"),
                    facility_rows=_joined(MembershipFacility, "facility_id"),
                    **extra,
                )
                .order_by("organization_id")
                .values(
                    "pk",
                    "organization_id",
                    "role_rows",
                    "facility_rows",
                    *(f"organization__{f}" for f in _ORGANIZATION_FIELDS),
                    *extra,
                )
            )

        prepared = _PREPARED[name] = Prepared(name, build)
    return prepared.rows(user_id)


def _organization(row: Mapping[str, Any]) -> Organization:
    organization = Organization(
        id=row["organization_id"], **{f: row[f"organization__{f}"] for f in _ORGANIZATION_FIELDS}
    )
    organization._state.adding = False
    organization._state.db = DEFAULT_DB_ALIAS
    return organization


def resolve_scope(user: User, organization_id: int | None = None, *, with_facts: bool = False) -> Scope | None:
    """The scope of ``user`` in ``organization_id`` (or their first organization), in one query.

    ``with_facts``: with the registered actor facts (a request's scope; see module doc).
    """
    providers = list(_ACTOR_FACTS.values()) if with_facts else []
    found = _membership_rows(user.pk, providers)
    if not found:
        return None
    chosen = next((m for m in found if m["organization_id"] == organization_id), found[0])
    facility_ids = frozenset(row[0] for row in rows(chosen["facility_rows"]))
    return Scope(
        user=user,
        organization=_organization(chosen),
        membership_id=chosen["pk"],
        roles=frozenset(row[0] for row in rows(chosen["role_rows"])),
        facility_ids=facility_ids or None,
        facts={p.key: p.read(chosen) for p in providers},
    )


def request_scope(request: HttpRequest) -> Scope:
    """The scope of the request's user; PermissionDenied when they belong nowhere."""
    cached: Scope | None = getattr(request, "_nyeri_scope", None)
    if cached is not None:
        return cached
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied
    scope = resolve_scope(user, request.session.get(SESSION_ORGANIZATION_KEY), with_facts=True)
    if scope is None:
        # Remembered for ``scope_if_any`` only: a view that adds the membership (the set-up
        # page) may still ask ``request_scope`` again.
        request._nyeri_no_scope = True  # type: ignore[attr-defined]
        raise PermissionDenied
    request._nyeri_scope = scope  # type: ignore[attr-defined]
    return scope


def scope_if_any(request: HttpRequest) -> Scope | None:
    """The request's scope (resolved now if nothing has yet), or None for a caller without one.

    For code that runs after the view (the denied-attempt audit row): most views resolved the
    scope already, so this reads nothing.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(request, "_nyeri_no_scope", False):
        return None
    try:
        return request_scope(request)
    except PermissionDenied:
        return None
