"""Small numbers hidden: counts under the minimum read "< 5" in the page, the CSV and the API,
with enough other counts hidden that none comes back by subtraction (nyeri/lib/suppression.py)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nyeri.accounts.models import User
from nyeri.clinical.outcomes.selectors import OutcomesReport, outcomes_report, resolve_filters
from nyeri.lib.suppression import Relation, cells_to_hide
from nyeri.tenancy.models import Facility, Organization
from tests.outcomes.conftest import AS_OF, PERIOD_KEY, Rate, at, client_of, make_patient, scope_of

JANUARY = "period=2025-01"


@pytest.fixture
def minimum_of_five(settings: Any) -> None:
    settings.SMALL_NUMBER_MINIMUM = 5


@pytest.fixture
def three_responders(
    minimum_of_five: None, org: Organization, facility: Facility, second_facility: Facility, rate: Rate
) -> None:
    """Facility A: 3 patients, each 8 -> 2 at 3 months (responders). Facility B: 7 patients, 8 -> 7 (not)."""
    for n, (place, follow_up) in enumerate([(facility, 2)] * 3 + [(second_facility, 7)] * 7):
        patient = make_patient(org, place, f"SN-{n}")
        baseline = at(date(2025, 1, 6 + n))
        rate(patient, place, baseline, 8)
        rate(patient, place, baseline + timedelta(days=90), follow_up)


def report_of(user: User, facility: Facility | None = None) -> OutcomesReport:
    scope = scope_of(user)
    filters = resolve_filters(scope, facility_id=facility.pk if facility else None, period=PERIOD_KEY)
    return outcomes_report(scope, filters, as_of=AS_OF)


def test_an_outcomes_report_of_a_facility_with_3_responders_shows_less_than_5(
    three_responders: None, physician: User, facility: Facility
) -> None:
    report = report_of(physician, facility)
    [row] = report.by_facility
    assert row.patients == 3  # counted as ever; only what is shown changes
    assert row.shown["patients"] == "< 5"
    three_months = row.at(3).shown
    assert (three_months["assessed"], three_months["moderate"], three_months["substantial"]) == ("< 5",) * 3
    assert three_months["moderate_percent"] is None
    assert report.total.shown["patients"] == "< 5"

    html = client_of(physician).get(f"/outcomes/?{JANUARY}&facility={facility.pk}").content.decode()
    assert "measure Numeric Rating Scale for pain, 0-10 (NRS) · Pain intensity: &lt; 5 patients." in html
    assert "<td>&lt; 5</td>" in html
    assert "100.0 %" not in html  # the share would give the hidden count away

    body = client_of(physician).get(f"/api/outcomes?{JANUARY}&facility={facility.pk}").json()
    assert body["hidden_below"] == 5
    [api_row] = body["by_facility"]
    assert api_row["patients"] == "< 5"
    assert api_row["follow_ups"][0]["moderate"] == "< 5"
    assert api_row["follow_ups"][0]["moderate_percent"] is None

    rows = list(
        csv.DictReader(io.StringIO(client_of(physician).get(f"/outcomes/export.csv?{JANUARY}").content.decode()))
    )
    a_rows = [r for r in rows if r["Code"] == facility.code]
    assert {r["Patients"] for r in a_rows} == {"< 5"}
    assert [r["Assessed"] for r in a_rows if r["Months after baseline"] == "3"] == ["< 5"]


def test_a_hidden_facility_count_cannot_be_recovered_from_the_total(
    three_responders: None, physician: User, facility: Facility, second_facility: Facility
) -> None:
    report = report_of(physician)
    a, b = (next(g for g in report.by_facility if g.key == str(f.pk)) for f in (facility, second_facility))
    # Total patients 10 is shown; A's 3 is hidden, so B's 7 is hidden as well (10 - 7 = 3).
    assert report.total.shown["patients"] == 10
    assert (a.shown["patients"], b.shown["patients"]) == ("< 5", "< 5")
    # B's row then has one hidden cell in "patients = assessed + ...": its 7 assessed is hidden too.
    assert b.at(3).shown["assessed"] == "< 5"
    # 3 responders in the whole report: hidden in the total, the facility and the category.
    assert report.total.at(3).shown["moderate"] == "< 5"
    assert report.by_category[0].at(3).shown["moderate"] == "< 5"
    # Zero names nobody: B's responders are shown.
    assert b.at(3).shown["moderate"] == 0


def test_the_page_the_csv_and_the_api_hide_the_complement_that_would_give_the_hidden_count_away(
    three_responders: None, physician: User, facility: Facility, second_facility: Facility
) -> None:
    client = client_of(physician)
    # The page: the whole organization's 10 patients, both facilities' counts hidden.
    html = client.get(f"/outcomes/?{JANUARY}").content.decode()
    assert "measure Numeric Rating Scale for pain, 0-10 (NRS) · Pain intensity: 10 patients." in html
    assert "<td>7</td>" not in html
    assert "<td>3</td>" not in html

    body = client.get(f"/api/outcomes?{JANUARY}").json()
    assert body["total"]["patients"] == 10
    assert {str(g["key"]): g["patients"] for g in body["by_facility"]} == {
        str(facility.pk): "< 5",
        str(second_facility.pk): "< 5",
    }
    b_api = next(g for g in body["by_facility"] if str(g["key"]) == str(second_facility.pk))
    assert next(f for f in b_api["follow_ups"] if f["months"] == 3)["assessed"] == "< 5"

    rows = list(csv.DictReader(io.StringIO(client.get(f"/outcomes/export.csv?{JANUARY}").content.decode())))
    by_code = {r["Code"]: r for r in rows if r["Months after baseline"] == "3"}
    assert (by_code[facility.code]["Patients"], by_code[second_facility.code]["Patients"]) == ("< 5", "< 5")
    assert by_code[second_facility.code]["Assessed"] == "< 5"
    total = next(r for r in rows if r["Breakdown"] == "total" and r["Months after baseline"] == "3")
    assert total["Patients"] == "10"
    # No count of either facility is shown as 3 or 7 (10 less the other's).
    counts = ("Patients", "Not yet due", "Not assessed", "Assessed")
    shown = {r[c] for r in rows if r["Code"] in (facility.code, second_facility.code) for c in counts}
    assert {"3", "7"}.isdisjoint(shown)


def test_the_minimum_comes_from_the_settings(three_responders: None, physician: User, settings: Any) -> None:
    settings.SMALL_NUMBER_MINIMUM = 3
    report = report_of(physician)
    assert report.total.at(3).shown["moderate"] == 3
    body = client_of(physician).get(f"/api/outcomes?{JANUARY}").json()
    assert body["hidden_below"] == 3


# --- The rule, on any table -----------------------------------------------------------------


@st.composite
def tables(draw: st.DrawFn) -> tuple[dict[tuple[int, int], int], list[Relation[tuple[int, int]]]]:
    """A table of counts with its row sums (column 0) and column sums (row 0), like a report."""
    rows, columns = draw(st.integers(1, 5)), draw(st.integers(1, 4))
    inner = {(r, c): draw(st.integers(0, 12)) for r in range(1, rows + 1) for c in range(1, columns + 1)}
    values = dict(inner)
    for r in range(1, rows + 1):
        values[(r, 0)] = sum(inner[(r, c)] for c in range(1, columns + 1))
    for c in range(0, columns + 1):
        values[(0, c)] = sum(values[(r, c)] for r in range(1, rows + 1))
    relations = [Relation((r, 0), tuple((r, c) for c in range(1, columns + 1))) for r in range(rows + 1)]
    relations += [Relation((0, c), tuple((r, c) for r in range(1, rows + 1))) for c in range(columns + 1)]
    return values, relations


@given(tables(), st.integers(1, 8))
def test_no_sum_shown_has_exactly_one_hidden_cell(
    table: tuple[dict[tuple[int, int], int], list[Relation[tuple[int, int]]]], minimum: int
) -> None:
    values, relations = table
    hidden = cells_to_hide(values, relations, minimum)
    assert {k for k, v in values.items() if 0 < v < minimum} <= hidden
    for relation in relations:
        assert sum(cell in hidden for cell in (relation.total, *relation.parts)) != 1


def test_a_jakarta_evening_baseline_in_makassar_counts_on_the_makassar_day(
    settings: Any, org: Organization, second_facility: Facility, rate: Rate, physician: User
) -> None:
    settings.SMALL_NUMBER_MINIMUM = 1
    Facility.objects.filter(pk=second_facility.pk).update(time_zone="Asia/Makassar")
    patient = make_patient(org, second_facility, "WITA-1")
    # 31 January 23:30 WITA is 22:30 WIB and 15:30 UTC: 31 January wherever one looks...
    rate(patient, second_facility, datetime(2025, 1, 31, 23, 30, tzinfo=ZoneInfo("Asia/Makassar")), 8)
    late = make_patient(org, second_facility, "WITA-2")
    # ...but 1 February 00:30 WITA is still 31 January 23:30 WIB: not in January at a WITA clinic.
    rate(late, second_facility, datetime(2025, 2, 1, 0, 30, tzinfo=ZoneInfo("Asia/Makassar")), 8)
    assert report_of(physician).total.patients == 1
