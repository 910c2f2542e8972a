"""Days of supply count on the day of the facility where the prescription was written (issue 18)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine

from nyeri.accounts.models import User
from nyeri.clinical.models import Patient
from nyeri.prescriptions import selectors
from nyeri.tenancy.models import Facility
from tests.prescriptions.conftest import MakeDraft, item
from tests.prescriptions.test_services import signed

# 31 December 2026 15:30 UTC: 22:30 WIB, 1 January 2027 00:30 WIT.
NEW_YEAR_IN_JAYAPURA = datetime(2026, 12, 31, 15, 30, tzinfo=UTC)


def test_a_one_day_supply_signed_at_00_30_wit_on_new_year_s_day_is_active_that_day_not_the_day_before(
    physician: User, patient: Patient, make_draft: MakeDraft, facility: Facility
) -> None:
    Facility.objects.filter(pk=facility.pk).update(time_zone="Asia/Jayapura")
    # Signed at that moment (a signed prescription is not changed afterwards: a database guard).
    with time_machine.travel(NEW_YEAR_IN_JAYAPURA, tick=False):
        prescription = signed(make_draft, physician, patient, item("codeine-10mg-tab", doses_per_day=3, days=1))
    assert Facility.objects.get(pk=prescription.facility_id).time_zone == "Asia/Jayapura"
    active_on = [
        d
        for d in (date(2026, 12, 31), date(2027, 1, 1))
        if selectors.active_lines(patient.organization_id, patient.pk, on=d)
    ]
    assert active_on == [date(2027, 1, 1)]
