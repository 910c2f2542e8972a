"""Small numbers hidden across requests: the organization-wide report and each facility's report
are slices of one table hidden as a whole, so no two of them can be subtracted to give back a
hidden count (docs/outcomes.md, "Small numbers")."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nyeri.accounts.models import User
from nyeri.clinical.outcomes.responders import FOLLOW_UP_MONTHS, ResponderLevel
from nyeri.clinical.outcomes.selectors import (
    FOLLOW_UP_COUNTS,
    GROUP_COUNTS,
    PATIENT_PARTS,
    Outcome,
    OutcomeFilters,
    OutcomeGroup,
    PatientOutcome,
    ScopeTable,
    suppress_small_numbers,
    table_report,
)
from nyeri.lib.suppression import hidden_text
from nyeri.tenancy.models import Facility, Organization
from tests.outcomes.conftest import Rate, at, client_of, make_patient
from tests.outcomes.test_small_numbers import JANUARY, minimum_of_five, report_of, three_responders  # noqa: F401

AS_OF = datetime(2025, 9, 30, 12, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


def test_the_organization_report_and_a_facility_report_cannot_be_subtracted_to_give_3(
    three_responders: None,  # noqa: F811
    physician: User,
    facility: Facility,
    second_facility: Facility,
) -> None:
    # A has 3 patients, B 7: the organization's 10 is shown, so B's 7 is hidden there...
    whole = report_of(physician)
    assert whole.total.shown["patients"] == 10
    # ...and B's own report hides it as well (it showed 7 before: 10 - 7 = 3).
    of_b = report_of(physician, second_facility)
    assert of_b.total.shown["patients"] == "< 5"
    assert of_b.by_facility[0].shown["patients"] == "< 5"
    assert of_b.total.at(3).shown["assessed"] == "< 5"
    # Nothing B's report shows subtracts from the organization's figures to give A's 3.
    for months in FOLLOW_UP_MONTHS:
        for name in ("not_yet_due", "not_assessed", "assessed"):
            org_value, b_value = whole.total.at(months).shown[name], of_b.total.at(months).shown[name]
            if isinstance(org_value, int) and isinstance(b_value, int):
                assert org_value - b_value not in range(1, 5)

    client = client_of(physician)
    body = client.get(f"/api/outcomes?{JANUARY}&facility={second_facility.pk}").json()
    assert body["total"]["patients"] == "< 5"
    assert body["by_facility"][0]["patients"] == "< 5"
    html = client.get(f"/outcomes/?{JANUARY}&facility={second_facility.pk}").content.decode()
    assert "<td>7</td>" not in html
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"/outcomes/export.csv?{JANUARY}&facility={second_facility.pk}").content.decode())
        )
    )
    assert {r["Patients"] for r in rows} == {"< 5"}


# --- Any organization: every report a user may ask for, against an attacker with all of them ------

OUTCOMES: list[Outcome | None] = [
    None,  # a baseline of 0
    "not_yet_due",
    "not_assessed",
    ResponderLevel.NONE,
    ResponderLevel.MODERATE,
    ResponderLevel.SUBSTANTIAL,
]


@st.composite
def organizations(draw: st.DrawFn) -> tuple[list[Facility], list[PatientOutcome], dict[int, list[str]]]:
    """2 to 4 facilities of 0 to 9 patients, each with one chronic pain category of two."""
    facilities = [
        Facility(pk=n, code=f"F{n}", name=f"Facility {n}", is_active=True)
        for n in range(1, draw(st.integers(2, 4)) + 1)
    ]
    patients: list[PatientOutcome] = []
    categories: dict[int, list[str]] = {}
    for place in facilities:
        for _ in range(draw(st.integers(0, 9))):
            patient_id = len(patients) + 1
            first = draw(st.sampled_from(OUTCOMES))
            if first is None:
                outcomes = None
            else:
                later = draw(st.sampled_from(OUTCOMES[1:]))
                outcomes = (first, later) if first != "not_yet_due" else (first, "not_yet_due")
            patients.append((patient_id, place.pk, outcomes))
            categories[patient_id] = [draw(st.sampled_from(["MG30.0", "MG30.3"]))]
    return facilities, patients, categories


Cell = tuple[str, int, str]


def published(table: ScopeTable, facilities: list[Facility]) -> dict[Cell, int | str]:
    """Every count the organization-wide report and each facility's report show, by the row it
    is of (a facility's report shows its row as its total, its categories as "F1:MG30.0")."""
    shown: dict[Cell, int | str] = {}

    def add(row: str, group: OutcomeGroup) -> None:
        for name, value in group.shown.items():
            assert shown.setdefault((row, 0, name), value) == value, "two reports show one count differently"
        for figures in group.follow_ups:
            values = figures.shown
            for name in FOLLOW_UP_COUNTS:
                assert shown.setdefault((row, figures.months, name), values[name]) == values[name]

    whole = table_report(table, OutcomeFilters(date(2025, 1, 1), date(2025, 1, 31)), AS_OF)
    add("total", whole.total)
    for group in whole.by_facility:
        add(f"F{group.key}", group)
    for group in whole.by_category:
        add(group.key, group)
    for place in facilities:
        one = table_report(table, OutcomeFilters(date(2025, 1, 1), date(2025, 1, 31), facility=place), AS_OF)
        add(f"F{place.pk}", one.total)
        for group in one.by_category:
            add(f"F{place.pk}:{group.key}", group)
    return shown


def true_sums(facilities: list[Facility]) -> list[tuple[Cell, list[Cell]]]:
    """The sums that hold in these organizations (one category per patient): what an attacker knows."""
    rows = ["total", "MG30.0", "MG30.3"] + [f"F{f.pk}{c}" for f in facilities for c in ("", ":MG30.0", ":MG30.3")]
    sums: list[tuple[Cell, list[Cell]]] = []
    for row in rows:
        for months in FOLLOW_UP_MONTHS:
            sums.append(((row, 0, "patients"), [(row, 0, "baseline_zero")] + [(row, months, n) for n in PATIENT_PARTS]))
    counts = [(0, name) for name in GROUP_COUNTS] + [(m, n) for m in FOLLOW_UP_MONTHS for n in FOLLOW_UP_COUNTS]
    for months, name in counts:
        for category in ("", ":MG30.0", ":MG30.3"):
            whole = f"total{category}".replace("total:", "")
            sums.append(((whole, months, name), [(f"F{f.pk}{category}", months, name) for f in facilities]))
        sums.append((("total", months, name), [("MG30.0", months, name), ("MG30.3", months, name)]))
        for f in facilities:
            sums.append(
                ((f"F{f.pk}", months, name), [(f"F{f.pk}:MG30.0", months, name), (f"F{f.pk}:MG30.3", months, name)])
            )
    return sums


def derivable_by_elimination(shown: dict[Cell, int | str], sums: list[tuple[Cell, list[Cell]]]) -> set[Cell]:
    """The hidden cells some combination of the sums gives back (exact rational elimination)."""
    unknowns = sorted({c for c, v in shown.items() if v == hidden_text()})
    index = {c: n for n, c in enumerate(unknowns)}
    matrix: list[list[Fraction]] = []
    for total, parts in sums:
        # A row no report shows (a category nobody has there) is known: 0.
        row = [Fraction(0)] * len(unknowns)
        for cell, sign in ((total, 1), *((p, -1) for p in parts)):
            if cell in index:
                row[index[cell]] += sign
        if any(row):
            matrix.append(row)
    # Reduced row echelon form.
    pivot_rows: list[tuple[int, list[Fraction]]] = []
    rank = 0
    for col in range(len(unknowns)):
        found = next((r for r in range(rank, len(matrix)) if matrix[r][col] != 0), None)
        if found is None:
            continue
        matrix[rank], matrix[found] = matrix[found], matrix[rank]
        pivot = matrix[rank][col]
        matrix[rank] = [v / pivot for v in matrix[rank]]
        for r in range(len(matrix)):
            if r != rank and matrix[r][col] != 0:
                factor = matrix[r][col]
                matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[rank], strict=True)]
        pivot_rows.append((col, matrix[rank]))
        rank += 1
    reduced = matrix[:rank]
    return {
        unknowns[col]
        for col, row in zip((c for c, _ in pivot_rows), reduced, strict=True)
        if sum(v != 0 for v in row) == 1
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(organizations(), st.integers(2, 6))
def test_no_hidden_count_is_derivable_from_the_organization_and_facility_reports(
    organization: tuple[list[Facility], list[PatientOutcome], dict[int, list[str]]], minimum: int
) -> None:
    facilities, patients, categories = organization
    table = ScopeTable.count(facilities, patients, categories)
    suppress_small_numbers(table, minimum)
    true = {(row, 0, name): getattr(g, name) for row, g in _named_rows(table) for name in GROUP_COUNTS}
    true |= {
        (row, f.months, name): getattr(f, name)
        for row, g in _named_rows(table)
        for f in g.follow_ups
        for name in FOLLOW_UP_COUNTS
    }
    shown = published(table, facilities)
    # Small counts are hidden; what is shown is true.
    for cell, value in shown.items():
        if 0 < true[cell] < minimum:
            assert value == hidden_text(), cell
        elif value != hidden_text():
            assert value == true[cell]
    # No hidden count under the minimum comes back from the shown ones and the sums.
    sums = true_sums(facilities)
    leaked = {c for c in derivable_by_elimination(shown, sums) if 0 < true[c] < minimum}
    assert not leaked
    # Nor from the bounds: the hidden facilities of a shown total hold at least the minimum
    # together, and not exactly 1 or exactly minimum - 1 patients each.
    for months, name in [(0, "patients")] + [(m, n) for m in FOLLOW_UP_MONTHS for n in PATIENT_PARTS]:
        total = shown[("total", months, name)]
        hidden = [
            true[(f"F{f.pk}", months, name)] for f in facilities if shown[(f"F{f.pk}", months, name)] == hidden_text()
        ]
        if hidden and total != hidden_text():
            together = sum(hidden)
            assert together >= minimum
            assert together != len(hidden)
            if all(v < minimum for v in hidden):
                assert together != len(hidden) * (minimum - 1)


def _named_rows(table: ScopeTable) -> list[tuple[str, OutcomeGroup]]:
    rows: list[tuple[str, OutcomeGroup]] = [("total", table.total)]
    rows += list(table.by_category.items())
    for key, group in table.by_facility.items():
        rows.append((f"F{key}", group))
        rows += [(f"F{key}:{code}", sub) for code, sub in table.facility_categories[key].items()]
    return rows


# --- Overlapping periods: a quarter and its months are one table ---------------------------------


def test_a_quarter_less_two_of_its_months_does_not_give_back_the_third(
    minimum_of_five: None,  # noqa: F811
    org: Organization,
    facility: Facility,
    physician: User,
    rate: Rate,
) -> None:
    # January 3 patients, February 7, March 6: Q1 shows 16, January hides its 3...
    for month, count in ((1, 3), (2, 7), (3, 6)):
        for n in range(count):
            patient = make_patient(org, facility, f"P-{month}-{n}")
            rate(patient, facility, at(date(2025, month, 2 + n)), 8)
    client = client_of(physician)

    def patients(period: str) -> int | str:
        body = client.get(f"/api/outcomes?period={period}").json()
        return body["total"]["patients"]

    quarter, january, february, march = (patients(p) for p in ("2025-Q1", "2025-01", "2025-02", "2025-03"))
    assert quarter == 16
    assert january == "< 5"
    # ...and so does one more month, or Q1 - February - March would be January's 3.
    assert [february, march].count("< 5") >= 1
    shown_months = [m for m in (february, march) if isinstance(m, int)]
    assert quarter - sum(shown_months) >= 5  # what the hidden months hold together names nobody
    # The year is the sum of its quarters: the same holds one level up.
    assert patients("2025") == 16
    assert patients("2025-Q2") == 0


def test_a_period_cut_a_day_short_is_refused_rather_than_subtracted(physician: User) -> None:
    response = client_of(physician).get("/api/outcomes?from=2025-01-01&to=2025-03-30")
    assert response.status_code == 422
    assert {f["field"] for f in response.json()["error"]["fields"]} == {"from", "to"}
