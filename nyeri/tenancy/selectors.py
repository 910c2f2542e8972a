from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from nyeri.tenancy.models import Facility, MembershipFacility, MembershipRole
from nyeri.tenancy.scope import Scope


def facilities_for(scope: Scope) -> QuerySet[Facility]:
    qs = Facility.objects.filter(organization=scope.organization, is_active=True)
    if scope.facility_ids is not None:
        qs = qs.filter(pk__in=scope.facility_ids)
    return qs.order_by("name")


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
