"""What "valid for N months" means, on the days that break naive day arithmetic.

The rule (nyeri/workforce/engine/periods.py, docs/requirements-engine.md): valid through the
day before the same-numbered day N months later; when that month has no such day, through
its last day. Each boundary is asserted both ways: the last valid day and the first lapsed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import Role
from nyeri.workforce.engine import decide
from nyeri.workforce.engine.periods import earliest_valid_start, is_valid_on, lapses_on, valid_through
from nyeri.workforce.kinds import CheckKind, CheckResult, CredentialKind
from nyeri.workforce.models import Credential, Person
from tests.workforce.conftest import AddCredential, MakePerson

JAKARTA = ZoneInfo("Asia/Jakarta")
Licensed = Callable[[Person], tuple[Credential, Credential]]

# (issued on, months, last valid day): the awkward days of the calendar.
BOUNDARIES = [
    # A month that is exactly 30 days long: 6 November + 1 month.
    (date(2026, 11, 6), 1, date(2026, 12, 5)),
    # The last day of a 30-day month, and of a 31-day month.
    (date(2026, 11, 30), 1, date(2026, 12, 29)),
    (date(2026, 12, 31), 1, date(2027, 1, 30)),
    (date(2027, 7, 31), 1, date(2027, 8, 30)),
    # 31 December + 1 month crosses the year.
    (date(2026, 12, 31), 12, date(2027, 12, 30)),
    # No 31 February: valid through the last day of February, in a common and a leap year.
    (date(2027, 1, 31), 1, date(2027, 2, 28)),
    (date(2028, 1, 31), 1, date(2028, 2, 29)),
    (date(2027, 1, 29), 1, date(2027, 2, 28)),
    # 28 and 29 February.
    (date(2027, 2, 28), 1, date(2027, 3, 27)),
    (date(2028, 2, 29), 1, date(2028, 3, 28)),
    (date(2028, 2, 29), 12, date(2029, 2, 28)),
    (date(2028, 2, 29), 48, date(2032, 2, 28)),
    # 31 March + 1 month: no 31 April, valid through 30 April.
    (date(2027, 3, 31), 1, date(2027, 4, 30)),
]


@pytest.mark.parametrize(("issued", "months", "last_day"), BOUNDARIES)
def test_a_period_is_valid_through_its_last_day_and_lapsed_the_day_after(
    issued: date, months: int, last_day: date
) -> None:
    assert valid_through(issued, months) == last_day
    assert lapses_on(issued, months) == last_day + timedelta(days=1)
    assert is_valid_on(issued, months, last_day)
    assert not is_valid_on(issued, months, last_day + timedelta(days=1))
    assert not is_valid_on(issued, months, issued - timedelta(days=1))


@pytest.mark.parametrize(("issued", "months", "last_day"), BOUNDARIES)
def test_the_earliest_valid_start_agrees_with_the_rule_on_both_sides(issued: date, months: int, last_day: date) -> None:
    assert earliest_valid_start(last_day, months) <= issued
    assert earliest_valid_start(last_day + timedelta(days=1), months) > issued


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
    st.integers(min_value=1, max_value=120),
)
def test_the_earliest_valid_start_is_exactly_the_first_start_that_still_covers_the_day(day: date, months: int) -> None:
    start = earliest_valid_start(day, months)
    assert lapses_on(start, months) > day
    assert lapses_on(start - timedelta(days=1), months) <= day


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
    st.integers(min_value=0, max_value=120),
)
def test_a_later_start_never_lapses_earlier(start: date, months: int) -> None:
    assert lapses_on(start + timedelta(days=1), months) >= lapses_on(start, months)
    # And the calendar never shortens a period below N months less the missing days.
    assert (lapses_on(start, months) - start).days >= months * 28


def test_a_negative_period_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="negative"):
        lapses_on(date(2026, 1, 1), -1)


# The policy pack asks for a check within 12 months, and the fixture's SIP ends with 2028.
ENGINE_BOUNDARIES = [b for b in BOUNDARIES if b[1] <= 12 and b[2].year <= 2028]


@pytest.mark.parametrize(("issued", "months", "last_day"), ENGINE_BOUNDARIES)
def test_the_engine_accepts_a_background_check_through_its_last_day_and_refuses_it_the_day_after(
    make_person: MakePerson,
    licensed: Licensed,
    add_credential: AddCredential,
    facility: Facility,
    issued: date,
    months: int,
    last_day: date,
) -> None:
    doctor = make_person(Role.ANESTHESIOLOGIST)
    licensed(doctor)
    add_credential(doctor, CredentialKind.CONTROLLED_AUTHORISATION, issuer="Komite Medik")
    fields: dict[str, Any] = {
        "issuer": "Polres",
        "issued_on": issued,
        "check_kind": CheckKind.CRIMINAL_RECORD,
        "check_result": CheckResult.PASSED,
        "valid_months": months,
    }
    add_credential(doctor, CredentialKind.BACKGROUND_CHECK, **fields)
    last_moment = datetime.combine(last_day, time(23, 59, 59), JAKARTA)
    assert decide(doctor.pk, "prescribe_controlled", facility, at=last_moment).allowed
    lapsed = decide(doctor.pk, "prescribe_controlled", facility, at=last_moment + timedelta(seconds=1))
    assert [u.code for u in lapsed.unmet] == ["check_outdated"]
