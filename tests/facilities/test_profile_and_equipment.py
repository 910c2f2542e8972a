"""The facility profile and the equipment inventory: constraints, bad input, status history, audit, scoping."""

from __future__ import annotations

from datetime import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.facilities import services
from nyeri.facilities.models import (
    Equipment,
    EquipmentStatus,
    EquipmentStatusChange,
    FacilityProfile,
    OpeningHours,
)
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.scope import Scope
from tests.facilities.conftest import WEEKDAYS, describe, hours, scope_of, unit


def events(object_type: str, action: AuditAction | None = None) -> list[AuditEvent]:
    found = AuditEvent.objects.filter(object_type=object_type).order_by("pk")
    return list(found.filter(action=action) if action else found)


# --- The database holds the invariants ---------------------------------------------------------


@pytest.mark.parametrize("field", ["consultation_rooms", "procedure_rooms", "recovery_beds", "planned_visits_per_week"])
def test_the_database_refuses_a_negative_size(org: Organization, facility: Facility, field: str) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        FacilityProfile.objects.create(organization=org, facility=facility, **{field: -1})


def test_the_database_refuses_more_sedation_days_than_the_procedure_rooms_have(
    org: Organization, facility: Facility
) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        FacilityProfile.objects.create(
            organization=org, facility=facility, procedure_rooms=1, sedation_room_days_per_week=8
        )


def test_the_database_refuses_a_closing_time_before_the_opening_time(org: Organization, facility: Facility) -> None:
    profile = FacilityProfile.objects.create(organization=org, facility=facility)
    with pytest.raises(IntegrityError), transaction.atomic():
        OpeningHours.objects.create(organization=org, profile=profile, weekday=1, opens=time(16), closes=time(8))


def test_the_database_refuses_an_unknown_equipment_kind_or_status(org: Organization, facility: Facility) -> None:
    common = {"organization": org, "facility": facility, "model_name": "X", "status_changed_at": timezone.now()}
    with pytest.raises(IntegrityError), transaction.atomic():
        Equipment.objects.create(kind="pet_scanner", status="in_service", **common)
    with pytest.raises(IntegrityError), transaction.atomic():
        Equipment.objects.create(kind="xray", status="broken", **common)


def test_the_database_refuses_a_status_change_without_a_reason(
    admin_scope: Scope, admin: User, facility: Facility, org: Organization
) -> None:
    xray = unit(admin_scope, admin, facility, "xray")
    with pytest.raises(IntegrityError), transaction.atomic():
        EquipmentStatusChange.objects.create(
            organization=org,
            equipment=xray,
            from_status="in_service",
            to_status="retired",
            reason="",
            changed_at=timezone.now(),
        )


# --- The profile -----------------------------------------------------------------------------


def test_an_administrator_describes_the_facility_and_the_change_is_audited(
    admin_scope: Scope, admin: User, facility: Facility
) -> None:
    profile = describe(
        admin_scope,
        admin,
        facility,
        opening=[*hours(WEEKDAYS, "07:30", "16:00"), *hours((6,), "08:00", "12:00")],
        procedure_rooms=2,
        sedation_room_days_per_week=4,
    )
    assert (profile.procedure_rooms, profile.sedation_room_days_per_week, profile.updated_by) == (2, 4, admin)
    assert [(h.weekday, h.opens, h.closes) for h in profile.opening_hours.order_by("weekday")][-1] == (
        6,
        time(8),
        time(12),
    )
    [event] = events("facility_profile")
    assert (event.action, event.facility_id, event.actor_id) == (AuditAction.CREATE, facility.pk, admin.pk)
    assert "procedure_rooms=2" in event.reason
    assert "6:08:00-12:00" in event.reason


def test_saving_again_replaces_the_sizes_and_hours_and_the_audit_says_before_and_after(
    admin_scope: Scope, admin: User, facility: Facility
) -> None:
    describe(admin_scope, admin, facility, planned_visits_per_week=120)
    describe(admin_scope, admin, facility, planned_visits_per_week=200, opening=hours((1, 2, 3), "09:00", "15:00"))
    profile = FacilityProfile.objects.get(facility=facility)
    assert profile.planned_visits_per_week == 200
    assert sorted(profile.opening_hours.values_list("weekday", flat=True)) == [1, 2, 3]
    last = events("facility_profile")[-1]
    assert last.action == AuditAction.UPDATE
    assert (
        "before: consultation_rooms=2, procedure_rooms=1, recovery_beds=2, planned_visits_per_week=120" in last.reason
    )
    assert "after: consultation_rooms=2, procedure_rooms=1, recovery_beds=2, planned_visits_per_week=200" in last.reason


def test_negative_rooms_and_visits_are_refused_per_field_and_nothing_is_saved(
    admin_scope: Scope, admin: User, facility: Facility
) -> None:
    with pytest.raises(ValidationError) as refused:
        describe(admin_scope, admin, facility, procedure_rooms=-1, planned_visits_per_week=-20, recovery_beds=-2)
    errors = refused.value.message_dict
    assert set(errors) == {"procedure_rooms", "planned_visits_per_week", "recovery_beds"}
    assert "cannot be negative" in errors["procedure_rooms"][0]
    assert not FacilityProfile.objects.exists()
    assert not events("facility_profile")


def test_too_many_sedation_days_and_a_day_closing_before_it_opens_are_refused(
    admin_scope: Scope, admin: User, facility: Facility
) -> None:
    with pytest.raises(ValidationError) as refused:
        describe(
            admin_scope,
            admin,
            facility,
            procedure_rooms=1,
            sedation_room_days_per_week=9,
            opening=[(1, time(16), time(8))],
        )
    errors = refused.value.message_dict
    assert "at most 7 days a week" in errors["sedation_room_days_per_week"][0]
    assert "Monday: the closing time must be after the opening time." in errors["closes_1"]
    assert not FacilityProfile.objects.exists()


def test_a_nurse_may_not_edit_the_profile_and_the_refusal_is_audited(member_nurse: User, facility: Facility) -> None:
    with pytest.raises(PermissionDenied):
        describe(scope_of(member_nurse), member_nurse, facility)
    [event] = events("facility_profile", AuditAction.PERMISSION_DENIED)
    assert (event.actor_id, event.outcome) == (member_nurse.pk, AuditOutcome.DENIED)
    assert not FacilityProfile.objects.exists()


def test_another_organizations_facility_is_not_found(
    other_admin: User, facility: Facility, admin_scope: Scope, admin: User, other_facility: Facility
) -> None:
    with pytest.raises(Http404):
        describe(scope_of(other_admin), other_admin, facility)
    with pytest.raises(Http404):
        unit(admin_scope, admin, other_facility, "xray")


# --- Equipment ----------------------------------------------------------------------------------


def test_adding_a_unit_starts_its_history_and_is_audited(admin_scope: Scope, admin: User, facility: Facility) -> None:
    c_arm = unit(admin_scope, admin, facility, "c_arm", model_name="Philips Zenition 50", serial_number="Z-1")
    assert (c_arm.status, c_arm.added_by) == (EquipmentStatus.IN_SERVICE, admin)
    [first] = c_arm.status_changes.all()
    assert (first.from_status, first.to_status, first.changed_by) == ("", "in_service", admin)
    [event] = events("equipment")
    assert (event.action, event.object_id, event.facility_id) == (AuditAction.CREATE, str(c_arm.pk), facility.pk)


def test_an_unknown_kind_a_missing_model_and_a_retired_start_are_refused_per_field(
    admin_scope: Scope, admin: User, facility: Facility
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.add_equipment(
            scope=admin_scope,
            acting_user=admin,
            facility=facility,
            kind="pet_scanner",
            model_name=" ",
            status="retired",
        )
    errors = refused.value.message_dict
    assert set(errors) == {"kind", "model_name", "status"}
    assert "Unknown equipment kind pet_scanner" in errors["kind"][0]
    assert not Equipment.objects.exists()
    assert not events("equipment")


def test_a_serial_number_is_unique_per_organization_and_kind(
    admin_scope: Scope, admin: User, facility: Facility
) -> None:
    unit(admin_scope, admin, facility, "ultrasound", serial_number="TE7-1")
    with pytest.raises(ValidationError) as refused:
        unit(admin_scope, admin, facility, "ultrasound", serial_number="TE7-1")
    assert "serial number TE7-1" in refused.value.message_dict["serial_number"][0]
    unit(admin_scope, admin, facility, "xray", serial_number="TE7-1")  # another kind may share it
    assert Equipment.objects.count() == 2


def test_each_status_change_is_kept_in_the_history_with_its_reason_and_audited(
    admin_scope: Scope, admin: User, facility: Facility
) -> None:
    ct = unit(admin_scope, admin, facility, "ct")
    services.change_equipment_status(
        scope=admin_scope, acting_user=admin, equipment=ct, status="under_maintenance", reason="Tube failure"
    )
    services.change_equipment_status(
        scope=admin_scope, acting_user=admin, equipment=ct, status="in_service", reason="Tube replaced"
    )
    ct.refresh_from_db()
    assert ct.status == EquipmentStatus.IN_SERVICE
    history = list(ct.status_changes.order_by("changed_at", "pk").values_list("from_status", "to_status", "reason"))
    assert history[1:] == [
        ("in_service", "under_maintenance", "Tube failure"),
        ("under_maintenance", "in_service", "Tube replaced"),
    ]
    updates = events("equipment", AuditAction.UPDATE)
    assert [e.reason for e in updates] == [
        "status in_service -> under_maintenance: Tube failure",
        "status under_maintenance -> in_service: Tube replaced",
    ]


def test_a_change_without_a_reason_or_to_the_same_status_is_refused_and_changes_nothing(
    admin_scope: Scope, admin: User, facility: Facility
) -> None:
    xray = unit(admin_scope, admin, facility, "xray")
    with pytest.raises(ValidationError) as refused:
        services.change_equipment_status(
            scope=admin_scope, acting_user=admin, equipment=xray, status="in_service", reason=""
        )
    assert set(refused.value.message_dict) == {"status", "reason"}
    with pytest.raises(ValidationError):
        services.change_equipment_status(
            scope=admin_scope, acting_user=admin, equipment=xray, status="broken", reason="x"
        )
    xray.refresh_from_db()
    assert xray.status == EquipmentStatus.IN_SERVICE
    assert xray.status_changes.count() == 1
    assert not events("equipment", AuditAction.UPDATE)


def test_a_retired_unit_stays_retired(admin_scope: Scope, admin: User, facility: Facility) -> None:
    xray = unit(admin_scope, admin, facility, "xray")
    services.change_equipment_status(
        scope=admin_scope, acting_user=admin, equipment=xray, status="retired", reason="Old"
    )
    with pytest.raises(ValidationError) as refused:
        services.change_equipment_status(
            scope=admin_scope, acting_user=admin, equipment=xray, status="in_service", reason="Back"
        )
    assert "stays retired" in refused.value.message_dict["status"][0]


def test_a_medical_technician_changes_a_status_but_may_not_add_units(
    admin_scope: Scope, admin: User, technician: User, facility: Facility
) -> None:
    usg = unit(admin_scope, admin, facility, "ultrasound")
    change = services.change_equipment_status(
        scope=scope_of(technician), acting_user=technician, equipment=usg, status="under_maintenance", reason="Probe"
    )
    assert change.changed_by == technician
    with pytest.raises(PermissionDenied):
        unit(scope_of(technician), technician, facility, "xray")
    assert events("equipment", AuditAction.PERMISSION_DENIED)[0].actor_id == technician.pk


def test_a_nurse_may_not_change_a_status(
    admin_scope: Scope, admin: User, member_nurse: User, facility: Facility
) -> None:
    usg = unit(admin_scope, admin, facility, "ultrasound")
    with pytest.raises(PermissionDenied):
        services.change_equipment_status(
            scope=scope_of(member_nurse), acting_user=member_nurse, equipment=usg, status="retired", reason="x"
        )
    usg.refresh_from_db()
    assert usg.status == EquipmentStatus.IN_SERVICE


def test_another_organizations_unit_is_not_found(
    admin_scope: Scope, admin: User, other_admin: User, facility: Facility
) -> None:
    usg = unit(admin_scope, admin, facility, "ultrasound")
    with pytest.raises(Http404):
        services.change_equipment_status(
            scope=scope_of(other_admin), acting_user=other_admin, equipment=usg, status="retired", reason="x"
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only trigger is PostgreSQL's")
def test_the_status_history_cannot_be_rewritten_on_postgresql(
    admin_scope: Scope, admin: User, facility: Facility
) -> None:
    xray = unit(admin_scope, admin, facility, "xray")
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        EquipmentStatusChange.objects.filter(equipment=xray).update(reason="rewritten")
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        EquipmentStatusChange.objects.filter(equipment=xray).delete()
