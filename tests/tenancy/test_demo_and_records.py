"""A facility with records is never deleted."""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import ProtectedError

from nyeri.accounts.models import User
from nyeri.clinical.services import register_patient
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import resolve_scope
from tests.conftest import MakeMember

pytestmark = pytest.mark.django_db


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
