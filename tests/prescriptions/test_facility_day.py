"""Days of supply count on the day of the facility where the prescription was written (issue 18)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.clinical.models import Patient
from nyeri.prescriptions import selectors
from nyeri.tenancy.models import Facility
from tests.prescriptions.conftest import MakeDraft, item
from tests.prescriptions.test_services import signed


def new_year_in_jayapura() -> datetime:
    """The coming New Year's Day at 00:30 WIT (15:30 UTC the day before, 22:30 WIB).

    After today, whatever day the suite runs on (tests/clock.py): the fixtures date the
    prescriber's credentials and checks from today, valid for months ahead, not backwards.
    """
    year = timezone.now().year + 1
    return datetime(year - 1, 12, 31, 15, 30, tzinfo=UTC)


def test_a_one_day_supply_signed_at_00_30_wit_on_new_year_s_day_is_active_that_day_not_the_day_before(
    physician: User, patient: Patient, make_draft: MakeDraft, facility: Facility
) -> None:
    Facility.objects.filter(pk=facility.pk).update(time_zone="Asia/Jayapura")
    # Signed at that moment (a signed prescription is not changed afterwards: a database guard).
    moment = new_year_in_jayapura()
    new_year = date(moment.year + 1, 1, 1)
    with time_machine.travel(moment, tick=False):
        prescription = signed(make_draft, physician, patient, item("codeine-10mg-tab", doses_per_day=3, days=1))
    assert Facility.objects.get(pk=prescription.facility_id).time_zone == "Asia/Jayapura"
    active_on = [
        d
        for d in (date(moment.year, 12, 31), new_year)
        if selectors.active_lines(patient.organization_id, patient.pk, on=d)
    ]
    assert active_on == [new_year]
