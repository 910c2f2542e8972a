"""The practice evaluation of one facility and that of all facilities are slices of one table
hidden as a whole: subtracting one from the other gives back no hidden count of patients
(nyeri/lib/suppression.py, docs/oppe.md "Small numbers")."""

from __future__ import annotations

from typing import Any

import pytest

from nyeri.accounts.models import User
from nyeri.clinical.models import Patient
from nyeri.evaluation.selectors import EvaluationFilters, Practitioner, practice_evaluation
from nyeri.tenancy.models import Facility
from tests.evaluation.conftest import AS_OF, PERIOD, client_of, in_period, person_of, scope_of, sign
from tests.outcomes.test_small_numbers import minimum_of_five, three_responders  # noqa: F401 - fixtures


def budi_in(officer: User, physician: User, facility: Facility | None = None) -> Practitioner:
    filters = EvaluationFilters(*PERIOD, facility=facility)
    return practice_evaluation(scope_of(officer), filters, as_of=AS_OF).practitioners[person_of(physician).pk]


@pytest.fixture
def treated_where_they_started(three_responders: None, physician: User) -> None:  # noqa: F811
    """A: 3 patients with a January baseline, B: 7; the physician prescribes for each where they started."""
    for patient in Patient.objects.filter(mrn__startswith="SN-"):
        sign(physician, patient, patient.registered_at, in_period(20))


def test_all_facilities_less_one_facility_does_not_give_back_the_other_facilitys_3_patients(
    treated_where_they_started: None, physician: User, officer: User, facility: Facility, second_facility: Facility
) -> None:
    whole = budi_in(officer, physician)
    of_a = budi_in(officer, physician, facility)
    of_b = budi_in(officer, physician, second_facility)
    assert (whole.patients, of_a.patients, of_b.patients) == (10, 3, 7)  # exact behind the pages
    assert of_a.shown_patients == "< 5"
    # B's 7 is hidden too (shown, 10 - 7 would be A's 3), or the 10: never both shown.
    assert "< 5" in (whole.shown_patients, of_b.shown_patients)
    for months in (3, 6):
        for name in ("assessed", "moderate", "substantial"):
            org_value, b_value = whole.at(months).shown[name], of_b.at(months).shown[name]
            if isinstance(org_value, int) and isinstance(b_value, int):
                assert org_value - b_value not in range(1, 5), (months, name)


def test_the_api_shows_a_facility_with_the_cells_hidden_on_the_whole_table(
    treated_where_they_started: None, physician: User, officer: User, second_facility: Facility
) -> None:
    client = client_of(officer)

    def patients(query: str) -> Any:
        body = client.get(f"/api/practice-evaluation?period=2025{query}").json()
        [row] = [p for g in body["groups"] for p in g["practitioners"] if p["person_id"] == person_of(physician).pk]
        return row["patients"]

    assert "< 5" in (patients(""), patients(f"&facility={second_facility.pk}"))


def test_a_practitioner_at_one_facility_loses_nothing_to_the_table(
    three_responders: None,  # noqa: F811
    physician: User,
    officer: User,
    second_facility: Facility,
) -> None:
    # Only B's 7 patients treated, at B: all facilities and B show the same 7, nothing to hide.
    for patient in Patient.objects.filter(mrn__startswith="SN-", registered_at=second_facility):
        sign(physician, patient, second_facility, in_period(20))
    assert budi_in(officer, physician).shown_patients == 7
    assert budi_in(officer, physician, second_facility).shown_patients == 7
