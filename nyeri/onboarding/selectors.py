"""Reads of the people administration: members and invitations of the scope's organization.

Administrators only (a refusal is audited, 403). Each list is a fixed number of queries
whatever the number of members.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, Prefetch, QuerySet, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from nyeri.lib.panels import Panel, Tally
from nyeri.lib.rows import PageRows, page_of
from nyeri.onboarding.access import require_people_administrator
from nyeri.onboarding.models import Invitation, InvitationFacility, InvitationRole, InvitationStatus
from nyeri.tenancy.models import Facility, Membership, MembershipFacility, MembershipRole
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from nyeri.workforce.models import Person


@dataclass(frozen=True)
class FacilityRef:
    id: int
    name: str


@dataclass(frozen=True)
class MemberRow:
    membership_id: int
    user_id: int
    username: str
    full_name: str
    email: str
    roles: tuple[str, ...]
    # Empty: every facility of the organization.
    facilities: tuple[FacilityRef, ...]
    is_active: bool
    is_self: bool
    person_id: int | None

    @property
    def role_labels(self) -> list[str]:
        return [str(Role(r).label) for r in self.roles]


@dataclass(frozen=True)
class InvitationRow:
    id: int
    full_name: str
    email: str
    nik: str
    roles: tuple[str, ...]
    facilities: tuple[FacilityRef, ...]
    sent_at: datetime
    expires_at: datetime
    expired: bool
    invited_by: str

    @property
    def role_labels(self) -> list[str]:
        return [str(Role(r).label) for r in self.roles]


def members(scope: Scope) -> list[MemberRow]:
    """Every member of the organization, active first, by name (4 queries)."""
    require_people_administrator(scope, reason="list members")
    memberships = list(
        Membership.objects.filter(organization=scope.organization)
        .select_related("user")
        .prefetch_related(
            "roles",
            Prefetch(
                "facility_links",
                queryset=MembershipFacility.objects.select_related("facility").order_by("facility__name"),
            ),
        )
    )
    people = dict(
        Person.objects.filter(organization=scope.organization, user__isnull=False).values_list("user_id", "pk")
    )
    rows = [
        MemberRow(
            membership_id=m.pk,
            user_id=m.user_id,
            username=m.user.get_username(),
            full_name=str(m.user),
            email=m.user.email,
            roles=tuple(sorted(r.role for r in m.roles.all())),
            facilities=tuple(FacilityRef(link.facility_id, link.facility.name) for link in m.facility_links.all()),
            is_active=m.is_active,
            is_self=m.user_id == scope.user.pk,
            person_id=people.get(m.user_id),
        )
        for m in memberships
    ]
    return sorted(rows, key=lambda r: (not r.is_active, r.full_name.lower()))


def _add_access(page: dict[int, dict[str, Any]], roles: QuerySet[Any, Any], facilities: QuerySet[Any, Any]) -> None:
    """Each row's ``roles`` (sorted) and ``facilities`` (by name) from (row id, role) and
    (row id, facility id, facility name) rows: members and invitations grant access alike."""
    for row_id, role in roles.order_by("role"):
        page[row_id]["roles"].append(role)
    for row_id, facility_id, name in facilities.order_by("facility__name", "facility_id"):
        page[row_id]["facilities"].append({"id": facility_id, "name": name})


def member_rows(scope: Scope, *, offset: int = 0, limit: int = 50) -> PageRows:
    """``members`` for a list: one page (active first, by name) of plain rows, each with
    ``roles`` (sorted), ``facilities`` (by name) and ``person_id``: 4 queries whatever the page.
    """
    require_people_administrator(scope, reason="list members")
    ordered = (
        Membership.objects.filter(organization=scope.organization)
        # As str(user): the full name, else the username.
        .annotate(
            username=F("user__username"),
            full_name=Coalesce(NullIf(F("user__full_name"), Value("")), F("user__username")),
            email=F("user__email"),
        )
        .order_by("-is_active", Lower("full_name"), "pk")
    )
    found = page_of(
        ordered, ("id", "user_id", "username", "full_name", "email", "is_active"), offset=offset, limit=limit
    )
    page = found.by_id()
    for row in found.rows:
        row["roles"], row["facilities"] = [], []
    if not page:
        return found
    _add_access(
        page,
        MembershipRole.objects.filter(membership_id__in=page).values_list("membership_id", "role"),
        MembershipFacility.objects.filter(membership_id__in=page).values_list(
            "membership_id", "facility_id", "facility__name"
        ),
    )
    people = dict(
        Person.objects.filter(
            organization=scope.organization, user_id__in=[row["user_id"] for row in found.rows]
        ).values_list("user_id", "pk")
    )
    for row in found.rows:
        row["person_id"] = people.get(row["user_id"])
    return found


def invitation_page(scope: Scope, *, offset: int = 0, limit: int = 50) -> PageRows:
    """``pending_invitations`` for a list: one page (newest first) of plain rows, each with
    ``roles`` (sorted), ``facilities`` (by name) and ``expired``: 3 queries whatever the page.
    """
    require_people_administrator(scope, object_type="invitation", reason="list invitations")
    now = timezone.now()
    ordered = (
        Invitation.objects.filter(organization=scope.organization, status=InvitationStatus.PENDING)
        # As str(user): the full name, else the username; nobody (a deleted inviter): "".
        .annotate(
            invited_by_name=Coalesce(
                NullIf(F("invited_by__full_name"), Value("")), F("invited_by__username"), Value("")
            )
        )
        .order_by("-sent_at", "-pk")
    )
    columns = ("id", "full_name", "email", "nik", "sent_at", "expires_at", "invited_by_name")
    found = page_of(ordered, columns, offset=offset, limit=limit)
    page = found.by_id()
    for row in found.rows:
        row["roles"], row["facilities"] = [], []
        row["expired"] = row["expires_at"] <= now
        row["invited_by"] = row.pop("invited_by_name")
    if not page:
        return found
    _add_access(
        page,
        InvitationRole.objects.filter(invitation_id__in=page).values_list("invitation_id", "role"),
        InvitationFacility.objects.filter(invitation_id__in=page).values_list(
            "invitation_id", "facility_id", "facility__name"
        ),
    )
    return found


def pending_invitations(scope: Scope) -> list[InvitationRow]:
    """Invitations waiting for an answer (expired ones too: they can be sent again), newest first (3 queries)."""
    require_people_administrator(scope, object_type="invitation", reason="list invitations")
    now = timezone.now()
    invitations = (
        Invitation.objects.filter(organization=scope.organization, status=InvitationStatus.PENDING)
        .select_related("invited_by")
        .prefetch_related(
            "roles",
            Prefetch(
                "facility_links",
                queryset=InvitationFacility.objects.select_related("facility").order_by("facility__name"),
            ),
        )
        .order_by("-sent_at", "-pk")
    )
    return [
        InvitationRow(
            id=i.pk,
            full_name=i.full_name,
            email=i.email,
            nik=i.nik,
            roles=tuple(sorted(r.role for r in i.roles.all())),
            facilities=tuple(FacilityRef(link.facility_id, link.facility.name) for link in i.facility_links.all()),
            sent_at=i.sent_at,
            expires_at=i.expires_at,
            expired=i.expires_at <= now,
            invited_by=str(i.invited_by) if i.invited_by is not None else "",
        )
        for i in invitations
    ]


def member_row(scope: Scope, membership: Membership) -> MemberRow:
    """One member as the list shows them (after a change, for the API's answer)."""
    return next(row for row in members(scope) if row.membership_id == membership.pk)


def invitation_row(scope: Scope, invitation: Invitation) -> InvitationRow | None:
    return next((row for row in pending_invitations(scope) if row.id == invitation.pk), None)


def organization_facilities(scope: Scope) -> list[Facility]:
    """The facilities an administrator may limit a member to (every active one of the organization)."""
    return list(Facility.objects.filter(organization=scope.organization, is_active=True).order_by("name"))


def facilities_by_ids(scope: Scope, ids: Iterable[int]) -> list[Facility]:
    """The organization's facilities with ``ids``; an unknown id (or another organization's) names the field."""
    wanted = set(ids)
    found = list(Facility.objects.filter(organization=scope.organization, pk__in=wanted))
    if len(found) != len(wanted):
        raise ValidationError({"facilities": [_("A facility does not belong to your organization.")]})
    return found


def home_panel(scope: Scope, facility: Facility) -> Panel | None:
    """The administrator's people: invitations waiting for an answer and active members (two queries)."""
    if not scope.has_role(Role.ADMINISTRATOR):
        return None
    active = Membership.objects.filter(organization=scope.organization, is_active=True).count()
    invited = Invitation.objects.filter(organization=scope.organization, status=InvitationStatus.PENDING).count()
    people = reverse("onboarding:people")
    return Panel(
        title=_("People"),
        counts=(
            Tally(_("Invitations waiting for an answer"), invited, f"{people}#invitations"),
            Tally(_("Active members"), active, f"{people}#members"),
        ),
        url=people,
    )
