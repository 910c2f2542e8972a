from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from nyeri.accounts.models import User
from nyeri.facilities.models import FacilityProfile, OpeningHours
from nyeri.lib.rows import PageRows, page_of
from nyeri.tenancy.models import Facility, MembershipFacility, MembershipRole, Organization
from nyeri.tenancy.scope import Scope


def facilities_for(scope: Scope) -> QuerySet[Facility]:
    qs = Facility.objects.filter(organization=scope.organization, is_active=True)
    if scope.facility_ids is not None:
        qs = qs.filter(pk__in=scope.facility_ids)
    return qs.order_by("name")


def organization_facility(scope: Scope, facility_id: int) -> Facility | None:
    """The facility ``facility_id`` of the scope's organization (active or not), or None (1 query).

    For a facility named in a form or a request body: the caller turns None into an error
    on that field (a lookup by URL goes through ``access_facility`` and a 404 instead).
    """
    return Facility.objects.filter(organization=scope.organization, pk=facility_id).first()


def organization_member(scope: Scope, user_id: int) -> User | None:
    """The user ``user_id`` if they have a membership in the scope's organization, or None (1 query)."""
    return User.objects.filter(pk=user_id, memberships__organization=scope.organization).first()


def members_holding(organization_id: int, roles: tuple[str, ...]) -> list[User]:
    """The active members of the organization holding any of ``roles`` (whatever their facilities)."""
    return list(
        User.objects.filter(
            is_active=True,
            memberships__organization_id=organization_id,
            memberships__is_active=True,
            memberships__roles__role__in=roles,
        )
        .distinct()
        .order_by("pk")
    )


def staff_counts_by_role(scope: Scope, facility: Facility) -> dict[str, int]:
    """How many active members hold each role at ``facility`` (one query).

    A member without facility limits works at every facility of the organization.
    """
    limited = MembershipFacility.objects.filter(membership=OuterRef("membership"))
    here = MembershipFacility.objects.filter(membership=OuterRef("membership"), facility=facility)
    rows = (
        MembershipRole.objects.filter(organization=scope.organization, membership__is_active=True)
        .filter(Q(~Exists(limited)) | Q(Exists(here)))
        .values("role")
        .annotate(n=Count("membership", distinct=True))
    )
    return {row["role"]: row["n"] for row in rows}


# --- The organization settings (administrators) ------------------------------------------


def organization_facilities(scope: Scope) -> list[Facility]:
    """Every facility of the organization, active ones first, then by name (1 query).

    Unlike ``facilities_for`` (the pickers), deactivated facilities are listed too: the
    administrator reactivates them from here.
    """
    return list(Facility.objects.filter(organization=scope.organization).order_by("-is_active", "name"))


# The columns of a facility in the API's list (FacilityOut; the province code is cut from
# the regency code).
FACILITY_COLUMNS = (
    "id",
    "code",
    "name",
    "kind",
    "province",
    "regency",
    "regency_code",
    "address",
    "phone",
    "time_zone",
    "is_active",
)


def facility_rows(scope: Scope, *, include_inactive: bool, offset: int = 0, limit: int = 50) -> PageRows:
    """One page of ``facilities_for`` (the active ones the scope may work in, by name) or,
    with ``include_inactive``, of ``organization_facilities`` (1 query)."""
    ordered = (
        Facility.objects.filter(organization=scope.organization).order_by("-is_active", "name", "pk")
        if include_inactive
        else facilities_for(scope).order_by("name", "pk")
    )
    found = page_of(ordered, FACILITY_COLUMNS, offset=offset, limit=limit)
    for row in found.rows:
        row["province_code"] = row["regency_code"].split(".")[0]
    return found


@dataclass(frozen=True)
class FacilitySettings:
    """A facility as its settings page and the API show it: details, planned visits, opening hours."""

    facility: Facility
    planned_visits_per_week: int | None
    # (weekday 1-7, opens, closes) for each day the facility is open.
    opening_hours: tuple[tuple[int, time, time], ...]

    @property
    def province_code(self) -> str:
        return self.facility.regency_code.split(".")[0]


def facility_settings(scope: Scope, facility: Facility) -> FacilitySettings:
    """The facility's settings (2 queries). ``facility`` was fetched through the scope."""
    profile = FacilityProfile.objects.filter(organization=scope.organization, facility=facility).first()
    hours: tuple[tuple[int, time, time], ...] = ()
    if profile is not None:
        hours = tuple(
            (h.weekday, h.opens, h.closes) for h in OpeningHours.objects.filter(profile=profile).order_by("weekday")
        )
    return FacilitySettings(facility, profile.planned_visits_per_week if profile else None, hours)


def own_organization(scope: Scope) -> QuerySet[Organization]:
    """The scope's organization, as a query (for a search that may find it or not)."""
    return Organization.objects.filter(pk=scope.organization.pk)


def organization_locations(scope: Scope) -> QuerySet[Facility]:
    """Every facility of the organization, inactive ones included (within a facility-limited membership's)."""
    qs = Facility.objects.filter(organization=scope.organization)
    if scope.facility_ids is not None:
        qs = qs.filter(pk__in=scope.facility_ids)
    return qs
