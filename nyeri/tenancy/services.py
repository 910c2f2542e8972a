"""Tenancy writes: organizations, facilities, memberships. Each audited in its transaction."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.tenancy.models import Facility, Membership, MembershipFacility, MembershipRole, Organization
from nyeri.tenancy.roles import Role


def create_organization(
    *, acting_user: User | None, name: str, slug: str, kind: str, jurisdiction: str = "ID"
) -> Organization:
    org = Organization(name=name, slug=slug, kind=kind, jurisdiction=jurisdiction)
    org.full_clean()
    with transaction.atomic():
        org.save(force_insert=True)
        record_event(
            actor=acting_user, action=AuditAction.CREATE, organization=org, object_type="organization", object_id=org.pk
        )
    return org


def create_facility(
    *,
    acting_user: User | None,
    organization: Organization,
    name: str,
    code: str,
    kind: str,
    province: str,
    regency: str,
    regency_code: str,
    address: str = "",
    phone: str = "",
) -> Facility:
    facility = Facility(
        organization=organization,
        name=name,
        code=code,
        kind=kind,
        province=province,
        regency=regency,
        regency_code=regency_code,
        address=address,
        phone=phone,
    )
    facility.full_clean()
    with transaction.atomic():
        facility.save(force_insert=True)
        record_event(
            actor=acting_user,
            action=AuditAction.CREATE,
            organization=organization,
            facility=facility,
            object_type="facility",
            object_id=facility.pk,
        )
    return facility


def add_member(
    *,
    acting_user: User | None,
    organization: Organization,
    user: User,
    roles: Iterable[Role],
    facilities: Iterable[Facility] = (),
) -> Membership:
    """Give ``user`` a membership with ``roles``, limited to ``facilities`` when any are given."""
    facility_list = list(facilities)
    if any(f.organization_id != organization.pk for f in facility_list):
        raise ValueError("facilities must belong to the organization")
    with transaction.atomic():
        membership = Membership.objects.create(organization=organization, user=user)
        MembershipRole.objects.bulk_create(
            [MembershipRole(organization=organization, membership=membership, role=role) for role in set(roles)]
        )
        MembershipFacility.objects.bulk_create(
            [MembershipFacility(organization=organization, membership=membership, facility=f) for f in facility_list]
        )
        record_event(
            actor=acting_user,
            action=AuditAction.ACCESS_CHANGED,
            organization=organization,
            object_type="membership",
            object_id=membership.pk,
            reason="roles: " + ", ".join(sorted(str(r) for r in set(roles))),
        )
    return membership
