"""The chart's series: current versions only, per measure in time order, patient-reported marked,
the window selecting what is drawn while the baseline stays the first value ever."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.assessments import services
from nyeri.clinical.chart.selectors import (
    BPI_INTERFERENCE,
    ChartWindow,
    months_before,
    pain_trend,
    parse_window,
    patient_chart,
    trend_points,
)
from nyeri.clinical.models import AssessmentSource, Patient
from nyeri.clinical.outcomes.responders import BPI_SEVERITY, NRS, PEG, ResponderLevel
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from tests.chart.conftest import add, days_ago
from tests.clinical.conftest import make_patient, scope_of
from tests.conftest import MakeMember

JAKARTA = ZoneInfo("Asia/Jakarta")


def test_the_series_holds_each_measures_current_scores_oldest_first(
    clinician_scope: Scope, clinician: User, patient: Patient
) -> None:
    add(patient, clinician, "nrs", days_ago(10), total="7")
    add(patient, clinician, "nrs", days_ago(30), total="8")
    add(patient, clinician, "peg", days_ago(20), total="6.30")
    add(patient, clinician, "bpi_sf", days_ago(15), severity="5.50", interference="4.00")
    # Other instruments and scores are not trend measures.
    add(patient, clinician, "phq9", days_ago(5), total="12")
    add(patient, clinician, "nrs", days_ago(5), total="6")
    points = trend_points(clinician_scope, patient)
    assert [p.value for p in points[NRS]] == [Decimal(8), Decimal(7), Decimal(6)]
    # Each value with its score's own decimals: NRS 8, PEG 6.3, BPI 5.5.
    assert [str(p.value) for p in points[PEG]] == ["6.3"]
    assert [str(p.value) for p in points[BPI_SEVERITY]] == ["5.5"]
    assert [str(p.value) for p in points[BPI_INTERFERENCE]] == ["4.0"]


def test_amended_and_entered_in_error_versions_are_left_out(clinician_scope: Scope, patient: Patient) -> None:
    def record(value: int, days: int) -> object:
        return services.record_assessment(
            scope=clinician_scope,
            acting_user=clinician_scope.user,
            patient=patient,
            instrument_code="nrs",
            answers={"intensity": value},
            facility=patient.registered_at,
            recorded_at=days_ago(days),
        )

    record(8, 30)
    typo = record(9, 20)
    mistake = record(2, 10)
    amended = services.amend_assessment(
        scope=clinician_scope,
        acting_user=clinician_scope.user,
        assessment=typo,
        reason="typo",
        answers={"intensity": 6},
    )
    services.mark_entered_in_error(
        scope=clinician_scope, acting_user=clinician_scope.user, assessment=mistake, reason="wrong patient"
    )
    points = trend_points(clinician_scope, patient)[NRS]
    # 8 (original), 6 (the amendment replaces 9), and not the 2 entered in error.
    assert [(p.value, p.assessment_id) for p in points][1] == (Decimal(6), amended.pk)
    assert [p.value for p in points] == [Decimal(8), Decimal(6)]
    change = pain_trend(clinician_scope, patient).changes[0]
    assert (change.first.value, change.last.value) == (Decimal(8), Decimal(6))  # type: ignore[union-attr]


def test_patient_reported_values_are_marked(clinician_scope: Scope, clinician: User, patient: Patient) -> None:
    add(patient, clinician, "nrs", days_ago(3), total="7")
    add(patient, clinician, "nrs", days_ago(2), source=AssessmentSource.PATIENT, total="5")
    points = trend_points(clinician_scope, patient)[NRS]
    assert [(p.source, p.patient_reported) for p in points] == [("clinician", False), ("patient", True)]


def test_the_window_selects_what_is_drawn_but_the_baseline_is_the_first_value_ever(
    clinician_scope: Scope, clinician: User, patient: Patient
) -> None:
    add(patient, clinician, "nrs", days_ago(400), total="8")  # the baseline, more than a year ago
    add(patient, clinician, "nrs", days_ago(100), total="6")
    add(patient, clinician, "nrs", days_ago(10), total="4")
    trend = pain_trend(clinician_scope, patient, window=ChartWindow.MONTHS_3)
    nrs = trend.series[0]
    assert [p.value for p in nrs.window_points] == [Decimal(4)]
    assert len(nrs.points) == 3
    change = trend.changes[0]
    # (8 - 4) / 8 = 0.5: at least 50 % reduction, shown as -50 %.
    assert change.relief is not None
    assert change.relief.reduction == Decimal("0.5")
    assert change.level is ResponderLevel.SUBSTANTIAL
    assert change.signed_percent_text == "\u221250 %"
    everything = pain_trend(clinician_scope, patient, window=ChartWindow.ALL)
    assert everything.since is None
    assert len(everything.series[0].window_points) == 3


def test_a_single_value_or_none_gives_no_change(clinician_scope: Scope, clinician: User, patient: Patient) -> None:
    add(patient, clinician, "peg", days_ago(3), total="6.00")
    nrs, peg, bpi = pain_trend(clinician_scope, patient).changes
    assert (nrs.count, nrs.first, nrs.relief) == (0, None, None)
    assert (peg.count, peg.first is not None, peg.relief, peg.signed_percent_text) == (1, True, None, "")
    assert bpi.count == 0


def test_worse_pain_and_a_baseline_of_zero_are_shown_as_such(
    clinician_scope: Scope, clinician: User, patient: Patient
) -> None:
    add(patient, clinician, "nrs", days_ago(30), total="5")
    add(patient, clinician, "nrs", days_ago(3), total="6")
    add(patient, clinician, "peg", days_ago(30), total="0")
    add(patient, clinician, "peg", days_ago(3), total="2")
    nrs, peg, _bpi = pain_trend(clinician_scope, patient).changes
    # (5 - 6) / 5 = -0.2: pain 20 % worse, less than 30 % reduction.
    assert nrs.signed_percent_text == "+20 %"
    assert nrs.level is ResponderLevel.NONE
    # A baseline of 0 has nothing to reduce.
    assert peg.relief is not None
    assert peg.relief.reduction is None
    assert (peg.signed_percent_text, peg.level) == ("", None)


def test_a_member_limited_to_the_patients_facility_sees_the_whole_record_and_another_is_refused(
    org: Organization, facility: Facility, make_member: MakeMember, clinician: User, patient: Patient
) -> None:
    elsewhere = Facility.objects.create(
        organization=org, name="Klinik Cimahi", code="cimahi", kind=Facility.Kind.PAIN_CLINIC, regency_code="32.77"
    )
    here = make_member(org, Role.NURSE, username="lina", facilities=(facility,))
    there = make_member(org, Role.NURSE, username="tuti", facilities=(elsewhere,))
    add(patient, clinician, "nrs", days_ago(3), total="7")  # at the patient's facility
    add(patient, clinician, "nrs", days_ago(2), facility=elsewhere, total="5")  # at another facility
    chart = patient_chart(scope_of(here), patient.pk)
    # Care access (registered at the member's facility): the whole record, whatever the facility.
    assert [p.value for p in chart.trend.series[0].points] == [Decimal(7), Decimal(5)]
    with pytest.raises(PermissionDenied):
        patient_chart(scope_of(there), patient.pk)


def test_the_chart_reads_the_patient_with_one_audit_row_in_fixed_queries(
    clinician_scope: Scope, clinician: User, patient: Patient, org: Organization, facility: Facility
) -> None:
    other = make_patient(org, facility, "RM-9", "Asep")
    add(patient, clinician, "nrs", days_ago(3), total="7")
    for n in range(30):
        add(other, clinician, "nrs", days_ago(n + 1), total="5")
    before = AuditEvent.objects.count()
    patient_chart(clinician_scope, patient.pk)  # warms the audit chain's head
    with CaptureQueriesContext(connection) as few:
        chart = patient_chart(clinician_scope, patient.pk)
    with CaptureQueriesContext(connection) as many:
        patient_chart(clinician_scope, other.pk)
    assert len(few) == len(many)
    assert chart.patient == patient
    events = list(AuditEvent.objects.order_by("id")[before:])
    assert len(events) == 3  # one per chart read
    assert {(e.action, e.object_type, e.patient_id is not None, e.reason) for e in events} == {
        (AuditAction.READ, "patient", True, "chart")
    }


def test_months_before_keeps_the_local_wall_time_and_clamps_the_day() -> None:
    moment = datetime(2026, 3, 31, 9, 30, tzinfo=JAKARTA)
    assert months_before(moment, 1) == datetime(2026, 2, 28, 9, 30, tzinfo=JAKARTA)
    assert months_before(moment, 12) == datetime(2025, 3, 31, 9, 30, tzinfo=JAKARTA)
    assert months_before(datetime(2026, 1, 15, tzinfo=JAKARTA), 3) == datetime(2025, 10, 15, tzinfo=JAKARTA)


@pytest.mark.parametrize(
    ("raw", "window"),
    [("3", ChartWindow.MONTHS_3), ("all", ChartWindow.ALL), ("", ChartWindow.MONTHS_12), ("7", ChartWindow.MONTHS_12)],
)
def test_an_unknown_window_falls_back_to_twelve_months(raw: str, window: ChartWindow) -> None:
    assert parse_window(raw) is window


def test_the_data_table_lists_every_value_of_the_window_newest_first_page_by_page(
    clinician_scope: Scope, clinician: User, patient: Patient
) -> None:
    for n in range(30):
        add(patient, clinician, "nrs", days_ago(n + 1), total=str(n % 10))
    for n in range(10):
        add(patient, clinician, "bpi_sf", days_ago(3 * n + 1.5), severity="5", interference="4")
    add(patient, clinician, "nrs", days_ago(400), total="9")  # outside the 12 months
    trend = pain_trend(clinician_scope, patient)
    rows = trend.table_rows()
    expected = sorted(
        ((s.key, p) for s in trend.series for p in s.window_points),
        key=lambda row: (row[1].at, row[1].assessment_id),
        reverse=True,
    )
    assert len(rows) == len(expected) == 50
    assert [(s.key, p) for s, p in rows[0:50]] == expected
    assert [(s.key, p) for s, p in rows[20:30]] == expected[20:30]
    assert (rows[-1][0].key, rows[-1][1]) == expected[-1]
    assert rows[0][1].at > rows[1][1].at
