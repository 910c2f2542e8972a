"""The demo network's facilities: equipment as described, real gaps in every plan, and why."""

from __future__ import annotations

import pytest

from nyeri.accounts.models import User
from nyeri.facilities.models import Equipment, EquipmentStatus
from nyeri.facilities.selectors import facilities_with_equipment, services_offered
from nyeri.staffing.selectors import staffing_plan
from nyeri.tenancy.models import Facility
from tests.facilities.conftest import scope_of

pytestmark = pytest.mark.django_db


def test_the_demo_facilities_have_their_equipment_sizes_and_real_staffing_gaps() -> None:
    facilities = {f.code: f for f in Facility.objects.all()}
    kinds = {
        code: sorted((e.kind, e.status) for e in Equipment.objects.filter(facility=f)) for code, f in facilities.items()
    }
    assert kinds["rsud-bandung"] == [
        ("c_arm", "in_service"),
        ("ct", "under_maintenance"),
        ("ultrasound", "in_service"),
        ("ultrasound", "in_service"),
        ("xray", "in_service"),
    ]
    assert kinds["klinik-cimahi"] == [("ultrasound", "in_service"), ("xray", "in_service")]
    assert kinds["klinik-sumedang"] == [("ultrasound", "in_service")]
    ct = Equipment.objects.get(kind="ct")
    assert [c.to_status for c in ct.status_changes.all()] == [
        EquipmentStatus.IN_SERVICE,
        EquipmentStatus.UNDER_MAINTENANCE,
    ]

    officer = scope_of(User.objects.get(username="kredensial"))
    plans = {code: staffing_plan(officer, f).plan for code, f in facilities.items()}
    assert all(plan.total_gap > 0 for plan in plans.values())
    assert plans["rsud-bandung"].inputs.procedure_rooms == 2
    # The nurse at Cimahi whose SIP waits for verification is listed and not counted.
    nurse = plans["klinik-cimahi"].role("nurse")
    assert nurse is not None
    waiting = [m for m in nurse.staff if not m.counted]
    assert [u.code for m in waiting for u in m.unmet] == ["credential_unverified"]
    # Sumedang has no C-arm: it refers its fluoroscopy-guided blocks to the hospital.
    offered = services_offered(officer, facilities["klinik-sumedang"])
    spine = next(r for r in offered.results if r.code == "fluoroscopy_guided_spine")
    assert not spine.offered
    assert facilities_with_equipment(facilities["klinik-sumedang"].organization, "c_arm") == [
        facilities["rsud-bandung"]
    ]
