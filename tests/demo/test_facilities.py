"""The demo keeps working with the facility settings: hours, planned visits, a facility manager."""

from __future__ import annotations

from nyeri.facilities.models import FacilityProfile, OpeningHours
from nyeri.tenancy.models import Facility, Membership
from nyeri.tenancy.roles import Role


def test_the_demo_has_a_facility_manager_and_facilities_with_hours_and_planned_visits(seeded: str) -> None:
    assert "manajer" in seeded
    manager = Membership.objects.get(user__username="manajer")
    assert [r.role for r in manager.roles.all()] == [Role.FACILITY_MANAGER]
    for facility in Facility.objects.all():
        profile = FacilityProfile.objects.get(facility=facility)
        assert profile.planned_visits_per_week > 0, facility.code
        assert OpeningHours.objects.filter(profile=profile).exists(), facility.code
        # West Java keeps Western Indonesian Time.
        assert facility.time_zone == "Asia/Jakarta"
