"""The organization settings: the organization, and facilities added, edited, deactivated, reactivated.

Pages and API alike: administrators only (others 403, audited); another organization's
facility is 404; a facility is never deleted and keeps its records when deactivated.
"""

from __future__ import annotations

from datetime import date, time
from typing import Any

import pytest
from django.test import Client

from nyeri.accounts.models import User
from nyeri.accounts.services import create_api_token
from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.clinical.models import Patient
from nyeri.clinical.services import register_patient
from nyeri.facilities.models import FacilityProfile, OpeningHours
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import resolve_scope
from nyeri.tenancy.selectors import facilities_for
from tests.accounts_fixtures import give_second_factor, verify
from tests.conftest import MakeMember, log_in


def client_of(user: User, language: str = "en") -> Client:
    client = log_in(Client(HTTP_ACCEPT_LANGUAGE=language), user)
    if user.memberships.filter(roles__role=Role.ADMINISTRATOR).exists():
        device, _codes = give_second_factor(user)
        verify(client, device)
    return client


def bearer(user: User) -> dict[str, str]:
    _token, secret = create_api_token(acting_user=user, name="tests", expires_in_days=None)
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def admin(org: Organization, facility: Facility, make_member: MakeMember) -> User:
    return make_member(org, Role.ADMINISTRATOR, username="rina", language="en")


@pytest.fixture
def manager(org: Organization, facility: Facility, make_member: MakeMember) -> User:
    return make_member(org, Role.FACILITY_MANAGER, username="yusuf", language="en")


def page_form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "pain_clinic",
        "name": "Klinik Nyeri Makassar",
        "code": "klinik-makassar",
        "address": "Jl. Pettarani No. 9",
        "phone": "(0411) 555123",
        "province": "73",
        "regency": "73.71",
        "time_zone": "",
        "planned_visits_per_week": "120",
        "opens_1": "08:00",
        "closes_1": "16:00",
        "opens_6": "08:00",
        "closes_6": "12:00",
    }
    data.update(changes)
    return data


def api_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "pain_clinic",
        "name": "Klinik Nyeri Makassar",
        "code": "klinik-makassar",
        "province_code": "73",
        "regency_code": "73.71",
        "planned_visits_per_week": 120,
        "opening_hours": [{"weekday": 1, "opens": "08:00", "closes": "16:00"}],
    }
    body.update(changes)
    return body


# --- Pages -----------------------------------------------------------------------------------


def test_the_navigation_leads_administrators_to_the_organization_settings(admin: User, manager: User) -> None:
    assert b'data-testid="organization-link"' in client_of(admin).get("/organization/").content
    home = client_of(manager).get("/", follow=True)
    assert b'data-testid="organization-link"' not in home.content


def test_an_administrator_adds_a_facility_through_the_page(admin: User, org: Organization) -> None:
    client = client_of(admin)
    assert client.get("/organization/facilities/new/").status_code == 200
    response = client.post("/organization/facilities/new/", page_form())
    assert response.status_code == 302, response.content
    added = Facility.objects.get(code="klinik-makassar")
    assert (added.organization, added.province, added.regency, added.regency_code) == (
        org,
        "Sulawesi Selatan",
        "Kota Makassar",
        "73.71",
    )
    # A Makassar facility defaults to Central Indonesian Time.
    assert added.time_zone == "Asia/Makassar"
    profile = FacilityProfile.objects.get(facility=added)
    assert profile.planned_visits_per_week == 120
    assert list(OpeningHours.objects.filter(profile=profile).values_list("weekday", "opens", "closes")) == [
        (1, time(8), time(16)),
        (6, time(8), time(12)),
    ]
    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="facility", object_id=str(added.pk))
    assert event.organization == org
    listing = client.get("/organization/").content.decode()
    assert "Klinik Nyeri Makassar" in listing


def test_an_administrator_edits_a_facility_and_the_rest_of_its_profile_stays(admin: User, facility: Facility) -> None:
    client = client_of(admin)
    FacilityProfile.objects.create(
        organization=facility.organization, facility=facility, consultation_rooms=4, planned_visits_per_week=50
    )
    page = client.get(f"/organization/facilities/{facility.pk}/edit/")
    assert page.status_code == 200
    assert page.context["form"].initial["regency"] == "32.73"
    response = client.post(
        f"/organization/facilities/{facility.pk}/edit/",
        page_form(name="Layanan Nyeri RS Sehat Baru", code=facility.code, province="32", regency="32.77"),
    )
    assert response.status_code == 302, response.content
    facility.refresh_from_db()
    assert (facility.name, facility.regency, facility.time_zone) == (
        "Layanan Nyeri RS Sehat Baru",
        "Kota Cimahi",
        "Asia/Jakarta",
    )
    profile = FacilityProfile.objects.get(facility=facility)
    assert (profile.consultation_rooms, profile.planned_visits_per_week) == (4, 120)
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE, object_type="facility").exists()


def test_bad_input_on_the_page_names_each_field_in_indonesian_and_saves_nothing(admin: User) -> None:
    User.objects.filter(pk=admin.pk).update(language="id")
    client = client_of(admin, language="id")
    response = client.post(
        "/organization/facilities/new/",
        page_form(province="73", regency="32.73", planned_visits_per_week="0", opens_1="17:00", code="Bad Code!"),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "bukan kabupaten/kota di provinsi Sulawesi Selatan" in " ".join(errors["regency"])
    assert "planned_visits_per_week" in errors
    assert "code" in errors
    assert "closes_1" in errors
    assert Facility.objects.filter(code__icontains="makassar").count() == 0


def test_a_time_zone_other_than_the_provinces_must_be_confirmed(admin: User) -> None:
    client = client_of(admin)
    refused = client.post("/organization/facilities/new/", page_form(time_zone="Asia/Jakarta"))
    assert refused.status_code == 400
    assert "Sulawesi Selatan keeps Asia/Makassar time, not Asia/Jakarta" in " ".join(
        refused.context["form"].errors["time_zone"]
    )
    assert b'name="confirm_time_zone"' in refused.content
    accepted = client.post("/organization/facilities/new/", page_form(time_zone="Asia/Jakarta", confirm_time_zone="on"))
    assert accepted.status_code == 302
    assert Facility.objects.get(code="klinik-makassar").time_zone == "Asia/Jakarta"


def test_deactivation_and_reactivation_through_the_page_keep_the_facilitys_records(
    admin: User, org: Organization, facility: Facility, make_member: MakeMember
) -> None:
    second = Facility.objects.create(
        organization=org,
        name="Klinik Cabang",
        code="cabang",
        kind="pain_clinic",
        province="Jawa Barat",
        regency="Kota Cimahi",
        regency_code="32.77",
    )
    scope = resolve_scope(admin)
    assert scope is not None
    patient = register_patient(
        scope=scope,
        acting_user=admin,
        facility=second,
        mrn="RM-1",
        full_name="Ani",
        birth_date=date(1970, 1, 1),
        sex="female",
        nik="3273014101700001",  # Kota Bandung, a woman born 1 January 1970
    )
    client = client_of(admin)
    response = client.post(f"/organization/facilities/{second.pk}/deactivate/")
    assert response.status_code == 302
    second.refresh_from_db()
    assert not second.is_active
    # Not offered in pickers any more; the patient and the facility row stay.
    assert second not in facilities_for(scope)
    assert Patient.objects.filter(pk=patient.pk, registered_at=second).exists()
    assert "Klinik Cabang" in client.get("/organization/").content.decode()
    client.post(f"/organization/facilities/{second.pk}/reactivate/")
    second.refresh_from_db()
    assert second.is_active
    reasons = list(
        AuditEvent.objects.filter(object_type="facility", object_id=str(second.pk)).values_list("reason", flat=True)
    )
    assert "deactivated" in reasons
    assert "reactivated" in reasons


def test_a_facility_manager_is_refused_every_settings_page_and_each_refusal_is_audited(
    manager: User, facility: Facility
) -> None:
    client = client_of(manager)
    urls = [
        ("get", "/organization/"),
        ("get", "/organization/edit/"),
        ("get", "/organization/facilities/new/"),
        ("post", "/organization/facilities/new/"),
        ("get", f"/organization/facilities/{facility.pk}/edit/"),
        ("post", f"/organization/facilities/{facility.pk}/deactivate/"),
    ]
    for method, url in urls:
        response = getattr(client, method)(url, page_form() if method == "post" else None)
        assert response.status_code == 403, url
    denied = AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED, actor=manager)
    assert denied.count() == len(urls)
    assert set(denied.values_list("outcome", flat=True)) == {AuditOutcome.DENIED}
    facility.refresh_from_db()
    assert facility.is_active


def test_another_organizations_facility_is_not_found_on_the_pages(admin: User, other_facility: Facility) -> None:
    client = client_of(admin)
    assert client.get(f"/organization/facilities/{other_facility.pk}/edit/").status_code == 404
    assert client.post(f"/organization/facilities/{other_facility.pk}/deactivate/").status_code == 404
    other_facility.refresh_from_db()
    assert other_facility.is_active


def test_an_administrator_edits_the_organization_but_not_its_jurisdiction(admin: User, org: Organization) -> None:
    client = client_of(admin)
    response = client.post("/organization/edit/", {"name": "RS Sehat Sentosa Baru", "kind": "clinic_operator"})
    assert response.status_code == 302
    org.refresh_from_db()
    assert (org.name, org.kind, org.jurisdiction) == ("RS Sehat Sentosa Baru", "clinic_operator", "ID")
    refused = client.post("/organization/edit/", {"name": "", "kind": "airline"})
    assert refused.status_code == 400
    assert {"name", "kind"} <= set(refused.context["form"].errors)


# --- API -------------------------------------------------------------------------------------


def test_the_api_adds_edits_deactivates_and_reactivates_a_facility(admin: User, client: Client) -> None:
    auth = bearer(admin)
    created = client.post("/api/facilities", api_body(), content_type="application/json", **auth)
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["time_zone"], data["province_code"], data["planned_visits_per_week"]) == ("Asia/Makassar", "73", 120)
    assert data["opening_hours"] == [{"weekday": 1, "opens": "08:00:00", "closes": "16:00:00"}]
    url = f"/api/facilities/{data['id']}"

    patched = client.patch(
        url, {"phone": "0411 1", "planned_visits_per_week": 200}, content_type="application/json", **auth
    )
    assert patched.status_code == 200, patched.content
    assert (patched.json()["phone"], patched.json()["planned_visits_per_week"]) == ("0411 1", 200)
    # Fields not sent stay as they were.
    assert patched.json()["opening_hours"] == data["opening_hours"]
    assert patched.json()["name"] == "Klinik Nyeri Makassar"

    off = client.post(f"{url}/deactivate", {"reason": "renovation"}, content_type="application/json", **auth)
    assert (off.status_code, off.json()["is_active"]) == (200, False)
    assert data["id"] not in [f["id"] for f in client.get("/api/facilities", **auth).json()["items"]]
    everything = client.get("/api/facilities?include_inactive=true", **auth).json()["items"]
    assert data["id"] in [f["id"] for f in everything]
    again = client.post(f"{url}/deactivate", content_type="application/json", **auth)
    assert again.status_code == 422
    on = client.post(f"{url}/reactivate", content_type="application/json", **auth)
    assert (on.status_code, on.json()["is_active"]) == (200, True)


def test_api_errors_use_the_envelope_and_name_each_field(admin: User, client: Client) -> None:
    response = client.post(
        "/api/facilities",
        api_body(regency_code="32.73", planned_visits_per_week=0, time_zone="Mars/Olympus"),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="id",
        **bearer(admin),
    )
    assert response.status_code == 422
    error = response.json()["error"]
    fields = {f["field"]: f["message"] for f in error["fields"]}
    assert {"regency", "planned_visits_per_week", "time_zone"} <= set(fields)
    assert "bukan kabupaten/kota di provinsi Sulawesi Selatan" in fields["regency"]
    assert not Facility.objects.filter(code="klinik-makassar").exists()


def test_the_api_asks_to_confirm_a_zone_other_than_the_province_s_and_moves_the_zone_with_the_province(
    admin: User, client: Client
) -> None:
    auth = bearer(admin)
    refused = client.post(
        "/api/facilities", api_body(time_zone="Asia/Jakarta"), content_type="application/json", **auth
    )
    assert refused.status_code == 422
    fields = {f["field"]: f["message"] for f in refused.json()["error"]["fields"]}
    assert "Sulawesi Selatan memakai waktu Asia/Makassar, bukan Asia/Jakarta" in fields["time_zone"]
    confirmed = client.post(
        "/api/facilities",
        api_body(time_zone="Asia/Jakarta", confirm_time_zone=True),
        content_type="application/json",
        **auth,
    )
    assert confirmed.status_code == 201, confirmed.content
    assert confirmed.json()["time_zone"] == "Asia/Jakarta"
    # Moved to Jayapura (Papua) without a zone: the facility keeps Papua's time, WIT.
    moved = client.patch(
        f"/api/facilities/{confirmed.json()['id']}",
        {"province_code": "91", "regency_code": "91.71"},
        content_type="application/json",
        **auth,
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["time_zone"] == "Asia/Jayapura"


def test_the_api_patches_the_organization_and_keeps_its_jurisdiction(
    admin: User, org: Organization, client: Client
) -> None:
    response = client.patch(
        "/api/organization", {"name": "RS Baru", "jurisdiction": "SG"}, content_type="application/json", **bearer(admin)
    )
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["jurisdiction"]) == ("RS Baru", "ID")
    org.refresh_from_db()
    assert (org.name, org.jurisdiction) == ("RS Baru", "ID")


def test_the_api_refuses_a_non_administrator_with_403_and_audits_it(
    manager: User, facility: Facility, client: Client
) -> None:
    auth = bearer(manager)
    attempts = [
        client.post("/api/facilities", api_body(), content_type="application/json", **auth),
        client.patch(f"/api/facilities/{facility.pk}", {"name": "X"}, content_type="application/json", **auth),
        client.post(f"/api/facilities/{facility.pk}/deactivate", content_type="application/json", **auth),
        client.patch("/api/organization", {"name": "X"}, content_type="application/json", **auth),
    ]
    assert [r.status_code for r in attempts] == [403, 403, 403, 403]
    assert attempts[0].json()["error"]["code"] == "forbidden"
    assert AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED, actor=manager).count() == 4
    facility.refresh_from_db()
    assert (facility.name, facility.is_active) == ("Layanan Nyeri RS Sehat", True)


def test_another_organizations_facility_is_not_found_in_the_api(
    admin: User, other_facility: Facility, client: Client
) -> None:
    auth = bearer(admin)
    url = f"/api/facilities/{other_facility.pk}"
    assert client.get(url, **auth).status_code == 404
    assert client.patch(url, {"name": "X"}, content_type="application/json", **auth).status_code == 404
    assert client.post(f"{url}/deactivate", content_type="application/json", **auth).status_code == 404


def test_there_is_no_way_to_delete_a_facility(admin: User, facility: Facility, client: Client) -> None:
    auth = bearer(admin)
    assert client.delete(f"/api/facilities/{facility.pk}", **auth).status_code == 405
    assert client_of(admin).post(f"/organization/facilities/{facility.pk}/delete/").status_code == 404
    assert Facility.objects.filter(pk=facility.pk).exists()


def test_the_settings_list_reads_every_facility_in_a_fixed_number_of_queries(
    admin: User, org: Organization, client: Client, django_assert_max_num_queries: Any
) -> None:
    auth = bearer(admin)
    client.get("/api/facilities?include_inactive=true", **auth)
    with django_assert_max_num_queries(12) as few:
        client.get("/api/facilities?include_inactive=true", **auth)
    for n in range(5):
        Facility.objects.create(
            organization=org,
            name=f"Klinik {n}",
            code=f"klinik-{n}",
            kind="pain_clinic",
            province="Jawa Barat",
            regency="Kota Cimahi",
            regency_code="32.77",
            is_active=n % 2 == 0,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/api/facilities?include_inactive=true", **auth)
    assert len(response.json()["items"]) == 6
    # Paged, the active ones first, then by name.
    first = client.get("/api/facilities?include_inactive=true&page_size=4", **auth).json()
    assert (first["count"], first["pages"]) == (6, 2)
    second = client.get("/api/facilities?include_inactive=true&page_size=4&page=2", **auth).json()["items"]
    assert [f["is_active"] for f in first["items"] + second] == [True] * 4 + [False] * 2
    assert [f["id"] for f in first["items"] + second] == [f["id"] for f in response.json()["items"]]
    assert second[0]["province_code"] == "32"
    active = client.get("/api/facilities?page_size=1&page=4", **auth).json()
    assert (active["count"], [f["is_active"] for f in active["items"]]) == (4, [True])
