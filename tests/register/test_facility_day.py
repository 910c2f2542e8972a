"""A Makassar clinic's day runs from 00:00 to 24:00 WITA (issue 18).

There is no appointment book yet; the register's list of a day is a facility's day list
already, asked through the same ``clock.day_bounds`` the appointment list will use.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from nyeri.accounts.models import User
from nyeri.register.selectors import MovementFilters, movements
from nyeri.tenancy.clock import day_bounds
from nyeri.tenancy.models import Facility
from tests.register.conftest import receive

WITA = ZoneInfo("Asia/Makassar")
DAY = date(2026, 3, 10)


def test_a_makassar_clinic_s_list_of_a_day_runs_from_00_00_to_24_00_wita(pharmacist: User, facility: Facility) -> None:
    Facility.objects.filter(pk=facility.pk).update(time_zone="Asia/Makassar")
    facility.refresh_from_db()
    moments = [
        datetime(2026, 3, 9, 23, 59, tzinfo=WITA),  # the day before
        datetime(2026, 3, 10, 0, 0, tzinfo=WITA),  # 23:00 WIB on the 9th: the installation's day before
        datetime(2026, 3, 10, 23, 59, tzinfo=WITA),
        datetime(2026, 3, 11, 0, 0, tzinfo=WITA),  # 23:00 WIB on the 10th: the installation's same day
    ]
    made = [receive(pharmacist, facility, quantity=10, occurred_at=at) for at in moments]

    listed = movements(facility, MovementFilters(since=DAY, until=DAY))

    assert day_bounds(facility, DAY) == (
        datetime(2026, 3, 9, 16, 0, tzinfo=ZoneInfo("UTC")),
        datetime(2026, 3, 10, 16, 0, tzinfo=ZoneInfo("UTC")),
    )
    assert [m.pk for m in listed] == [made[2].pk, made[1].pk]
