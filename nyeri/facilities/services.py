"""Facility writes: the profile (size and opening hours), equipment, equipment status changes.

Each write checks the acting user's role (a refusal is audited and raised), validates every
field with a translated message keyed by the field (nothing is written on bad input),
writes in one transaction and records the audit event in it.

An equipment's status is only changed here: every change inserts an
``EquipmentStatusChange`` (from, to, who, when, why), so the history is never overwritten.
A retired unit stays retired.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time
from typing import Any, Final

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.facilities.access import deny, may_add_equipment, may_change_status, may_edit_profile
from nyeri.facilities.models import (
    SIZE_FIELDS,
    Equipment,
    EquipmentKind,
    EquipmentStatus,
    EquipmentStatusChange,
    FacilityProfile,
    OpeningHours,
    Weekday,
)
from nyeri.lib.services import Errors
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope

# Upper bounds that catch a typing slip (3000 rooms) without limiting a real facility.
SIZE_LIMITS: Final = {
    "consultation_rooms": 200,
    "procedure_rooms": 100,
    "recovery_beds": 500,
    "planned_visits_per_week": 100_000,
    "sedation_room_days_per_week": 700,
}
REASON_MAX_LENGTH: Final = 1000
MODEL_MAX_LENGTH: Final = 200
SERIAL_MAX_LENGTH: Final = 100

# (weekday 1-7, opens, closes) for each day the facility is open.
OpeningRow = tuple[int, time, time]


def _own_facility(scope: Scope, facility: Facility) -> None:
    if facility.organization_id != scope.organization.pk or not scope.covers_facility(facility.pk):
        raise Http404("No such facility")


def _size_errors(sizes: dict[str, Any]) -> Errors:
    errors: Errors = {}
    for name in SIZE_FIELDS:
        value = sizes.get(name)
        if value is None or isinstance(value, bool) or not isinstance(value, int):
            errors[name] = [_("Enter a whole number.")]
        elif value < 0:
            errors[name] = [_("Enter a number of zero or more: it cannot be negative.")]
        elif value > SIZE_LIMITS[name]:
            errors[name] = [_("Enter at most %(limit)s.") % {"limit": SIZE_LIMITS[name]}]
    rooms, sedation = sizes.get("procedure_rooms"), sizes.get("sedation_room_days_per_week")
    if "procedure_rooms" not in errors and "sedation_room_days_per_week" not in errors:
        assert isinstance(rooms, int)
        assert isinstance(sedation, int)
        if sedation > rooms * 7:
            errors["sedation_room_days_per_week"] = [
                _("At most %(limit)s: each procedure room can be used for sedation at most 7 days a week.")
                % {"limit": rooms * 7}
            ]
    return errors


def _hours_errors(rows: Sequence[OpeningRow]) -> Errors:
    errors: Errors = {}
    seen: set[int] = set()
    for weekday, opens, closes in rows:
        if weekday not in Weekday.values:
            errors.setdefault("opening_hours", []).append(_("Unknown weekday %(day)s.") % {"day": weekday})
            continue
        if weekday in seen:
            errors.setdefault(f"closes_{weekday}", []).append(
                _("%(day)s is given twice: one opening time per day.") % {"day": Weekday(weekday).label}
            )
        seen.add(weekday)
        if closes <= opens:
            errors.setdefault(f"closes_{weekday}", []).append(
                _("%(day)s: the closing time must be after the opening time.") % {"day": Weekday(weekday).label}
            )
    return errors


def profile_problems(sizes: dict[str, Any], opening_hours: Sequence[OpeningRow]) -> Errors:
    """Everything wrong with a profile, keyed by field (the forms show it all at once)."""
    return {**_size_errors(sizes), **_hours_errors(opening_hours)}


def _describe_profile(profile: FacilityProfile | None, hours: Sequence[OpeningRow]) -> str:
    if profile is None:
        return "none"
    sizes = ", ".join(f"{name}={getattr(profile, name)}" for name in SIZE_FIELDS)
    days = " ".join(f"{d}:{o:%H:%M}-{c:%H:%M}" for d, o, c in sorted(hours))
    return f"{sizes}; hours {days or 'closed'}"


def save_facility_profile(
    *,
    scope: Scope,
    acting_user: User,
    facility: Facility,
    consultation_rooms: int,
    procedure_rooms: int,
    recovery_beds: int,
    planned_visits_per_week: int,
    sedation_room_days_per_week: int,
    opening_hours: Sequence[OpeningRow],
) -> FacilityProfile:
    """Create or replace the facility's profile and opening hours (administrators)."""
    _own_facility(scope, facility)
    if not may_edit_profile(scope):
        deny(scope, facility=facility, object_type="facility_profile", object_id=facility.pk, reason="edit profile")
    sizes: dict[str, Any] = {
        "consultation_rooms": consultation_rooms,
        "procedure_rooms": procedure_rooms,
        "recovery_beds": recovery_beds,
        "planned_visits_per_week": planned_visits_per_week,
        "sedation_room_days_per_week": sedation_room_days_per_week,
    }
    errors = profile_problems(sizes, opening_hours)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        return _write_profile(scope, acting_user, facility, sizes, opening_hours)


def _write_profile(
    scope: Scope, acting_user: User, facility: Facility, sizes: dict[str, Any], opening_hours: Sequence[OpeningRow]
) -> FacilityProfile:
    profile = FacilityProfile.objects.select_for_update().filter(facility=facility).first()
    before_hours = (
        [(h.weekday, h.opens, h.closes) for h in OpeningHours.objects.filter(profile=profile)] if profile else []
    )
    before = _describe_profile(profile, before_hours)
    created = profile is None
    if profile is None:
        profile = FacilityProfile(organization=scope.organization, facility=facility)
    for name, value in sizes.items():
        setattr(profile, name, value)
    profile.updated_by = acting_user
    profile.full_clean(exclude=["organization", "facility", "updated_by"], validate_unique=False)
    profile.save()
    OpeningHours.objects.filter(profile=profile).delete()
    OpeningHours.objects.bulk_create(
        [
            OpeningHours(organization=scope.organization, profile=profile, weekday=d, opens=o, closes=c)
            for d, o, c in sorted(opening_hours)
        ]
    )
    record_event(
        actor=acting_user,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        organization=scope.organization,
        facility=facility,
        object_type="facility_profile",
        object_id=profile.pk,
        reason=f"before: {before}; after: {_describe_profile(profile, opening_hours)}",
    )
    return profile


def _reason_errors(reason: str, field: str = "reason") -> Errors:
    if not reason.strip():
        return {field: [_("Give a reason for the change.")]}
    if len(reason) > REASON_MAX_LENGTH:
        return {field: [_("At most %(limit)s characters.") % {"limit": REASON_MAX_LENGTH}]}
    return {}


def add_equipment(
    *,
    scope: Scope,
    acting_user: User,
    facility: Facility,
    kind: str,
    model_name: str,
    serial_number: str = "",
    status: str = EquipmentStatus.IN_SERVICE,
    reason: str = "",
) -> Equipment:
    """Add a unit to the facility's inventory (administrators), with its first status in the history."""
    _own_facility(scope, facility)
    if not may_add_equipment(scope):
        deny(scope, facility=facility, object_type="equipment", object_id="", reason="add equipment")
    model_name, serial_number = model_name.strip(), serial_number.strip()
    errors: Errors = {}
    if kind not in EquipmentKind.values:
        errors["kind"] = [
            _("Unknown equipment kind %(kind)s. Known kinds: %(known)s.")
            % {"kind": kind, "known": ", ".join(EquipmentKind.values)}
        ]
    if not model_name:
        errors["model_name"] = [_("Enter the model.")]
    elif len(model_name) > MODEL_MAX_LENGTH:
        errors["model_name"] = [_("At most %(limit)s characters.") % {"limit": MODEL_MAX_LENGTH}]
    if len(serial_number) > SERIAL_MAX_LENGTH:
        errors["serial_number"] = [_("At most %(limit)s characters.") % {"limit": SERIAL_MAX_LENGTH}]
    if status not in (EquipmentStatus.IN_SERVICE, EquipmentStatus.UNDER_MAINTENANCE):
        errors["status"] = [_("A new unit is in service or under maintenance.")]
    if len(reason) > REASON_MAX_LENGTH:
        errors["reason"] = [_("At most %(limit)s characters.") % {"limit": REASON_MAX_LENGTH}]
    if (
        "kind" not in errors
        and serial_number
        and Equipment.objects.filter(organization=scope.organization, kind=kind, serial_number=serial_number).exists()
    ):
        errors["serial_number"] = [
            _("The organization already has a %(kind)s with serial number %(serial)s.")
            % {"kind": EquipmentKind(kind).label, "serial": serial_number}
        ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        return _write_equipment(scope, acting_user, facility, kind, model_name, serial_number, status, reason)


def _write_equipment(
    scope: Scope,
    acting_user: User,
    facility: Facility,
    kind: str,
    model_name: str,
    serial_number: str,
    status: str,
    reason: str,
) -> Equipment:
    now = timezone.now()
    try:
        # A savepoint: a unit with the same serial added meanwhile is a field error, not a crash.
        with transaction.atomic():
            equipment = Equipment.objects.create(
                organization=scope.organization,
                facility=facility,
                kind=kind,
                model_name=model_name,
                serial_number=serial_number,
                status=status,
                status_changed_at=now,
                added_by=acting_user,
            )
    except IntegrityError:
        raise ValidationError(
            {
                "serial_number": _("The organization already has a %(kind)s with serial number %(serial)s.")
                % {"kind": EquipmentKind(kind).label, "serial": serial_number}
            }
        ) from None
    EquipmentStatusChange.objects.create(
        organization=scope.organization,
        equipment=equipment,
        from_status="",
        to_status=status,
        reason=reason.strip() or "added to the inventory",
        changed_by=acting_user,
        changed_at=now,
    )
    record_event(
        actor=acting_user,
        action=AuditAction.CREATE,
        organization=scope.organization,
        facility=facility,
        object_type="equipment",
        object_id=equipment.pk,
        reason=f"{kind} {model_name} {serial_number}".strip() + f", {status}",
    )
    return equipment


def change_equipment_status(
    *, scope: Scope, acting_user: User, equipment: Equipment, status: str, reason: str
) -> EquipmentStatusChange:
    """Put a unit in service, under maintenance or retire it, with a reason (administrators, technicians).

    The unit's row is locked while its status changes, so two changes at once are made one
    after the other and each history row starts from the status the other left.
    """
    if equipment.organization_id != scope.organization.pk or not scope.covers_facility(equipment.facility_id):
        raise Http404("No such equipment")
    if not may_change_status(scope):
        deny(
            scope,
            facility=equipment.facility,
            object_type="equipment",
            object_id=equipment.pk,
            reason="change equipment status",
        )
    with transaction.atomic():
        return _write_status(scope, acting_user, equipment, status, reason)


def _write_status(
    scope: Scope, acting_user: User, equipment: Equipment, status: str, reason: str
) -> EquipmentStatusChange:
    current = Equipment.objects.select_for_update().get(pk=equipment.pk)
    errors: Errors = _reason_errors(reason)
    if status not in EquipmentStatus.values:
        errors["status"] = [_("Unknown status %(status)s.") % {"status": status}]
    elif current.status == EquipmentStatus.RETIRED:
        errors["status"] = [_("A retired unit stays retired: add a new unit instead.")]
    elif status == current.status:
        errors["status"] = [
            _("The unit is already %(status)s.") % {"status": str(EquipmentStatus(status).label).lower()}
        ]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    change = EquipmentStatusChange.objects.create(
        organization=scope.organization,
        equipment=current,
        from_status=current.status,
        to_status=status,
        reason=reason.strip(),
        changed_by=acting_user,
        changed_at=now,
    )
    Equipment.objects.filter(pk=current.pk).update(status=status, status_changed_at=now)
    equipment.status, equipment.status_changed_at = status, now
    record_event(
        actor=acting_user,
        action=AuditAction.UPDATE,
        organization=scope.organization,
        facility=equipment.facility,
        object_type="equipment",
        object_id=equipment.pk,
        reason=f"status {change.from_status} -> {status}: {reason.strip()}",
    )
    return change
