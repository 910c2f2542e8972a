"""Facility pages (both languages, strict CSP, roles, tenant wall) and the JSON API."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.facilities import services
from nyeri.facilities.models import Equipment, EquipmentStatus, FacilityProfile
from nyeri.tenancy.clock import format_facility_time
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from tests.facilities.conftest import MakeStaff, bearer, client_of, describe, scope_of, unit
from tests.queries import statements_of


def profile_form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "consultation_rooms": "3",
        "procedure_rooms": "1",
        "recovery_beds": "2",
        "planned_visits_per_week": "150",
        "sedation_room_days_per_week": "1",
    }
    for day in range(1, 8):
        data[f"opens_{day}"] = "08:00" if day <= 5 else ""
        data[f"closes_{day}"] = "16:00" if day <= 5 else ""
    data.update(overrides)
    return data


def no_inline_code(html: str) -> None:
    """Strict CSP: no inline styles or scripts in the page."""
    assert " style=" not in html
    assert "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


# --- Pages -------------------------------------------------------------------------------------


def test_staff_read_the_profile_and_only_an_administrator_sees_the_edit_link(
    admin_scope: Scope, admin: User, member_nurse: User, facility: Facility
) -> None:
    describe(admin_scope, admin, facility, procedure_rooms=2, sedation_room_days_per_week=3)
    unit(admin_scope, admin, facility, "c_arm")
    html = client_of(member_nurse).get(f"/facilities/{facility.pk}/profile/").content.decode()
    assert 'data-field="procedure_rooms">2<' in html
    assert "C-arm fluoroscopy" in html
    assert "Edit the profile" not in html
    no_inline_code(html)
    admin_html = client_of(admin).get(f"/facilities/{facility.pk}/profile/").content.decode()
    assert "Edit the profile" in admin_html


def test_an_administrator_edits_the_profile_through_the_form(admin: User, facility: Facility) -> None:
    client = client_of(admin)
    assert client.get(f"/facilities/{facility.pk}/profile/edit/").status_code == 200
    response = client.post(f"/facilities/{facility.pk}/profile/edit/", profile_form(opens_6="08:00", closes_6="12:00"))
    assert response.status_code == 302
    profile = FacilityProfile.objects.get(facility=facility)
    assert (profile.planned_visits_per_week, profile.opening_hours.count()) == (150, 6)


def test_negative_rooms_on_the_form_are_shown_under_the_field_and_nothing_is_saved(
    admin: User, facility: Facility
) -> None:
    response = client_of(admin).post(
        f"/facilities/{facility.pk}/profile/edit/", profile_form(procedure_rooms="-1", closes_2="")
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "cannot be negative" in form.errors["procedure_rooms"][0]
    assert "Give both the opening and the closing time" in form.errors["closes_2"][0]
    assert not FacilityProfile.objects.exists()


def test_a_nurse_is_refused_the_edit_page_and_the_refusal_is_audited(member_nurse: User, facility: Facility) -> None:
    assert client_of(member_nurse).get(f"/facilities/{facility.pk}/profile/edit/").status_code == 403
    assert AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED, actor=member_nurse).exists()


def test_equipment_is_added_and_its_status_changed_through_the_pages_with_the_history_shown(
    admin: User, facility: Facility
) -> None:
    client = client_of(admin)
    response = client.post(
        f"/facilities/{facility.pk}/equipment/add/",
        {"kind": "ct", "model_name": "Somatom go.Up", "serial_number": "SGU-1", "status": "in_service", "reason": ""},
    )
    assert response.status_code == 302
    ct = Equipment.objects.get()
    response = client.post(
        f"/facilities/equipment/{ct.pk}/status/", {"status": "under_maintenance", "reason": "Tube failure"}
    )
    assert response.status_code == 302
    html = client.get(f"/facilities/{facility.pk}/equipment/").content.decode()
    assert 'data-status="under_maintenance"' in html
    assert "Tube failure" in html
    no_inline_code(html)
    refused = client.post(f"/facilities/equipment/{ct.pk}/status/", {"status": "under_maintenance", "reason": ""})
    assert refused.status_code == 400
    assert refused.context["form"].errors["reason"]


def test_the_equipment_history_reads_in_the_facilitys_zone_with_its_label(admin: User, facility: Facility) -> None:
    Facility.objects.filter(pk=facility.pk).update(time_zone="Asia/Jayapura")
    client = client_of(admin)
    client.post(
        f"/facilities/{facility.pk}/equipment/add/",
        {"kind": "ct", "model_name": "Somatom go.Up", "serial_number": "SGU-1", "status": "in_service", "reason": ""},
    )
    ct = Equipment.objects.get()
    client.post(f"/facilities/equipment/{ct.pk}/status/", {"status": "under_maintenance", "reason": "Tube failure"})
    change = ct.status_changes.order_by("changed_at").last()
    assert change is not None
    shown = format_facility_time(change.changed_at, Facility.objects.get(pk=facility.pk))
    assert shown.endswith(" WIT")
    assert shown in client.get(f"/facilities/{facility.pk}/equipment/").content.decode()
    assert shown in client.get(f"/facilities/equipment/{ct.pk}/status/").content.decode()


def test_the_services_page_explains_what_is_not_offered_in_english_and_in_indonesian(
    admin_scope: Scope, admin: User, member_nurse: User, facility: Facility, make_staff: MakeStaff
) -> None:
    describe(admin_scope, admin, facility)
    make_staff(Role.PAIN_PHYSICIAN, "dr. Andi", fellowship=True)
    english = client_of(member_nurse).get(f"/facilities/{facility.pk}/services/").content.decode()
    assert '<html lang="en">' in english
    assert "Fluoroscopy-guided spinal procedures" in english
    assert "Needs a C-arm in service at this facility." in english
    no_inline_code(english)
    client = client_of(member_nurse, language="id")
    client.post("/i18n/setlang/", {"language": "id", "next": "/"})
    indonesian = client.get(f"/facilities/{facility.pk}/services/").content.decode()
    assert '<html lang="id">' in indonesian
    assert "Tindakan spinal dengan panduan fluoroskopi" in indonesian
    assert "Memerlukan C-arm yang beroperasi di fasilitas ini." in indonesian


def test_another_organizations_facility_pages_are_not_found(
    other_admin: User, admin_scope: Scope, admin: User, facility: Facility
) -> None:
    ct = unit(admin_scope, admin, facility, "ct")
    client = client_of(other_admin)
    for url in (
        f"/facilities/{facility.pk}/profile/",
        f"/facilities/{facility.pk}/profile/edit/",
        f"/facilities/{facility.pk}/equipment/",
        f"/facilities/{facility.pk}/equipment/add/",
        f"/facilities/{facility.pk}/services/",
        f"/facilities/equipment/{ct.pk}/status/",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(f"/facilities/equipment/{ct.pk}/status/", {"status": "retired", "reason": "x"}).status_code == 404
    )
    ct.refresh_from_db()
    assert ct.status == EquipmentStatus.IN_SERVICE


def test_the_navigation_links_the_profile_for_staff_and_the_plan_and_rules_for_the_right_roles(
    admin: User, member_nurse: User, facility: Facility
) -> None:
    nurse_html = client_of(member_nurse).get(f"/facilities/{facility.pk}/").content.decode()
    assert f'href="/facilities/{facility.pk}/profile/"' in nurse_html
    assert "/staffing/" not in nurse_html
    admin_html = client_of(admin).get(f"/facilities/{facility.pk}/").content.decode()
    assert f'href="/staffing/facilities/{facility.pk}/plan/"' in admin_html
    assert 'href="/staffing/rules/"' in admin_html


# --- API -----------------------------------------------------------------------------------------


def test_the_api_reads_and_replaces_the_profile(admin: User, member_nurse: User, facility: Facility) -> None:
    client = Client()
    body = {
        "consultation_rooms": 3,
        "procedure_rooms": 2,
        "recovery_beds": 4,
        "planned_visits_per_week": 250,
        "sedation_room_days_per_week": 4,
        "opening_hours": [{"weekday": 1, "opens": "07:30", "closes": "16:00"}],
    }
    response = client.put(
        f"/api/facilities/{facility.pk}/profile", body, content_type="application/json", **bearer(admin)
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["procedure_rooms"], data["opening_hours_per_week"], data["described"]) == (2, 8.5, True)
    read = client.get(f"/api/facilities/{facility.pk}/profile", **bearer(member_nurse)).json()
    assert read["opening_hours"] == [{"weekday": 1, "opens": "07:30:00", "closes": "16:00:00"}]
    refused = client.put(
        f"/api/facilities/{facility.pk}/profile", body, content_type="application/json", **bearer(member_nurse)
    )
    assert refused.status_code == 403


def test_the_api_refuses_negative_sizes_naming_each_field(admin: User, facility: Facility) -> None:
    body = {"consultation_rooms": -1, "procedure_rooms": 1, "recovery_beds": 0, "planned_visits_per_week": -5}
    response = Client().put(
        f"/api/facilities/{facility.pk}/profile", body, content_type="application/json", **bearer(admin)
    )
    assert response.status_code == 422
    fields = {f["field"] for f in response.json()["error"]["fields"]}
    assert fields == {"consultation_rooms", "planned_visits_per_week"}
    assert not FacilityProfile.objects.exists()


def test_the_api_adds_equipment_changes_its_status_and_lists_the_history(admin: User, facility: Facility) -> None:
    client = Client()
    auth = bearer(admin)
    created = client.post(
        f"/api/facilities/{facility.pk}/equipment",
        {"kind": "ultrasound", "model_name": "Mindray TE7", "serial_number": "TE7-9"},
        content_type="application/json",
        **auth,
    )
    assert created.status_code == 201, created.content
    unit_id = created.json()["id"]
    changed = client.post(
        f"/api/equipment/{unit_id}/status",
        {"status": "under_maintenance", "reason": "Probe cable"},
        content_type="application/json",
        **auth,
    )
    assert changed.status_code == 200
    [listed] = client.get(f"/api/facilities/{facility.pk}/equipment", **auth).json()["items"]
    assert [(h["from_status"], h["to_status"]) for h in listed["history"]] == [
        ("", "in_service"),
        ("in_service", "under_maintenance"),
    ]
    bad = client.post(
        f"/api/facilities/{facility.pk}/equipment",
        {"kind": "pet", "model_name": "X"},
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"][0]["field"] == "kind"


def test_the_equipment_list_is_paged_by_kind_each_unit_with_its_history_in_constant_statements(
    admin_scope: Scope, admin: User, other_admin: User, facility: Facility, other_facility: Facility
) -> None:
    unit(admin_scope, admin, facility, "ultrasound", serial_number="U-1")
    unit(scope_of(other_admin), other_admin, other_facility, "ct")
    client = Client()
    auth = bearer(admin)
    url = f"/api/facilities/{facility.pk}/equipment"
    first = client.get(url, **auth).json()
    # Another organization's unit (at its own facility) is never counted.
    assert (first["count"], first["page"], first["pages"], first["page_size"]) == (1, 1, 1, 50)
    one_unit = statements_of(lambda: client.get(url, **auth))
    for kind in ("c_arm", "ct", "mri", "xray"):
        added = unit(admin_scope, admin, facility, kind)
        services.change_equipment_status(
            scope=admin_scope, acting_user=admin, equipment=added, status="under_maintenance", reason="Service"
        )
    assert statements_of(lambda: client.get(url, **auth)) == one_unit
    second = client.get(url, {"page": 2, "page_size": 2}, **auth).json()
    assert (second["count"], second["pages"]) == (5, 3)
    assert [row["kind"] for row in second["items"]] == ["mri", "ultrasound"]
    mri = second["items"][0]
    assert [(h["to_status"], h["changed_by"]) for h in mri["history"]] == [
        ("in_service", "admin_rina"),
        ("under_maintenance", "admin_rina"),
    ]
    assert second["items"][1]["serial_number"] == "U-1"


def test_the_api_gives_the_services_with_every_unmet_part_in_both_languages(
    admin_scope: Scope, admin: User, facility: Facility
) -> None:
    describe(admin_scope, admin, facility)
    data = Client().get(f"/api/facilities/{facility.pk}/services", **bearer(admin)).json()
    spine = next(s for s in data["services"] if s["code"] == "fluoroscopy_guided_spine")
    assert not spine["offered"]
    equipment = next(p for p in spine["unmet"] if p["kind"] == "equipment")
    assert equipment["message_en"] == "Needs a C-arm in service at this facility."
    assert equipment["message_id"] == "Memerlukan C-arm yang beroperasi di fasilitas ini."
    assert equipment["details_en"] == ["This facility has no C-arm fluoroscopy."]


def test_the_api_does_not_find_another_organizations_facility_or_unit(
    admin_scope: Scope, admin: User, other_admin: User, facility: Facility
) -> None:
    ct = unit(admin_scope, admin, facility, "ct")
    client = Client()
    auth = bearer(other_admin)
    for url in ("profile", "equipment", "services"):
        response = client.get(f"/api/facilities/{facility.pk}/{url}", **auth)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    response = client.post(
        f"/api/equipment/{ct.pk}/status", {"status": "retired", "reason": "x"}, content_type="application/json", **auth
    )
    assert response.status_code == 404
