"""The outcomes report's figures against a hand-computed example, its exclusions and its scope."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.assessments import services as assessments
from nyeri.clinical.outcomes.selectors import (
    FollowUpFigures,
    OutcomeFilters,
    OutcomeGroup,
    OutcomesReport,
    default_period,
    outcomes_report,
    resolve_filters,
)
from nyeri.lib.periods import listed_periods
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.conftest import MakeMember
from tests.outcomes.conftest import AS_OF, PERIOD, PERIOD_KEY, Example, Rate, at, make_patient, scope_of

JAN = date(2025, 1, 1)


def figures(group: OutcomeGroup, months: int) -> tuple[int, int, int, int, int]:
    """(not yet due, not assessed, assessed, at least 30 %, at least 50 %)."""
    f = group.at(months)
    return (f.not_yet_due, f.not_assessed, f.assessed, f.moderate, f.substantial)


def shares(group: OutcomeGroup, months: int) -> tuple[Decimal | None, Decimal | None]:
    f = group.at(months)
    return (f.moderate_percent, f.substantial_percent)


def report_for(user: User, **filters: object) -> OutcomesReport:
    scope = scope_of(user)
    checked = resolve_filters(scope, period=PERIOD_KEY, **filters)  # type: ignore[arg-type]
    return outcomes_report(scope, checked, as_of=AS_OF)


def by_key(groups: list[OutcomeGroup]) -> dict[str, OutcomeGroup]:
    return {g.key: g for g in groups}


def test_the_report_matches_the_hand_computed_example(example: Example, physician: User) -> None:
    report = report_for(physician)
    total = report.total
    # Everyone: P1, P2, P3, P4, none with a baseline of 0.
    assert (total.patients, total.baseline_zero) == (4, 0)
    # 3 months: assessed P1 (50 %), P2 (30 %), P4 (28.6 %); P3 not assessed.
    # >=30: P1, P2 = 2 of 3 = 66.7 %; >=50: P1 = 1 of 3 = 33.3 %.
    assert figures(total, 3) == (0, 1, 3, 2, 1)
    assert shares(total, 3) == (Decimal("66.7"), Decimal("33.3"))
    # 6 months: P1 25 %, P2 80 %, P3 50 %, P4 42.9 % -> >=30: 3 of 4 = 75 %; >=50: P2, P3 = 50 %.
    assert figures(total, 6) == (0, 0, 4, 3, 2)
    assert shares(total, 6) == (Decimal("75.0"), Decimal("50.0"))

    facilities = by_key(report.by_facility)
    assert list(facilities) == [str(example.b.pk), str(example.a.pk)]  # by name: "Klinik ..." < "Layanan ..."
    a, b = facilities[str(example.a.pk)], facilities[str(example.b.pk)]
    # A: P1, P2, P4. 3 months as the total without P3; 6 months: P2 (80 %), P4 (42.9 %) >=30, P2 >=50.
    assert a.patients == 3
    assert figures(a, 3) == (0, 0, 3, 2, 1)
    assert shares(a, 3) == (Decimal("66.7"), Decimal("33.3"))
    assert figures(a, 6) == (0, 0, 3, 2, 1)
    assert shares(a, 6) == (Decimal("66.7"), Decimal("33.3"))
    # B: P3 only (P2's 6-month rating at B counts under A, where P2's baseline is).
    assert b.patients == 1
    assert figures(b, 3) == (0, 1, 0, 0, 0)
    assert shares(b, 3) == (None, None)
    assert figures(b, 6) == (0, 0, 1, 1, 1)
    assert shares(b, 6) == (Decimal("100.0"), Decimal("100.0"))

    categories = by_key(report.by_category)
    assert list(categories) == ["MG30.3", "MG30.5", "none"]
    mg303, mg305, none = categories["MG30.3"], categories["MG30.5"], categories["none"]
    # MG30.3: P1, P2. 3 months: both >=30 (100 %), P1 >=50 (50 %). 6 months: P2 only, >=30 and >=50.
    assert mg303.patients == 2
    assert figures(mg303, 3) == (0, 0, 2, 2, 1)
    assert shares(mg303, 3) == (Decimal("100.0"), Decimal("50.0"))
    assert figures(mg303, 6) == (0, 0, 2, 1, 1)
    assert shares(mg303, 6) == (Decimal("50.0"), Decimal("50.0"))
    # MG30.5: P2, P3 (P2 counts in both categories). 3 months: P2 >=30 only; P3 not assessed.
    # 6 months: P2 80 %, P3 50 %: both >=30 and >=50.
    assert mg305.patients == 2
    assert figures(mg305, 3) == (0, 1, 1, 1, 0)
    assert shares(mg305, 3) == (Decimal("100.0"), Decimal("0.0"))
    assert figures(mg305, 6) == (0, 0, 2, 2, 2)
    # No category: P4 (its MG30.1 was entered in error, its MG30.2 ruled out).
    assert none.patients == 1
    assert figures(none, 3) == (0, 0, 1, 0, 0)
    assert figures(none, 6) == (0, 0, 1, 1, 0)
    assert shares(none, 6) == (Decimal("100.0"), Decimal("0.0"))
    assert none.label == "No chronic pain category"


def test_the_report_reads_a_fixed_number_of_queries(
    example: Example, physician: User, django_assert_num_queries: object
) -> None:
    scope = scope_of(physician)
    checked = resolve_filters(scope, period=PERIOD_KEY)
    with django_assert_num_queries(3):  # type: ignore[operator]
        outcomes_report(scope, checked, as_of=AS_OF)


def test_one_facility_counts_only_the_patients_whose_baseline_was_recorded_there(
    example: Example, physician: User
) -> None:
    report = report_for(physician, facility_id=example.b.pk)
    assert [g.key for g in report.by_facility] == [str(example.b.pk)]
    assert report.total.patients == 1
    assert figures(report.total, 6) == (0, 0, 1, 1, 1)
    assert [g.key for g in report.by_category] == ["MG30.5"]


def test_a_baseline_of_zero_is_counted_apart_and_enters_no_follow_up(
    org: Organization, facility: Facility, physician: User, rate: Rate
) -> None:
    patient = make_patient(org, facility, "RM-0")
    rate(patient, facility, at(JAN, 3), 0)
    rate(patient, facility, at(JAN, 93), 0)
    report = report_for(physician)
    assert (report.total.patients, report.total.baseline_zero) == (1, 1)
    assert figures(report.total, 3) == (0, 0, 0, 0, 0)
    assert figures(report.total, 6) == (0, 0, 0, 0, 0)


def test_a_window_not_yet_closed_is_not_yet_due_rather_than_not_assessed(
    org: Organization, facility: Facility, physician: User, rate: Rate
) -> None:
    patient = make_patient(org, facility, "RM-5")
    rate(patient, facility, at(date(2025, 1, 31)), 8)
    rate(patient, facility, at(date(2025, 1, 31), 90), 4)
    scope = scope_of(physician)
    checked = resolve_filters(scope, period=PERIOD_KEY)
    # On 30 May: the 3-month window (to day 104, 15 May) has closed, the 6-month one has not.
    report = outcomes_report(scope, checked, as_of=at(date(2025, 5, 30)))
    assert figures(report.total, 3) == (0, 0, 1, 1, 1)
    assert figures(report.total, 6) == (1, 0, 0, 0, 0)
    # On 16 August both have: no rating around day 180 -> not assessed.
    report = outcomes_report(scope, checked, as_of=at(date(2025, 8, 16)))
    assert figures(report.total, 6) == (0, 1, 0, 0, 0)


def test_the_window_edges_are_exact_to_the_microsecond(
    org: Organization, facility: Facility, physician: User, rate: Rate
) -> None:
    """The database narrows the rows down with a day to spare; the edges are decided by ``responders``."""
    start = at(date(2025, 1, 10)) + timedelta(microseconds=250)
    inside, outside = make_patient(org, facility, "RM-10"), make_patient(org, facility, "RM-11")
    for patient in (inside, outside):
        rate(patient, facility, start, 10)
    # 90 - 14 and 90 + 14 days exactly: inside the window; mean (2 + 4) / 2 = 3 -> 70 %.
    rate(inside, facility, start + timedelta(days=76), 2)
    rate(inside, facility, start + timedelta(days=104), 4)
    # A microsecond outside on either side: not assessed.
    rate(outside, facility, start + timedelta(days=76, microseconds=-1), 2)
    rate(outside, facility, start + timedelta(days=104, microseconds=1), 4)
    report = report_for(physician)
    assert figures(report.total, 3) == (0, 1, 1, 1, 1)


def test_entered_in_error_and_amended_ratings_never_make_a_baseline(
    org: Organization, facility: Facility, physician: User, rate: Rate
) -> None:
    scope = scope_of(physician)
    # A rating in December entered in error: the baseline is the January one (in the period).
    early = make_patient(org, facility, "RM-6")
    wrong = rate(early, facility, at(date(2024, 12, 20)), 9)
    assessments.mark_entered_in_error(scope=scope, acting_user=physician, assessment=wrong, reason="Wrong patient")
    rate(early, facility, at(date(2025, 1, 15)), 8)
    rate(early, facility, at(date(2025, 1, 15), 90), 4)
    # A baseline of 4 amended to 8: the reduction is from 8 (to 6: 25 %), not from 4.
    amended = make_patient(org, facility, "RM-7")
    first = rate(amended, facility, at(date(2025, 1, 16)), 4)
    assessments.amend_assessment(
        scope=scope, acting_user=physician, assessment=first, reason="Typed 4 for 8", answers={"intensity": 8}
    )
    rate(amended, facility, at(date(2025, 1, 16), 90), 6)
    report = report_for(physician)
    assert report.total.patients == 2
    # early: 8 -> 4 = 50 %; amended: 8 -> 6 = 25 %.
    assert figures(report.total, 3) == (0, 0, 2, 1, 1)


def test_a_patient_whose_first_rating_is_before_the_period_is_not_in_it(
    org: Organization, facility: Facility, physician: User, rate: Rate
) -> None:
    patient = make_patient(org, facility, "RM-8")
    rate(patient, facility, at(date(2024, 12, 31)), 8)
    rate(patient, facility, at(date(2025, 1, 10)), 8)
    rate(patient, facility, at(date(2024, 12, 31), 90), 2)
    assert report_for(physician).total.patients == 0
    scope = scope_of(physician)
    december = resolve_filters(scope, period="2024-12")
    assert outcomes_report(scope, december, as_of=AS_OF).total.patients == 1


def test_another_organizations_patients_are_never_counted(
    example: Example,
    other_org: Organization,
    other_facility: Facility,
    make_member: MakeMember,
    physician: User,
) -> None:
    from tests.diagnoses.conftest import licensed_staff

    stranger = licensed_staff(make_member, other_org, other_facility, Role.PAIN_PHYSICIAN, "dr_lain")
    patient = make_patient(other_org, other_facility, "RM-1")
    scope = scope_of(stranger)
    for day, value in ((0, 9), (90, 1), (180, 1)):
        assessments.record_assessment(
            scope=scope,
            acting_user=stranger,
            patient=patient,
            instrument_code="nrs",
            answers={"intensity": value},
            facility=other_facility,
            recorded_at=at(date(2025, 1, 6), day),
        )
    ours = report_for(physician)
    assert ours.total.patients == 4
    assert all(g.key != str(other_facility.pk) for g in ours.by_facility)
    theirs = report_for(stranger)
    assert theirs.total.patients == 1
    assert figures(theirs.total, 3) == (0, 0, 1, 1, 1)


def test_a_facility_limited_member_only_gets_their_facilities(
    example: Example, org: Organization, make_member: MakeMember
) -> None:
    nurse = make_member(org, Role.NURSE, username="ns_b", facilities=(example.b,))
    report = report_for(nurse)
    assert [g.key for g in report.by_facility] == [str(example.b.pk)]
    assert report.total.patients == 1  # P3: the same figures as B's row of the whole organization
    assert figures(report.total, 6) == (0, 0, 1, 1, 1)
    scope = scope_of(nurse)
    with pytest.raises(ValidationError) as refused:
        resolve_filters(scope, facility_id=example.a.pk)
    assert list(refused.value.message_dict) == ["facility"]


def test_the_compliance_officer_and_administrator_may_read_it_other_roles_may_not(
    example: Example, org: Organization, make_member: MakeMember
) -> None:
    officer = make_member(org, Role.COMPLIANCE_OFFICER, username="kepatuhan")
    admin = make_member(org, Role.ADMINISTRATOR, username="admin")
    assert report_for(officer).total.patients == 4
    assert report_for(admin).total.patients == 4
    clerk = make_member(org, Role.CREDENTIALING_OFFICER, username="kredensial")
    with pytest.raises(PermissionDenied):
        report_for(clerk)
    denied = AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED).latest("pk")
    assert (denied.actor_id, denied.object_type) == (clerk.pk, "outcomes_report")


def test_category_labels_follow_the_language(example: Example, physician: User) -> None:
    with translation.override("id"):
        report = report_for(physician)
    assert by_key(report.by_category)["MG30.5"].label == "MG30.5 Nyeri kronis neuropatik"
    with translation.override("en"):
        report = report_for(physician)
    assert by_key(report.by_category)["MG30.5"].label == "MG30.5 Chronic neuropathic pain"


# --- Filters ------------------------------------------------------------------------------------


def test_the_default_period_is_the_latest_calendar_year_that_ended_194_days_ago(physician: User) -> None:
    # 31 December 2025 + 194 days = 13 July 2026: from then on, 2025 is the default.
    assert default_period(date(2026, 11, 25)).key == "2025"
    assert default_period(date(2026, 7, 13)).key == "2025"
    assert default_period(date(2026, 7, 12)).key == "2024"
    checked = resolve_filters(scope_of(physician), today=date(2026, 11, 25))
    assert (checked.date_from, checked.date_to, checked.measure, checked.facility) == (
        date(2025, 1, 1),
        date(2025, 12, 31),
        "nrs",
        None,
    )


def test_a_period_is_a_month_a_quarter_or_a_year_of_the_calendar(physician: User) -> None:
    scope = scope_of(physician)
    for key, first, last in (
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2025-02", date(2025, 2, 1), date(2025, 2, 28)),
        ("2025-Q4", date(2025, 10, 1), date(2025, 12, 31)),
        ("2025", date(2025, 1, 1), date(2025, 12, 31)),
    ):
        checked = resolve_filters(scope, period=key)
        assert (checked.date_from, checked.date_to) == (first, last)
        assert checked.period is not None
        assert checked.period.key == key


def test_two_listed_periods_never_overlap_unless_one_holds_the_other(physician: User) -> None:
    periods = listed_periods(date(2026, 12, 7))
    assert periods[0].key == "2026"
    for one in periods:
        for other in periods:
            overlap = one.first <= other.last and other.first <= one.last
            nested = (one.first <= other.first and other.last <= one.last) or (
                other.first <= one.first and one.last <= other.last
            )
            assert nested or not overlap, (one.key, other.key)


def test_bad_filters_are_refused_naming_each_field_in_the_users_language(
    physician: User, other_facility: Facility
) -> None:
    scope = scope_of(physician)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        resolve_filters(scope, facility_id=other_facility.pk, period="2025-Q5", measure="vas")
    errors = refused.value.message_dict
    assert set(errors) == {"facility", "period", "measure"}
    assert errors["facility"] == ["Unknown facility: choose one of the facilities of your organization."]
    assert errors["period"][0].startswith("Choose a period from the list")
    assert "nrs" in errors["measure"][0]
    with translation.override("id"), pytest.raises(ValidationError) as refused:
        resolve_filters(scope, date_from=date(2025, 1, 1), date_to=date(2025, 3, 30))
    assert set(refused.value.message_dict) == {"from", "to"}
    assert refused.value.message_dict["to"][0].startswith("Pilih periode dari daftar")


def test_the_audit_description_names_the_filters_and_no_patient(example: Example, physician: User) -> None:
    filters = OutcomeFilters(date_from=PERIOD[0], date_to=PERIOD[1], facility=example.a)
    assert filters.describe() == f"baseline 2025-01-01..2025-01-31; facility {example.a.pk}; measure nrs"


def test_figures_add_up(example: Example, physician: User) -> None:
    report = report_for(physician)
    for group in report.groups():
        for f in group.follow_ups:
            assert isinstance(f, FollowUpFigures)
            assert group.baseline_zero + f.not_yet_due + f.not_assessed + f.assessed == group.patients
            assert f.substantial <= f.moderate <= f.assessed
