"""Staffing pages (plan, preview, rules) in both languages, their access and queries, and the JSON API."""

# ruff: noqa: RUF001 - the explanations use the multiplication sign, as people write it

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from nyeri.accounts.models import User
from nyeri.audit.models import AuditEvent
from nyeri.facilities.models import Equipment, FacilityProfile
from nyeri.staffing.models import StaffingRule
from nyeri.staffing.services import save_staffing_rule
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import Role
from nyeri.workforce.models import Person
from tests.facilities.conftest import MakeStaff, bearer, client_of, scope_of
from tests.facilities.test_pages_and_api import no_inline_code
from tests.queries import statements_of


def plan_url(facility: Facility, suffix: str = "") -> str:
    return f"/staffing/facilities/{facility.pk}/plan/{suffix}"


def preview_form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {f"add_{k}": "0" for k in ("xray", "c_arm", "ultrasound", "ct", "mri")}
    data.update(
        consultation_rooms="2",
        procedure_rooms="1",
        recovery_beds="2",
        planned_visits_per_week="120",
        sedation_room_days_per_week="2",
    )
    data.update(overrides)
    return data


def test_the_plan_page_shows_required_current_gaps_rules_and_why_people_do_not_count(
    officer: User, facility: Facility, clinic: dict[str, Person]
) -> None:
    response = client_of(officer).get(plan_url(facility))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-role="nurse" data-balance="gap"' in html
    assert 'data-rule="nurse_per_visits"' in html
    assert "Planned visits per week: 120 ÷ 60 × 1 FTE = 2 FTE." in html
    assert "Not counted: The practice permit (SIP) expired on" in html
    assert "Add 1 unit" not in html  # the preview form is there, empty
    assert 'data-testid="preview-form"' in html
    no_inline_code(html)


def test_the_plan_page_speaks_indonesian(officer: User, facility: Facility, clinic: dict[str, Person]) -> None:
    client = client_of(officer, language="id")
    client.post("/i18n/setlang/", {"language": "id", "next": "/"})
    html = client.get(plan_url(facility)).content.decode()
    assert '<html lang="id">' in html
    assert "1 perawat per 60 kunjungan terencana per minggu" in html
    assert "Dokter spesialis anestesiologi" in html  # role names from the glossary
    assert "2,65" in html  # numbers written the Indonesian way


def test_the_preview_page_shows_both_plans_side_by_side_and_saves_nothing(
    officer: User, facility: Facility, clinic: dict[str, Person]
) -> None:
    audit_rows = AuditEvent.objects.count()
    response = client_of(officer).post(
        plan_url(facility, "preview/"), preview_form(add_ultrasound="1", procedure_rooms="2")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "A preview: nothing has been saved." in html
    assert 'data-role="radiographer" data-changed="yes"' in html
    assert 'data-role="pharmacist" data-changed="no"' in html
    assert "Ultrasound unit in service: 3 × 0.5 FTE" in html
    no_inline_code(html)
    assert Equipment.objects.filter(facility=facility).count() == 4
    assert FacilityProfile.objects.get(facility=facility).procedure_rooms == 1
    # Logging in wrote audit rows; the preview itself none.
    assert AuditEvent.objects.count() == audit_rows + 1  # the login of client_of


def test_a_bad_preview_is_shown_under_its_field(officer: User, facility: Facility, clinic: dict[str, Person]) -> None:
    response = client_of(officer).post(
        plan_url(facility, "preview/"), preview_form(procedure_rooms="-1", add_c_arm="-3")
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "cannot be negative" in errors["procedure_rooms"][0]
    assert "at most 1 can be taken out of service" in errors["add_c_arm"][0]


def test_the_plan_is_refused_to_a_nurse_and_not_found_for_another_organization(
    member_nurse: User, other_admin: User, facility: Facility
) -> None:
    assert client_of(member_nurse).get(plan_url(facility)).status_code == 403
    assert client_of(member_nurse).post(plan_url(facility, "preview/"), preview_form()).status_code == 403
    assert client_of(other_admin).get(plan_url(facility)).status_code == 404
    assert client_of(other_admin).post(plan_url(facility, "preview/"), preview_form()).status_code == 404


def test_the_plan_page_takes_the_same_number_of_queries_for_few_or_many_people(
    officer: User, facility: Facility, clinic: dict[str, Person], make_staff: MakeStaff
) -> None:
    client = client_of(officer)
    make_staff(Role.MEDICAL_ASSISTANT, "Putri")
    client.get(plan_url(facility))  # warm caches of the session and the policy pack
    with CaptureQueriesContext(connection) as few:
        assert client.get(plan_url(facility)).status_code == 200
    for n in range(40):
        make_staff([Role.NURSE, Role.RADIOGRAPHER, Role.NEUROLOGIST, Role.MEDICAL_ASSISTANT][n % 4], f"Person {n}")
    with CaptureQueriesContext(connection) as many:
        assert client.get(plan_url(facility)).status_code == 200
    assert len(many) == len(few)
    assert len(many) <= 40


# --- Rules pages ---------------------------------------------------------------------------------


def test_an_administrator_sees_the_rules_and_changes_one_through_the_form(admin: User) -> None:
    client = client_of(admin)
    html = client.get("/staffing/rules/").content.decode()
    assert 'data-rule="radiographer_per_c_arm" data-state="file"' in html
    no_inline_code(html)
    form = client.get("/staffing/rules/nurse_per_visits/edit/")
    assert form.status_code == 200
    assert form.context["form"].initial["per"] == 60
    response = client.post(
        "/staffing/rules/nurse_per_visits/edit/",
        {
            "is_active": "on",
            "role": "nurse",
            "kind": "per_volume",
            "measure": "planned_visits_per_week",
            "amount": "1",
            "per": "45",
            "label_en": "1 nurse per 45 planned visits a week",
            "label_id": "1 perawat per 45 kunjungan terencana per minggu",
            "reason": "Phone follow-ups",
        },
    )
    assert response.status_code == 302
    row = StaffingRule.objects.get(code="nurse_per_visits")
    assert str(row.per) == "45.00"
    assert 'data-rule="nurse_per_visits" data-state="replaced"' in client.get("/staffing/rules/").content.decode()


def test_a_rule_for_a_role_without_a_qualification_is_shown_under_the_role_field(admin: User) -> None:
    response = client_of(admin).post(
        "/staffing/rules/new/",
        {
            "code": "psychiatrist_per_visits",
            "is_active": "on",
            "role": "psychiatrist",
            "kind": "per_volume",
            "measure": "planned_visits_per_week",
            "amount": "1",
            "per": "300",
            "label_en": "x",
            "label_id": "x",
            "reason": "r",
        },
    )
    assert response.status_code == 400
    assert "do not say who counts as current staff" in response.context["form"].errors["role"][0]
    assert not StaffingRule.objects.exists()


def test_the_rules_pages_are_for_administrators(officer: User) -> None:
    client = client_of(officer)
    assert client.get("/staffing/rules/").status_code == 403
    assert client.get("/staffing/rules/new/").status_code == 403
    assert client.post("/staffing/rules/nurse_minimum/reset/", {"reason": "x"}).status_code == 403


# --- API -------------------------------------------------------------------------------------------


def test_the_api_gives_the_plan_with_explanations_in_both_languages(
    officer: User, facility: Facility, clinic: dict[str, Person]
) -> None:
    data = Client().get(f"/api/staffing/facilities/{facility.pk}/plan", **bearer(officer)).json()
    assert data["total_gap"] == "6.90"
    nurse = next(r for r in data["roles"] if r["role"] == "nurse")
    assert (nurse["required"], nurse["current"], nurse["gap"], nurse["balance"]) == ("3.65", "1.00", "2.65", "gap")
    rule = next(r for r in nurse["rules"] if r["code"] == "nurse_per_visits")
    assert rule["label_id"] == "1 perawat per 60 kunjungan terencana per minggu"
    assert rule["explanation_en"] == "Planned visits per week: 120 ÷ 60 × 1 FTE = 2 FTE."
    lapsed = next(p for p in nurse["people"] if not p["counted"])
    assert lapsed["reason_codes"] == ["credential_expired"]


def test_the_api_preview_writes_nothing_and_refuses_bad_input(
    officer: User, facility: Facility, clinic: dict[str, Person]
) -> None:
    client = Client()
    auth = bearer(officer)
    audit_rows = AuditEvent.objects.count()
    response = client.post(
        f"/api/staffing/facilities/{facility.pk}/plan/preview",
        {"add_ultrasound": 1, "procedure_rooms": 2},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["saved"] is False
    radiographer = next(r for r in data["roles"] if r["role"] == "radiographer")
    assert (radiographer["required_before"], radiographer["required_after"]) == ("2.20", "2.75")
    assert radiographer["rules_changed"] == ["radiographer_per_ultrasound"]
    assert data["changes_en"] == ["Add 1 unit: Ultrasound unit", "Procedure rooms: 1 → 2"]
    assert AuditEvent.objects.count() == audit_rows
    bad = client.post(
        f"/api/staffing/facilities/{facility.pk}/plan/preview",
        {"recovery_beds": -4},
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"][0]["field"] == "recovery_beds"


def test_the_api_plan_is_not_found_for_another_organization_and_refused_to_a_nurse(
    other_admin: User, member_nurse: User, facility: Facility
) -> None:
    client = Client()
    assert client.get(f"/api/staffing/facilities/{facility.pk}/plan", **bearer(other_admin)).status_code == 404
    assert client.get(f"/api/staffing/facilities/{facility.pk}/plan", **bearer(member_nurse)).status_code == 403


def test_the_api_lists_the_rules_for_an_administrator(admin: User, officer: User) -> None:
    rules = Client().get("/api/staffing/rules", {"page_size": 500}, **bearer(admin)).json()["items"]
    c_arm = next(r for r in rules if r["code"] == "radiographer_per_c_arm")
    assert (c_arm["state"], c_arm["equipment"], c_arm["per_shift"]) == ("file", "c_arm", True)
    assert c_arm["terms_en"] == "1 FTE on duty per unit of C-arm fluoroscopy in service, every opening hour"
    assert Client().get("/api/staffing/rules", **bearer(officer)).status_code == 403


def test_the_rules_are_paged_counting_only_the_organizations_own_in_the_same_statements(
    admin: User, other_admin: User
) -> None:
    client = Client()
    auth = bearer(admin)
    first = client.get("/api/staffing/rules", **auth).json()
    count = first["count"]
    assert (first["page"], first["page_size"], len(first["items"])) == (1, 50, min(count, 50))
    before = statements_of(lambda: client.get("/api/staffing/rules", **auth))
    # A rule another organization adds is neither listed nor counted here.
    added = {"role": "nurse", "kind": "per_volume", "measure": "planned_visits_per_week", "amount": "1", "per": "30"}
    labels = {"label_en": "1 nurse per 30 visits", "label_id": "1 perawat per 30 kunjungan"}
    save_staffing_rule(
        scope=scope_of(other_admin), acting_user=other_admin, code="their_nurses", reason="Theirs", **added, **labels
    )
    assert client.get("/api/staffing/rules", **auth).json()["count"] == count
    save_staffing_rule(scope=scope_of(admin), acting_user=admin, code="our_nurses", reason="Ours", **added, **labels)
    assert statements_of(lambda: client.get("/api/staffing/rules", **auth)) == before
    whole = client.get("/api/staffing/rules", {"page_size": 500}, **auth).json()
    assert whole["count"] == count + 1
    assert "our_nurses" in {r["code"] for r in whole["items"]}
    second = client.get("/api/staffing/rules", {"page": 2, "page_size": 2}, **auth).json()
    assert (second["count"], second["pages"]) == (count + 1, -(-(count + 1) // 2))
    assert second["items"] == whole["items"][2:4]
