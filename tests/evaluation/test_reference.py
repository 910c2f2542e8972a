"""The practice evaluation's set-based queries against a straightforward reference computation.

The selector reads each source in one grouped query and narrows the cohort's values down in
SQL (nyeri/evaluation/selectors.py, nyeri/clinical/outcomes/selectors.py). Here the same
figures are computed the slow and obvious way, row by row from the ORM, on small random data
sets (hypothesis): every procedure, prescription and rating, the outcomes rules applied to a
patient's whole series. The two must agree on every practitioner and figure.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nyeri.accounts.models import User
from nyeri.clinical.models import AssessmentScore, PainAssessment, Patient
from nyeri.clinical.outcomes.responders import FOLLOW_UP_MONTHS, Point, ResponderLevel
from nyeri.clinical.outcomes.selectors import patient_outcomes
from nyeri.evaluation.selectors import EvaluationFilters, practice_evaluation
from nyeri.prescriptions.models import Prescription
from nyeri.procedures.models import ProcedurePerformance
from nyeri.tenancy.clock import local_date, period_bounds
from nyeri.tenancy.models import Facility, Organization
from tests.evaluation.conftest import AS_OF, PERIOD, in_period, perform, person_of, scope_of, sign
from tests.outcomes.conftest import make_patient

JUSTIFY_AT = Decimal(90)


@dataclass(frozen=True)
class Procedure:
    performer: int
    patient: int
    day: float
    place: int
    complication: bool
    amended_with_complication: bool
    entered_in_error: bool


@dataclass(frozen=True)
class Signed:
    prescriber: int
    patient: int
    day: float
    place: int
    mme: int | None
    justified: bool


@dataclass(frozen=True)
class Rating:
    patient: int
    day: float
    place: int
    value: int
    entered_in_error: bool


PATIENTS = 4
# Care from a week before the period (January 2025) to two weeks after it.
DAYS = st.floats(min_value=-7, max_value=45, allow_nan=False).map(lambda d: round(d, 3))
procedures = st.builds(
    Procedure,
    performer=st.integers(0, 1),
    patient=st.integers(0, PATIENTS - 1),
    day=DAYS,
    place=st.integers(0, 1),
    complication=st.booleans(),
    amended_with_complication=st.booleans(),
    entered_in_error=st.booleans(),
)
prescriptions = st.builds(
    Signed,
    prescriber=st.integers(0, 1),
    patient=st.integers(0, PATIENTS - 1),
    day=DAYS,
    place=st.integers(0, 1),
    mme=st.sampled_from([None, 30, 89, 90, 120]),
    justified=st.booleans(),
)
# Ratings from before the period to past the last 6-month window of a January baseline.
ratings = st.builds(
    Rating,
    patient=st.integers(0, PATIENTS - 1),
    day=st.floats(min_value=-10, max_value=240, allow_nan=False).map(lambda d: round(d, 3)),
    place=st.integers(0, 1),
    value=st.integers(0, 10),
    entered_in_error=st.sampled_from([False, False, False, True]),
)


def _rate(org: Organization, user: User, patient: Patient, facility: Facility, rating: Rating) -> None:
    """An NRS rating written as the benchmark writes it (the service has its own tests)."""
    when = in_period(0) + timedelta(days=rating.day)
    error = rating.entered_in_error
    assessment = PainAssessment.objects.create(
        organization=org,
        patient=patient,
        facility=facility,
        instrument_code="nrs",
        instrument_version="2026.11-1",
        recorded_at=when,
        recorded_by=user,
        source="clinician",
        status="entered_in_error" if error else "current",
        entered_in_error_by=user if error else None,
        entered_in_error_at=when + timedelta(hours=1) if error else None,
        entered_in_error_reason="Wrong patient" if error else "",
    )
    AssessmentScore.objects.create(
        organization=org, assessment=assessment, score_code="total", value=Decimal(rating.value)
    )


def _reference(org: Organization, places: list[Facility], as_of: datetime) -> dict[int, dict[str, Any]]:
    """Every figure per practitioner (person id), computed row by row."""
    start, end = period_bounds(None, *PERIOD)
    end = min(end, as_of)
    place_ids = {f.pk for f in places}
    figures: dict[int, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    cared: set[tuple[int, int]] = set()
    for performance in ProcedurePerformance.objects.filter(organization=org).select_related("record"):
        if ProcedurePerformance.objects.filter(amends=performance).exists():
            continue  # not the current version
        if performance.record.status == "entered_in_error" or performance.record.facility_id not in place_ids:
            continue
        if not start <= performance.performed_at < end:
            continue
        f = figures[performance.performer_id]
        f["procedures"] += 1
        f["complicated"] += performance.complications.exists()
        cared.add((performance.performer_id, performance.record.patient_id))
    for rx in Prescription.objects.filter(organization=org, prescriber__isnull=False):
        if rx.signed_at is None or not start <= rx.signed_at < end or rx.facility_id not in place_ids:
            continue
        f = figures[rx.prescriber_id]
        f["prescriptions"] += 1
        f["opioid_prescriptions"] += rx.mme_per_day is not None
        high = rx.mme_total_per_day is not None and rx.mme_total_per_day >= JUSTIFY_AT
        f["high_mme"] += high
        f["high_mme_unjustified"] += high and rx.justification == ""
        cared.add((rx.prescriber_id, rx.patient_id))
    # The outcomes cohort: each patient's whole series of current NRS ratings, first one the baseline.
    verdicts: dict[int, Any] = {}
    series: dict[int, list[PainAssessment]] = defaultdict(list)
    rows = PainAssessment.objects.filter(
        organization=org, status="current", instrument_code="nrs", recorded_at__lte=as_of
    ).order_by("recorded_at", "id")
    for assessment in rows:
        series[assessment.patient_id].append(assessment)
    for patient_id, assessments in series.items():
        first = assessments[0]
        place = next((f for f in places if f.pk == first.facility_id), None)
        if place is None or not PERIOD[0] <= local_date(place, first.recorded_at) <= PERIOD[1]:
            continue
        points = [Point(a.recorded_at, a.scores.get(score_code="total").value) for a in assessments]
        verdicts[patient_id] = patient_outcomes(points, as_of)
    for person, patient in cared:
        if patient not in verdicts:
            continue
        f = figures[person]
        f["patients"] += 1
        for months, outcome in zip(FOLLOW_UP_MONTHS, verdicts[patient] or (None,) * len(FOLLOW_UP_MONTHS), strict=True):
            if isinstance(outcome, ResponderLevel):
                f[f"assessed_{months}"] += 1
                f[f"moderate_{months}"] += outcome >= ResponderLevel.MODERATE
                f[f"substantial_{months}"] += outcome >= ResponderLevel.SUBSTANTIAL
    return figures


NAMES = ("procedures", "complicated", "prescriptions", "opioid_prescriptions", "high_mme", "high_mme_unjustified")


@pytest.mark.django_db
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    done=st.lists(procedures, max_size=8),
    signed=st.lists(prescriptions, max_size=10),
    rated=st.lists(ratings, min_size=1, max_size=30),
)
def test_the_evaluation_agrees_with_a_row_by_row_reference_on_random_care(
    org: Organization,
    facility: Facility,
    second_facility: Facility,
    physician: User,
    colleague: User,
    officer: User,
    done: list[Procedure],
    signed: list[Signed],
    rated: list[Rating],
) -> None:
    places = [facility, second_facility]
    users = [physician, colleague]
    with transaction.atomic():
        patients = [make_patient(org, facility, f"RM-H{n}") for n in range(PATIENTS)]
        for r in rated:
            _rate(org, physician, patients[r.patient], places[r.place], r)
        for p in done:
            perform(
                users[p.performer],
                patients[p.patient],
                places[p.place],
                in_period(0) + timedelta(days=p.day),
                complication=p.complication,
                amended_with_complication=p.amended_with_complication,
                entered_in_error=p.entered_in_error,
            )
        for s in signed:
            sign(
                users[s.prescriber],
                patients[s.patient],
                places[s.place],
                in_period(0) + timedelta(days=s.day),
                mme=s.mme,
                justification="Cancer pain" if s.justified else "",
            )
        expected = _reference(org, places, AS_OF)
        found = practice_evaluation(scope_of(officer), EvaluationFilters(*PERIOD), as_of=AS_OF).practitioners
        for user in users:
            person = person_of(user).pk
            p, want = found[person], expected[person]
            got: dict[str, int] = {name: getattr(p, name) for name in NAMES}
            got["patients"] = p.patients
            for relief in p.relief:
                for name in ("assessed", "moderate", "substantial"):
                    got[f"{name}_{relief.months}"] = getattr(relief, name)
            assert got == {name: want[name] for name in got}, user.username
        transaction.set_rollback(True)
