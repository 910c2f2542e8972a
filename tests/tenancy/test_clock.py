"""The local date and time at a facility (nyeri.tenancy.clock): one question, every zone."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.template import Context, Template

from nyeri.register.report import month_bounds
from nyeri.tenancy.clock import day_bounds, local_date, local_now, period_bounds, zone_label
from nyeri.tenancy.models import Facility, Organization

UTC = ZoneInfo("UTC")


def place(org: Organization, code: str, regency_code: str, zone: str) -> Facility:
    return Facility.objects.create(
        organization=org,
        name=f"Klinik {code}",
        code=code,
        kind=Facility.Kind.PAIN_CLINIC,
        province="-",
        regency="-",
        regency_code=regency_code,
        time_zone=zone,
    )


@pytest.fixture
def makassar(org: Organization) -> Facility:
    return place(org, "makassar", "73.71", "Asia/Makassar")


@pytest.fixture
def jayapura(org: Organization) -> Facility:
    return place(org, "jayapura", "91.71", "Asia/Jayapura")


def test_a_makassar_clinic_s_day_runs_from_00_00_to_24_00_wita(makassar: Facility) -> None:
    # The day's appointment list does not exist yet; when it does, it filters on these bounds.
    start, end = day_bounds(makassar, date(2026, 12, 14))
    assert start == datetime(2026, 12, 13, 16, 0, tzinfo=UTC)
    assert end == datetime(2026, 12, 14, 16, 0, tzinfo=UTC)
    assert start.tzinfo == UTC


def test_the_same_moment_is_a_different_day_in_jakarta_and_jayapura(facility: Facility, jayapura: Facility) -> None:
    moment = datetime(2026, 12, 31, 15, 30, tzinfo=UTC)
    assert local_date(facility, moment) == date(2026, 12, 31)  # 22:30 WIB
    assert local_date(jayapura, moment) == date(2027, 1, 1)  # 00:30 WIT
    assert local_now(jayapura, moment).hour == 0


def test_now_is_read_at_the_facility_when_no_moment_is_given(jayapura: Facility) -> None:
    with time_machine.travel(datetime(2026, 6, 30, 16, 0, tzinfo=UTC), tick=False):
        assert local_date(jayapura) == date(2026, 7, 1)
        assert local_date(None) == date(2026, 6, 30)  # the installation's zone, Asia/Jakarta


def test_a_period_covers_its_first_and_last_local_days(makassar: Facility) -> None:
    start, end = period_bounds(makassar, date(2026, 1, 1), date(2026, 1, 31))
    assert (start, end) == (datetime(2025, 12, 31, 16, tzinfo=UTC), datetime(2026, 1, 31, 16, tzinfo=UTC))


def test_times_are_shown_in_the_facility_s_zone_with_its_label(facility: Facility, makassar: Facility) -> None:
    moment = datetime(2026, 12, 14, 13, 30, tzinfo=UTC)
    template = Template("{% load facility_time %}{{ at|facility_time:here }}")
    assert template.render(Context({"at": moment, "here": makassar})).endswith("21:30 WITA")
    assert template.render(Context({"at": moment, "here": facility})).endswith("20:30 WIB")
    assert template.render(Context({"at": None, "here": facility})) == ""
    assert zone_label("Europe/Amsterdam") == "Europe/Amsterdam"


def test_a_jayapura_register_month_runs_from_00_00_wit(jayapura: Facility) -> None:
    assert month_bounds(jayapura, 2026, 12) == (
        datetime(2026, 11, 30, 15, 0, tzinfo=UTC),
        datetime(2026, 12, 31, 15, 0, tzinfo=UTC),
    )
