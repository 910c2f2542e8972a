"""Staffing fixtures: the facility fixtures, and a described clinic with staff for a hand-computed plan."""

# ruff: noqa: F811 - the facility fixtures are imported to be shared, then used as parameters

from __future__ import annotations

import pytest

from nyeri.accounts.models import User
from nyeri.facilities import services
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from nyeri.workforce.kinds import Specialty
from nyeri.workforce.models import Person
from tests.facilities.conftest import (  # noqa: F401 - fixtures shared with the facility tests
    WEEKDAYS,
    MakeStaff,
    admin,
    admin_scope,
    describe,
    english,
    hours,
    make_staff,
    member_nurse,
    officer,
    other_admin,
    technician,
    unit,
)


@pytest.fixture
def second_facility(org: Organization) -> Facility:
    return Facility.objects.create(
        organization=org,
        name="Klinik Nyeri Cimahi",
        code="cimahi",
        kind=Facility.Kind.PAIN_CLINIC,
        province="Jawa Barat",
        regency="Kota Cimahi",
        regency_code="32.77",
    )


@pytest.fixture
def clinic(
    admin_scope: Scope, admin: User, facility: Facility, second_facility: Facility, make_staff: MakeStaff
) -> dict[str, Person]:
    """The example of docs/staffing.md, computed by hand in tests/staffing/test_plan.py.

    Open 44 hours a week (Monday-Friday 08:00-16:00, Saturday 08:00-12:00); 2 consultation
    rooms, 1 procedure room, 2 recovery beds, 120 planned visits and 2 procedure-room days
    with sedation a week. A C-arm and two ultrasound units in service, an X-ray unit under
    maintenance. A pain physician shared with another facility, an anesthesiologist, a
    radiographer, a nurse, and a nurse whose practice permit expired.
    """
    describe(
        admin_scope,
        admin,
        facility,
        opening=[*hours(WEEKDAYS, "08:00", "16:00"), *hours((6,), "08:00", "12:00")],
        consultation_rooms=2,
        procedure_rooms=1,
        recovery_beds=2,
        planned_visits_per_week=120,
        sedation_room_days_per_week=2,
    )
    unit(admin_scope, admin, facility, "c_arm", serial_number="C-1")
    unit(admin_scope, admin, facility, "ultrasound", serial_number="U-1")
    unit(admin_scope, admin, facility, "ultrasound", serial_number="U-2")
    xray = unit(admin_scope, admin, facility, "xray", serial_number="X-1")
    services.change_equipment_status(
        scope=admin_scope, acting_user=admin, equipment=xray, status="under_maintenance", reason="Detector fault"
    )
    return {
        "physician": make_staff(
            Role.PAIN_PHYSICIAN, "dr. Andi Wijaya", facilities=(facility, second_facility), fellowship=True
        ),
        "anesthesiologist": make_staff(Role.ANESTHESIOLOGIST, "dr. Bambang", residency=Specialty.ANESTHESIOLOGY),
        "radiographer": make_staff(Role.RADIOGRAPHER, "Dedi Kurniawan"),
        "nurse": make_staff(Role.NURSE, "Siti Nurhaliza"),
        "lapsed_nurse": make_staff(Role.NURSE, "Eka Fitriani", permit="expired"),
    }
