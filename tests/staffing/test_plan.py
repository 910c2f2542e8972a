"""The staffing plan: the arithmetic against a hand-computed example, changes of equipment, the preview, scoping."""

# ruff: noqa: RUF001 - the explanations use the multiplication sign, as people write it

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.facilities import services
from nyeri.facilities.models import Equipment, EquipmentStatusChange, FacilityProfile
from nyeri.staffing.evaluate import Balance, Plan
from nyeri.staffing.selectors import Proposal, access_plan_facility, preview_plan, staffing_plan
from nyeri.staffing.services import save_staffing_rule
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from nyeri.workforce.models import Person
from tests.facilities.conftest import MakeStaff, describe, scope_of, unit


def plan_of(user: User, facility: Facility) -> Plan:
    return staffing_plan(scope_of(user), facility).plan


def numbers(plan: Plan) -> dict[str, tuple[str, str, str]]:
    return {r.role: (str(r.required), str(r.current), str(r.gap)) for r in plan.roles}


def rule_text(plan: Plan, role: str, code: str) -> str:
    line = plan.role(role)
    assert line is not None
    return next(c.text("en") for c in line.contributions if c.code == code)


# --- The arithmetic ---------------------------------------------------------------------------


def test_the_plan_matches_the_hand_computed_example(
    officer: User, facility: Facility, clinic: dict[str, Person]
) -> None:
    plan = plan_of(officer, facility)
    # Open 44 h a week: one post staffed all opening hours is 44 / 40 = 1.1 FTE.
    assert plan.inputs.opening_hours_per_week == Decimal(44)
    assert numbers(plan) == {
        # 120 visits / 100 = 1.2 (the minimum of 1 does not bind); dr. Andi works at 2 facilities: 0.5.
        "pain_physician": ("1.20", "0.50", "0.70"),
        # 2 sedation room-days x 0.2 = 0.4, below the minimum of 0.5 that applies with sedation.
        "anesthesiologist": ("0.50", "1.00", "-0.50"),
        # 120 / 60 = 2; 1 procedure room x 1 x 1.1 = 1.1; 2 beds x 0.25 x 1.1 = 0.55: 3.65.
        # The nurse whose permit expired does not count.
        "nurse": ("3.65", "1.00", "2.65"),
        # 1 procedure room x 0.5 x 1.1 = 0.55.
        "nurse_assistant": ("0.55", "0.00", "0.55"),
        # 120 / 150 = 0.8.
        "medical_assistant": ("0.80", "0.00", "0.80"),
        # C-arm 1 x 1 x 1.1 = 1.1; ultrasound 2 x 0.5 x 1.1 = 1.1; no CT, no MRI.
        "radiographer": ("2.20", "1.00", "1.20"),
        # The X-ray unit is under maintenance: 0.
        "xray_assistant": ("0.00", "0.00", "0.00"),
        # The minimum of 1.
        "pharmacist": ("1.00", "0.00", "1.00"),
    }
    assert plan.total_gap == Decimal("6.90")
    assert [r.role for r in plan.surpluses] == ["anesthesiologist"]


def test_each_gap_names_the_rules_that_produced_it(
    officer: User, facility: Facility, clinic: dict[str, Person]
) -> None:
    plan = plan_of(officer, facility)
    nurse = plan.role("nurse")
    assert nurse is not None
    assert nurse.balance == Balance.GAP
    assert [c.code for c in nurse.producing] == [
        "nurse_per_visits",
        "nurse_per_procedure_room",
        "nurse_per_recovery_beds",
    ]
    assert nurse.summary("en") == "Required 3.65 FTE, current 1 FTE: a gap of 2.65 FTE."
    assert rule_text(plan, "nurse", "nurse_per_visits") == (
        "1 nurse per 60 planned visits a week: Planned visits per week: 120 ÷ 60 × 1 FTE = 2 FTE."
    )
    assert rule_text(plan, "nurse", "nurse_per_recovery_beds") == (
        "1 nurse on duty per 4 recovery beds, every shift: Recovery beds: 2 × 0.25 FTE on duty for 44 opening hours "
        "a week (40 hours = 1 FTE) = 0.55 FTE."
    )
    anesthesiologist = plan.role("anesthesiologist")
    assert anesthesiologist is not None
    assert [c.code for c in anesthesiologist.producing] == ["anesthesiologist_minimum_with_sedation"]
    assert "this minimum sets the requirement (others give 0.4 FTE)" in rule_text(
        plan, "anesthesiologist", "anesthesiologist_minimum_with_sedation"
    )
    # Both languages: the rule's own words come from the data file.
    assert nurse.contributions[0].label("id") == "1 perawat per 60 kunjungan terencana per minggu"


def test_people_with_unmet_requirements_do_not_count_and_the_plan_says_why(
    officer: User, facility: Facility, clinic: dict[str, Person]
) -> None:
    nurse = plan_of(officer, facility).role("nurse")
    assert nurse is not None
    lapsed = next(m for m in nurse.staff if m.person_id == clinic["lapsed_nurse"].pk)
    assert not lapsed.counted
    assert [u.code for u in lapsed.unmet] == ["credential_expired"]
    assert lapsed.note("en").startswith("Not counted: The practice permit (SIP) expired on ")
    physician = plan_of(officer, facility).role("pain_physician")
    assert physician is not None
    [andi] = physician.staff
    assert andi.note("en") == "Counts 0.5 FTE here: works at 2 facilities."


def test_a_rule_that_does_not_apply_says_why(
    admin_scope: Scope, admin: User, officer: User, facility: Facility, clinic: dict[str, Person]
) -> None:
    describe(admin_scope, admin, facility, planned_visits_per_week=120, sedation_room_days_per_week=0)
    plan = plan_of(officer, facility)
    assert rule_text(plan, "anesthesiologist", "anesthesiologist_minimum_with_sedation").endswith(
        "Does not apply here: Procedure-room days with sedation per week is 0, less than 1."
    )
    assert numbers(plan)["anesthesiologist"] == ("0.00", "1.00", "-1.00")


# --- Done when: changing equipment changes the plan, and the explanation says why -----------------


def test_changing_a_facilitys_equipment_changes_its_staffing_plan_and_the_explanation_says_why(
    admin_scope: Scope, admin: User, officer: User, facility: Facility, clinic: dict[str, Person]
) -> None:
    before = plan_of(officer, facility)
    assert numbers(before)["radiographer"] == ("2.20", "1.00", "1.20")
    assert "C-arm fluoroscopy in service: 1 × 1 FTE" in rule_text(before, "radiographer", "radiographer_per_c_arm")

    c_arm = Equipment.objects.get(facility=facility, kind="c_arm")
    services.change_equipment_status(
        scope=admin_scope, acting_user=admin, equipment=c_arm, status="under_maintenance", reason="Image intensifier"
    )
    during = plan_of(officer, facility)
    assert numbers(during)["radiographer"] == ("1.10", "1.00", "0.10")
    assert rule_text(during, "radiographer", "radiographer_per_c_arm") == (
        "1 radiographer on duty per C-arm in service, every shift: C-arm fluoroscopy in service: "
        "0 (1 under maintenance) × 1 FTE on duty for 44 opening hours a week (40 hours = 1 FTE) = 0 FTE."
    )

    unit(admin_scope, admin, facility, "ultrasound", serial_number="U-3")
    after = plan_of(officer, facility)
    assert numbers(after)["radiographer"] == ("1.65", "1.00", "0.65")
    assert "Ultrasound unit in service: 3 × 0.5 FTE" in rule_text(after, "radiographer", "radiographer_per_ultrasound")
    assert "= 1.65 FTE." in rule_text(after, "radiographer", "radiographer_per_ultrasound")
    # Nothing else moved: only the equipment rules explain the change.
    assert {k: v for k, v in numbers(after).items() if k != "radiographer"} == {
        k: v for k, v in numbers(before).items() if k != "radiographer"
    }


# --- The preview ---------------------------------------------------------------------------------


def test_the_preview_shows_the_effect_of_a_change_side_by_side(
    officer: User, facility: Facility, clinic: dict[str, Person]
) -> None:
    result = preview_plan(
        scope_of(officer),
        facility,
        Proposal({"ultrasound": 1}, {"procedure_rooms": 2, "sedation_room_days_per_week": 2}),
    )
    changed = {c.role: (str(c.before.required), str(c.after.required)) for c in result.changed_roles}
    assert changed == {
        "nurse": ("3.65", "4.75"),
        "nurse_assistant": ("0.55", "1.10"),
        "radiographer": ("2.20", "2.75"),
    }
    radiographer = next(c for c in result.roles if c.role == "radiographer")
    [(was, will)] = radiographer.changed_rules
    assert will.code == "radiographer_per_ultrasound"
    assert "Ultrasound unit in service: 2 × 0.5" in was.explanation("en")
    assert "Ultrasound unit in service: 3 × 0.5" in will.explanation("en")
    assert result.changes == ("Add 1 unit: Ultrasound unit", "Procedure rooms: 1 → 2")


def test_the_preview_shows_the_services_a_change_would_gain_or_lose(
    officer: User, facility: Facility, clinic: dict[str, Person]
) -> None:
    result = preview_plan(scope_of(officer), facility, Proposal({"c_arm": -1}, {}))
    lost = {s.code for s in result.changed_services if s.before and not s.after}
    assert "fluoroscopy_guided_spine" in lost
    assert numbers(result.after)["radiographer"] == ("1.10", "1.00", "0.10")


def test_the_preview_writes_nothing(officer: User, facility: Facility, clinic: dict[str, Person]) -> None:
    audit_rows = AuditEvent.objects.count()
    history_rows = EquipmentStatusChange.objects.count()
    with CaptureQueriesContext(connection) as queries:
        preview_plan(
            scope_of(officer), facility, Proposal({"ultrasound": 2, "ct": 1}, {"planned_visits_per_week": 400})
        )
    writes = [q["sql"] for q in queries if q["sql"].lstrip().split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]
    assert writes == []
    assert AuditEvent.objects.count() == audit_rows
    assert EquipmentStatusChange.objects.count() == history_rows
    assert Equipment.objects.filter(facility=facility).count() == 4
    assert FacilityProfile.objects.get(facility=facility).planned_visits_per_week == 120


def test_a_bad_proposal_is_refused_per_field(officer: User, facility: Facility, clinic: dict[str, Person]) -> None:
    with pytest.raises(ValidationError) as refused:
        preview_plan(
            scope_of(officer), facility, Proposal({"c_arm": -2}, {"procedure_rooms": -1, "planned_visits_per_week": -5})
        )
    errors = refused.value.message_dict
    assert set(errors) == {"add_c_arm", "procedure_rooms", "planned_visits_per_week"}
    assert errors["add_c_arm"] == ["Only 1 in service: at most 1 can be taken out of service."]


# --- Rules of the organization change the plan ----------------------------------------------------


def test_an_organization_rule_replaces_the_jurisdictions_and_the_plan_says_whose_rule_it_is(
    admin_scope: Scope, admin: User, officer: User, facility: Facility, clinic: dict[str, Person]
) -> None:
    save_staffing_rule(
        scope=admin_scope,
        acting_user=admin,
        code="nurse_per_visits",
        reason="Our nurses also run the phone follow-ups",
        role="nurse",
        kind="per_volume",
        measure="planned_visits_per_week",
        amount="1",
        per="40",
        label_en="1 nurse per 40 planned visits a week",
        label_id="1 perawat per 40 kunjungan terencana per minggu",
    )
    plan = plan_of(officer, facility)
    nurse = plan.role("nurse")
    assert nurse is not None
    assert str(nurse.required) == "4.65"  # 120 / 40 = 3, + 1.1 + 0.55
    rule = next(c for c in nurse.contributions if c.code == "nurse_per_visits")
    assert (rule.effective.origin, rule.text("en")) == (
        "organization",
        "1 nurse per 40 planned visits a week: Planned visits per week: 120 ÷ 40 × 1 FTE = 3 FTE.",
    )
    assert plan.rules_label == "ID@2026.11-1 + 1 of the organization"


# --- Access, scoping, queries -------------------------------------------------------------------


def test_a_nurse_may_not_read_the_plan_and_the_refusal_is_audited(member_nurse: User, facility: Facility) -> None:
    with pytest.raises(PermissionDenied):
        access_plan_facility(scope_of(member_nurse), facility.pk)
    event = AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED).latest("pk")
    assert (event.actor_id, event.object_type) == (member_nurse.pk, "staffing_plan")


def test_another_organizations_facility_has_no_plan(other_admin: User, facility: Facility) -> None:
    with pytest.raises(Http404):
        access_plan_facility(scope_of(other_admin), facility.pk)


def test_reading_the_plan_is_audited_as_a_search_of_people(
    officer: User, facility: Facility, clinic: dict[str, Person]
) -> None:
    plan_of(officer, facility)
    event = AuditEvent.objects.filter(action=AuditAction.SEARCH).latest("pk")
    assert (event.object_type, event.facility_id, event.actor_id) == ("person", facility.pk, officer.pk)
    assert event.reason == "staffing plan: 5 people, rules ID@2026.11-1"


def test_the_plan_takes_the_same_number_of_queries_for_6_or_50_people(
    officer: User, facility: Facility, clinic: dict[str, Person], make_staff: MakeStaff
) -> None:
    scope = scope_of(officer)
    # A medical assistant counts by a certification of the pack (4 more queries, once, whoever holds the role).
    make_staff(Role.MEDICAL_ASSISTANT, "Putri")
    with CaptureQueriesContext(connection) as few:
        staffing_plan(scope, facility)
    roles = [Role.NURSE, Role.RADIOGRAPHER, Role.MEDICAL_ASSISTANT, Role.PAIN_PHYSICIAN, Role.NEUROLOGIST]
    for n in range(44):
        make_staff(roles[n % len(roles)], f"Person {n}", permit="expired" if n % 4 == 0 else "valid")
    with CaptureQueriesContext(connection) as many:
        plan = staffing_plan(scope, facility).plan
    assert len(many) == len(few)
    assert len(many) <= 20
    assert len([m for r in plan.roles for m in r.staff]) + len(plan.unplanned) == 50


def test_a_facility_without_a_profile_has_a_plan_of_minimums(officer: User, facility: Facility) -> None:
    plan = plan_of(officer, facility)
    assert not plan.inputs.described
    assert {r.role: str(r.required) for r in plan.roles if r.required} == {
        "pain_physician": "1.00",
        "nurse": "1.00",
        "pharmacist": "1.00",
    }
