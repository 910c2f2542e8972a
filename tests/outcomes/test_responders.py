"""Responder arithmetic against figures computed by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from nyeri.clinical.outcomes.responders import (
    LAST_WINDOW_CLOSES_DAYS,
    RECENT_DAYS,
    DayValue,
    Point,
    RecentMean,
    ResponderLevel,
    change_from_baseline,
    follow_up,
    follow_up_window,
    recent_mean,
    reduction,
    relief,
    responder_level,
    share_percent,
)

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def at(days: int, value: str) -> Point:
    return Point(T0 + timedelta(days=days), Decimal(value))


def test_a_reduction_from_8_to_4_is_half_and_substantial() -> None:
    # (8 - 4) / 8 = 0.5
    assert reduction(Decimal(8), Decimal(4)) == Decimal("0.5")
    assert responder_level(Decimal("0.5")) is ResponderLevel.SUBSTANTIAL


def test_thirty_percent_exactly_is_a_moderate_responder() -> None:
    # (10 - 7) / 10 = 0.30: the threshold counts ("at least 30 %").
    relative = reduction(Decimal(10), Decimal(7))
    assert relative == Decimal("0.3")
    assert responder_level(relative) is ResponderLevel.MODERATE


def test_just_under_thirty_percent_is_not_a_responder() -> None:
    # (7 - 5) / 7 = 0.2857...
    relative = reduction(Decimal(7), Decimal(5))
    assert relative == Decimal("0.2857")
    assert responder_level(relative) is ResponderLevel.NONE


def test_worse_pain_is_a_negative_reduction() -> None:
    # (5 - 6) / 5 = -0.2
    assert reduction(Decimal(5), Decimal(6)) == Decimal("-0.2")
    assert responder_level(Decimal("-0.2")) is ResponderLevel.NONE


def test_a_baseline_of_zero_has_no_reduction() -> None:
    assert reduction(Decimal(0), Decimal(0)) is None
    assert responder_level(None) is None


def test_change_from_baseline_compares_the_first_and_the_latest_point() -> None:
    change = change_from_baseline([at(0, "8"), at(20, "7"), at(60, "5")])
    assert change is not None
    # (8 - 5) / 8 = 0.375 → 38 %, moderate
    assert (change.baseline.value, change.latest.value) == (Decimal(8), Decimal(5))
    assert change.reduction == Decimal("0.375")
    assert change.percent == Decimal(38)
    assert change.level is ResponderLevel.MODERATE


def test_one_point_is_no_change() -> None:
    assert change_from_baseline([at(0, "8")]) is None


def test_the_value_at_three_months_is_the_mean_of_the_window_around_day_90() -> None:
    points = [
        at(0, "8"),
        at(75, "2"),  # 15 days early: outside the ±14-day window
        at(80, "5"),
        at(90, "4"),
        at(104, "3"),  # exactly 14 days late: inside
        at(105, "0"),  # outside
    ]
    three = follow_up(points, 3)
    assert three is not None
    # mean(5, 4, 3) = 4; (8 - 4) / 8 = 0.5
    assert three.value == Decimal(4)
    assert three.reduction == Decimal("0.5")
    assert three.level is ResponderLevel.SUBSTANTIAL


def test_no_value_in_the_window_is_not_assessed_rather_than_no_relief() -> None:
    six = follow_up([at(0, "8"), at(90, "4")], 6)
    assert six is not None
    assert (six.value, six.reduction, six.level) == (None, None, None)


def test_the_baseline_itself_never_counts_as_a_follow_up() -> None:
    # A baseline taken 0 days in: a 0-month "follow-up" window would only hold itself.
    only = follow_up([at(0, "8")], 0)
    assert only is not None
    assert only.value is None


@given(
    baseline=st.integers(min_value=1, max_value=10),
    value=st.integers(min_value=0, max_value=10),
)
def test_the_level_agrees_with_the_percentage(baseline: int, value: int) -> None:
    relative = reduction(Decimal(baseline), Decimal(value))
    assert relative is not None
    level = responder_level(relative)
    exact = (baseline - value) / baseline
    if exact >= 0.5:
        assert level is ResponderLevel.SUBSTANTIAL
    elif exact >= 0.3 - 1e-9:
        assert level is ResponderLevel.MODERATE
    else:
        assert level is ResponderLevel.NONE


def test_the_window_at_three_months_runs_from_day_76_to_day_104() -> None:
    low, high = follow_up_window(T0, 3)
    assert (low, high) == (T0 + timedelta(days=76), T0 + timedelta(days=104))
    # The report waits this long before a 6-month point is due: 180 + 14 days.
    assert follow_up_window(T0, 6)[1] == T0 + timedelta(days=LAST_WINDOW_CLOSES_DAYS)
    assert LAST_WINDOW_CLOSES_DAYS == 194


def test_a_share_is_a_percentage_with_one_decimal_rounded_half_up() -> None:
    assert share_percent(2, 3) == Decimal("66.7")
    assert share_percent(1, 3) == Decimal("33.3")
    assert share_percent(1, 8) == Decimal("12.5")
    assert share_percent(1, 16) == Decimal("6.3")  # 6.25 -> 6.3 (half up)
    assert share_percent(0, 4) == Decimal("0.0")


def test_a_share_of_nobody_is_none_rather_than_zero() -> None:
    assert share_percent(0, 0) is None


# The chart's relief now: the baseline against the mean of the last 7 local days of values.


def day(month: int, dom: int, value: str) -> DayValue:
    return DayValue(date(2026, month, dom), Decimal(value))


def test_the_mean_of_the_last_7_days_takes_the_days_up_to_the_latest_value_both_ends_included() -> None:
    # 14 to 20 November: 4, 5, 3, 4, 5 -> 21 / 5 = 4.2; 13 November is the eighth day back.
    values = [
        day(11, 13, "9"),
        day(11, 14, "4"),
        day(11, 16, "5"),
        day(11, 17, "3"),
        day(11, 19, "4"),
        day(11, 20, "5"),
    ]
    recent = recent_mean(values)
    assert recent == RecentMean(date(2026, 11, 14), date(2026, 11, 20), 5, Decimal("4.2"))


def test_relief_compares_the_baseline_with_the_mean_and_says_48_percent_a_moderate_responder() -> None:
    # (8 - 4.2) / 8 = 0.475 -> 48 %, at least 30 % but not 50 %.
    found = relief(
        Decimal(8), [day(11, 14, "4"), day(11, 16, "5"), day(11, 17, "3"), day(11, 19, "4"), day(11, 20, "5")]
    )
    assert found is not None
    assert (found.reduction, found.percent, found.level) == (Decimal("0.475"), Decimal(48), ResponderLevel.MODERATE)


def test_one_low_diary_entry_does_not_make_a_responder_on_its_own() -> None:
    # A week of 7 and then one entry of 2: the latest alone would be 75 % relief; the mean of
    # the week (6 x 7 + 2) / 7 = 6.29 is 21 %, no responder.
    week = [day(11, d, "7") for d in range(14, 20)] + [day(11, 20, "2")]
    found = relief(Decimal(8), week)
    assert found is not None
    assert found.recent.count == 7
    assert (found.percent, found.level) == (Decimal(21), ResponderLevel.NONE)


def test_a_patient_who_stopped_the_diary_keeps_the_status_of_their_last_week() -> None:
    found = relief(Decimal(8), [day(3, 1, "6"), day(3, 2, "2")])
    assert found is not None
    assert (found.recent.first_day, found.recent.last_day, found.recent.mean) == (
        date(2026, 2, 24),
        date(2026, 3, 2),
        Decimal(4),
    )


def test_relief_needs_a_later_value_and_a_baseline_above_zero() -> None:
    assert relief(Decimal(8), []) is None
    assert recent_mean([]) is None
    found = relief(Decimal(0), [day(1, 1, "3")])
    assert found is not None
    assert (found.reduction, found.percent, found.level) == (None, None, None)


@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=60), st.integers(min_value=0, max_value=10)),
        min_size=1,
        max_size=40,
    )
)
def test_the_recent_mean_lies_between_the_values_of_its_days_and_only_counts_those(
    raw: list[tuple[int, int]],
) -> None:
    values = [DayValue(date(2026, 1, 1) + timedelta(days=d), Decimal(v)) for d, v in raw]
    recent = recent_mean(values)
    assert recent is not None
    inside = [v.value for v in values if recent.first_day <= v.day <= recent.last_day]
    assert recent.last_day == max(v.day for v in values)
    assert (recent.last_day - recent.first_day).days == RECENT_DAYS - 1
    assert recent.count == len(inside)
    assert min(inside) <= recent.mean <= max(inside)
    # Adding a value older than the 7 days changes nothing.
    older = DayValue(recent.first_day - timedelta(days=1), Decimal(10))
    assert recent_mean([older, *values]) == recent
