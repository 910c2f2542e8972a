"""Tenancy writes: organizations, facilities, memberships. Each audited in its transaction.

The organization settings (administrators only; a refusal is audited and raised as 403):

- ``update_organization``: its name and kind (the jurisdiction is fixed at creation);
- ``add_facility`` / ``update_facility``: kind, name, code, address, phone, province and
  regency from the official codes (the regency must be in the province), time zone
  (defaulted from the province; another one must be confirmed), planned visits per week and
  opening hours (kept in the facility's profile, ``nyeri.facilities``);
- ``deactivate_facility`` / ``reactivate_facility``: a facility is never deleted; a
  deactivated one is not offered for new work and keeps its records.

Every problem is reported at once, keyed by the field, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.facilities.selectors import facility_profile
from nyeri.facilities.services import OpeningRow, profile_problems, save_facility_profile
from nyeri.lib.services import Errors
from nyeri.tenancy.access import require_organization_administrator
from nyeri.tenancy.models import (
    Facility,
    FacilityKind,
    Membership,
    MembershipFacility,
    MembershipRole,
    Organization,
)
from nyeri.tenancy.places import Place, default_time_zone, find_place, time_zone_problems
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope

PLANNED_VISITS_LIMIT: Final = 100_000


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
    time_zone: str = "",
) -> Facility:
    """A facility, as given (the demo and the set-up use it; administrators use ``add_facility``).

    Without ``time_zone`` the facility keeps its province's time (read from the regency code).
    """
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
        time_zone=time_zone or default_time_zone(regency_code.split(".")[0]),
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


# --- The organization settings (administrators) ------------------------------------------


def update_organization(*, scope: Scope, acting_user: User, name: str, kind: str) -> Organization:
    """Rename the organization or change its kind. The jurisdiction stays as it was created."""
    org = scope.organization
    require_organization_administrator(scope, object_type="organization", object_id=org.pk, reason="edit organization")
    with transaction.atomic():
        current = Organization.objects.select_for_update().get(pk=org.pk)
        before = f"name={current.name!r}, kind={current.kind}"
        current.name, current.kind = name.strip(), kind
        current.full_clean(exclude=["slug"])
        current.save(update_fields=["name", "kind"])
        record_event(
            actor=acting_user,
            action=AuditAction.UPDATE,
            organization=current,
            object_type="organization",
            object_id=current.pk,
            reason=f"before: {before}; after: name={current.name!r}, kind={current.kind}",
        )
    org.name, org.kind = current.name, current.kind
    return current


@dataclass(frozen=True)
class FacilityFields:
    """What an administrator says about a facility (the pages, the API and the tests fill it)."""

    kind: str
    name: str
    code: str
    province_code: str
    regency_code: str
    planned_visits_per_week: int | None
    opening_hours: Sequence[OpeningRow] = ()
    address: str = ""
    phone: str = ""
    # Empty: the province's time zone.
    time_zone: str = ""
    # The administrator confirms a time zone other than the province's.
    confirm_time_zone: bool = False


def _clean_fields(fields: FacilityFields) -> FacilityFields:
    return FacilityFields(
        kind=fields.kind.strip(),
        name=fields.name.strip(),
        code=fields.code.strip().lower(),
        province_code=fields.province_code.strip(),
        regency_code=fields.regency_code.strip(),
        planned_visits_per_week=fields.planned_visits_per_week,
        opening_hours=list(fields.opening_hours),
        address=fields.address.strip(),
        phone=fields.phone.strip(),
        time_zone=fields.time_zone.strip(),
        confirm_time_zone=fields.confirm_time_zone,
    )


def _visits_errors(visits: int | None) -> Errors:
    if visits is None or isinstance(visits, bool) or not isinstance(visits, int):
        return {"planned_visits_per_week": [_("Enter a whole number.")]}
    if visits < 1:
        return {
            "planned_visits_per_week": [_("Enter a number of 1 or more: how many visits the facility plans a week.")]
        }
    if visits > PLANNED_VISITS_LIMIT:
        return {"planned_visits_per_week": [_("Enter at most %(limit)s.") % {"limit": PLANNED_VISITS_LIMIT}]}
    return {}


def _merge(errors: Errors, more: Errors) -> None:
    for name, messages in more.items():
        errors.setdefault(name, []).extend(messages)


def _facility_problems(
    scope: Scope, fields: FacilityFields, sizes: dict[str, Any], *, existing: Facility | None
) -> tuple[Place | None, Errors]:
    errors: Errors = {}
    if fields.kind not in FacilityKind.values:
        errors["kind"] = [_("Choose a hospital pain unit or a stand-alone pain clinic.")]
    if not fields.name:
        errors["name"] = [_("Enter the facility's name.")]
    place, region_errors = find_place(fields.province_code, fields.regency_code)
    _merge(errors, region_errors)
    zone = fields.time_zone or (place.province.time_zone if place else default_time_zone(fields.province_code))
    changed = existing is None or zone != existing.time_zone or fields.regency_code != existing.regency_code
    _merge(
        errors, time_zone_problems(zone, place=place, confirmed=fields.confirm_time_zone, needs_confirmation=changed)
    )
    _merge(errors, _visits_errors(fields.planned_visits_per_week))
    for name, messages in profile_problems(sizes, fields.opening_hours).items():
        if name == "opening_hours" or name.startswith("closes_"):
            _merge(errors, {name: messages})
    if fields.code:
        taken = Facility.objects.filter(organization=scope.organization, code=fields.code)
        if existing is not None:
            taken = taken.exclude(pk=existing.pk)
        if taken.exists():
            errors["code"] = [_("Another facility of the organization has the code %(code)s.") % {"code": fields.code}]
    return place, errors


def _facility_row(scope: Scope, fields: FacilityFields, place: Place | None, existing: Facility | None) -> Facility:
    facility = existing or Facility(organization=scope.organization)
    facility.kind, facility.name, facility.code = fields.kind, fields.name, fields.code
    facility.address, facility.phone = fields.address, fields.phone
    if place is not None:
        facility.province, facility.regency, facility.regency_code = (
            place.province.name,
            place.regency.name,
            place.regency.code,
        )
        facility.time_zone = fields.time_zone or place.province.time_zone
    return facility


def _validate_row(facility: Facility, errors: Errors) -> None:
    """The model's own field checks (lengths, the code's characters), merged with ``errors``."""
    try:
        facility.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            if name not in errors and not (
                name in ("province", "regency", "regency_code") and not facility.regency_code
            ):
                errors[name] = list(messages)
    if errors:
        raise ValidationError(errors)


def _sizes(scope: Scope, facility: Facility | None, visits: int | None) -> dict[str, Any]:
    """The profile's sizes as they are, with the new planned visits (a new facility: zero)."""
    names = ("consultation_rooms", "procedure_rooms", "recovery_beds", "sedation_room_days_per_week")
    inputs = facility_profile(scope, facility).inputs if facility is not None else None
    sizes: dict[str, Any] = {name: getattr(inputs, name) if inputs else 0 for name in names}
    sizes["planned_visits_per_week"] = visits
    return sizes


def _describe(facility: Facility) -> str:
    return (
        f"kind={facility.kind}, name={facility.name!r}, code={facility.code}, regency={facility.regency_code}, "
        f"time_zone={facility.time_zone}, address={facility.address!r}, phone={facility.phone!r}"
    )


def _save_profile(
    scope: Scope, acting_user: User, facility: Facility, sizes: dict[str, Any], fields: FacilityFields
) -> None:
    save_facility_profile(
        scope=scope, acting_user=acting_user, facility=facility, opening_hours=fields.opening_hours, **sizes
    )


def _code_taken(fields: FacilityFields) -> ValidationError:
    return ValidationError(
        {"code": _("Another facility of the organization has the code %(code)s.") % {"code": fields.code}}
    )


def add_facility(*, scope: Scope, acting_user: User, fields: FacilityFields) -> Facility:
    """A new facility of the scope's organization, with its planned visits and opening hours."""
    require_organization_administrator(scope, object_type="facility", reason="add facility")
    fields = _clean_fields(fields)
    sizes = _sizes(scope, None, fields.planned_visits_per_week)
    place, errors = _facility_problems(scope, fields, sizes, existing=None)
    facility = _facility_row(scope, fields, place, None)
    _validate_row(facility, errors)
    with transaction.atomic():
        try:
            with transaction.atomic():
                facility.save(force_insert=True)
        except IntegrityError:
            raise _code_taken(fields) from None
        record_event(
            actor=acting_user,
            action=AuditAction.CREATE,
            organization=scope.organization,
            facility=facility,
            object_type="facility",
            object_id=facility.pk,
            reason=_describe(facility),
        )
        _save_profile(scope, acting_user, facility, sizes, fields)
    return facility


def _own(scope: Scope, facility: Facility) -> None:
    if facility.organization_id != scope.organization.pk or not scope.covers_facility(facility.pk):
        raise Http404("No such facility")


def update_facility(*, scope: Scope, acting_user: User, facility: Facility, fields: FacilityFields) -> Facility:
    """Change a facility's details, planned visits and opening hours (the rest of its profile stays)."""
    _own(scope, facility)
    require_organization_administrator(
        scope, object_type="facility", object_id=facility.pk, reason="edit facility", facility=facility
    )
    fields = _clean_fields(fields)
    with transaction.atomic():
        current = Facility.objects.select_for_update().get(pk=facility.pk)
        before = _describe(current)
        sizes = _sizes(scope, current, fields.planned_visits_per_week)
        place, errors = _facility_problems(scope, fields, sizes, existing=current)
        _facility_row(scope, fields, place, current)
        _validate_row(current, errors)
        try:
            with transaction.atomic():
                current.save()
        except IntegrityError:
            raise _code_taken(fields) from None
        record_event(
            actor=acting_user,
            action=AuditAction.UPDATE,
            organization=scope.organization,
            facility=current,
            object_type="facility",
            object_id=current.pk,
            reason=f"before: {before}; after: {_describe(current)}",
        )
        _save_profile(scope, acting_user, current, sizes, fields)
    return current


def _set_active(scope: Scope, acting_user: User, facility: Facility, *, active: bool, reason: str) -> Facility:
    _own(scope, facility)
    verb = "reactivate facility" if active else "deactivate facility"
    require_organization_administrator(
        scope, object_type="facility", object_id=facility.pk, reason=verb, facility=facility
    )
    with transaction.atomic():
        current = Facility.objects.select_for_update().get(pk=facility.pk)
        if current.is_active == active:
            message = (
                _("%(facility)s is already active.") if active else _("%(facility)s is already deactivated.")
            ) % {"facility": current.name}
            raise ValidationError({"is_active": [message]})
        current.is_active = active
        current.save(update_fields=["is_active"])
        record_event(
            actor=acting_user,
            action=AuditAction.UPDATE,
            organization=scope.organization,
            facility=current,
            object_type="facility",
            object_id=current.pk,
            reason=(f"reactivated: {reason}" if active else f"deactivated: {reason}").strip().rstrip(":"),
        )
    facility.is_active = active
    return current


def deactivate_facility(*, scope: Scope, acting_user: User, facility: Facility, reason: str = "") -> Facility:
    """Stop offering the facility for new work; its records stay. Reversible (``reactivate_facility``)."""
    return _set_active(scope, acting_user, facility, active=False, reason=reason.strip())


def reactivate_facility(*, scope: Scope, acting_user: User, facility: Facility, reason: str = "") -> Facility:
    return _set_active(scope, acting_user, facility, active=True, reason=reason.strip())
