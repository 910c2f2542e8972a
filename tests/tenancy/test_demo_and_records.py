"""The demo keeps working with the settings; a facility with records is never deleted."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import ProtectedError

from nyeri.accounts.models import User
from nyeri.clinical.services import register_patient
from nyeri.facilities.models import FacilityProfile, OpeningHours
from nyeri.tenancy.models import Facility, Membership, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import resolve_scope
from tests.conftest import MakeMember

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_facility_manager_and_facilities_with_hours_and_planned_visits() -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "manajer" in out.getvalue()
    manager = Membership.objects.get(user__username="manajer")
    assert [r.role for r in manager.roles.all()] == [Role.FACILITY_MANAGER]
    for facility in Facility.objects.all():
        profile = FacilityProfile.objects.get(facility=facility)
        assert profile.planned_visits_per_week > 0, facility.code
        assert OpeningHours.objects.filter(profile=profile).exists(), facility.code
        # West Java keeps Western Indonesian Time.
        assert facility.time_zone == "Asia/Jakarta"


def test_a_facility_with_records_cannot_be_deleted_even_by_the_database(
    org: Organization, facility: Facility, make_member: MakeMember
) -> None:
    admin: User = make_member(org, Role.ADMINISTRATOR, username="rina")
    scope = resolve_scope(admin)
    assert scope is not None
    register_patient(
        scope=scope,
        acting_user=admin,
        facility=facility,
        mrn="RM-1",
        full_name="Ani",
        birth_date=date(1970, 1, 1),
        sex="female",
        nik="3273014101700001",  # Kota Bandung, a woman born 1 January 1970
    )
    with pytest.raises(ProtectedError):
        facility.delete()
    assert Facility.objects.filter(pk=facility.pk).exists()
