"""The hours pages and the hours API: forms, verification, tenant wall, error envelopes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.workforce.kinds import Citizenship, HoursSource, HoursStatus
from nyeri.workforce.models import HoursEntry, Person, PersonFacility, PersonRole
from tests.conftest import MakeMember, log_in


def staff(make_member: MakeMember, org: Organization, role: Role, username: str, *facilities: Facility) -> Person:
    user = make_member(org, role, username=username, language="en")
    person = Person.objects.create(
        organization=org, user=user, full_name=username.title(), citizenship=Citizenship.CITIZEN
    )
    PersonRole.objects.create(organization=org, person=person, role=role)
    for f in facilities:
        PersonFacility.objects.create(organization=org, person=person, facility=f)
    return person


@pytest.fixture
def siti(make_member: MakeMember, org: Organization, facility: Facility) -> Person:
    return staff(make_member, org, Role.NURSE, "siti", facility)


@pytest.fixture
def budi(make_member: MakeMember, org: Organization, facility: Facility) -> Person:
    return staff(make_member, org, Role.PAIN_PHYSICIAN, "budi", facility)


def as_user(person_or_user: Person | User) -> Client:
    user = person_or_user.user if isinstance(person_or_user, Person) else person_or_user
    assert user is not None
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    log_in(client, user)
    # The language cookie set at login follows the user's own preference ("en" here).
    return client


def entry_of(person: Person, facility: Facility, hours: str = "6", days_ago: int = 1, **fields: object) -> HoursEntry:
    values: dict[str, object] = {
        "organization": person.organization,
        "person": person,
        "facility": facility,
        "worked_on": timezone.localdate() - timedelta(days=days_ago),
        "hours": Decimal(hours),
        "source": HoursSource.MANUAL,
        "status": HoursStatus.SUBMITTED,
        "entered_by": person.user,
    }
    values.update(fields)
    return HoursEntry.objects.create(**values)


# --- Pages ----------------------------------------------------------------------------


def test_hours_leads_a_nurse_to_her_own_ledger_with_totals_and_entries(siti: Person, facility: Facility) -> None:
    entry_of(siti, facility, "7.5", status=HoursStatus.VERIFIED)
    entry_of(siti, facility, "2", days_ago=2)
    client = as_user(siti)
    response = client.get("/workforce/hours/")
    assert response.status_code == 302
    assert response["Location"] == f"/workforce/hours/people/{siti.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "Hours of Siti" in page
    assert "Last 12 months" in page
    assert "7.50" in page  # verified total
    assert "Waiting for verification" in page
    assert page.count("<tr>") >= 4


def test_adding_hours_through_the_form_records_them_for_verification(siti: Person, facility: Facility) -> None:
    client = as_user(siti)
    url = f"/workforce/hours/people/{siti.pk}/add/"
    assert "Record the hours" in client.get(url).content.decode()
    day = timezone.localdate() - timedelta(days=1)
    response = client.post(url, {"facility": facility.pk, "worked_on": day.isoformat(), "hours": "6.5", "note": "poli"})
    assert response.status_code == 302
    entry = HoursEntry.objects.get()
    assert (entry.hours, entry.status, entry.note, entry.entered_by_id) == (
        Decimal("6.5"),
        HoursStatus.SUBMITTED,
        "poli",
        siti.user_id,
    )
    assert "wait for verification" in client.get(response["Location"]).content.decode()


def test_a_bad_form_shows_each_fields_error_and_saves_nothing(siti: Person, facility: Facility) -> None:
    client = as_user(siti)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(
        f"/workforce/hours/people/{siti.pk}/add/",
        {"facility": facility.pk, "worked_on": tomorrow.isoformat(), "hours": "30"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The date cannot be in the future." in page
    assert "A day has at most 24 hours." in page
    assert page.count('class="field-error"') == 2
    assert not HoursEntry.objects.exists()


def test_the_form_offers_only_the_facilities_where_the_person_works(
    siti: Person, org: Organization, facility: Facility
) -> None:
    elsewhere = Facility.objects.create(
        organization=org, name="Klinik Lain Kota", code="lain", kind="pain_clinic", province="X", regency="Y",
        regency_code="1.1",
    )  # fmt: skip
    client = as_user(siti)
    response = client.post(
        f"/workforce/hours/people/{siti.pk}/add/",
        {"facility": elsewhere.pk, "worked_on": timezone.localdate().isoformat(), "hours": "1"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<option value="{elsewhere.pk}"' not in page
    assert f'<option value="{facility.pk}"' in page
    assert "Select a valid choice." in page
    assert not HoursEntry.objects.exists()


def test_a_nurse_cannot_open_a_colleagues_ledger_and_another_organizations_person_is_not_found(
    siti: Person, make_member: MakeMember, org: Organization, other_org: Organization, facility: Facility
) -> None:
    colleague = staff(make_member, org, Role.NURSE, "dewi", facility)
    foreign = Person.objects.create(organization=other_org, full_name="Orang Lain", citizenship="citizen")
    client = as_user(siti)
    assert client.get(f"/workforce/hours/people/{colleague.pk}/").status_code == 403
    assert client.get(f"/workforce/hours/people/{colleague.pk}/add/").status_code == 403
    assert client.get(f"/workforce/hours/people/{foreign.pk}/").status_code == 404
    assert client.get(f"/workforce/hours/people/{foreign.pk}/add/").status_code == 404


def test_a_physician_verifies_and_rejects_from_the_pending_list(siti: Person, budi: Person, facility: Facility) -> None:
    first = entry_of(siti, facility, "4", note="ward round")
    second = entry_of(siti, facility, "3", days_ago=3)
    client = as_user(budi)
    page = client.get("/workforce/hours/pending/").content.decode()
    assert "ward round" in page
    assert f'id="reject{first.pk}_reason"' in page
    response = client.post(f"/workforce/hours/{first.pk}/verify/")
    assert response.status_code == 302
    assert HoursEntry.objects.get(pk=first.pk).status == HoursStatus.VERIFIED

    empty = client.post(f"/workforce/hours/{second.pk}/reject/", {"reason": "  "})
    assert empty.status_code == 200
    assert "This field is required." in empty.content.decode()
    assert HoursEntry.objects.get(pk=second.pk).status == HoursStatus.SUBMITTED

    client.post(f"/workforce/hours/{second.pk}/reject/", {"reason": "Cuti"})
    assert HoursEntry.objects.get(pk=second.pk).status == HoursStatus.REJECTED
    assert "Nothing waits for your verification." in client.get("/workforce/hours/pending/").content.decode()


def test_verifying_ones_own_hours_by_a_crafted_post_is_forbidden(budi: Person, facility: Facility) -> None:
    own = entry_of(budi, facility)
    client = as_user(budi)
    assert client.post(f"/workforce/hours/{own.pk}/verify/").status_code == 403
    assert HoursEntry.objects.get(pk=own.pk).status == HoursStatus.SUBMITTED


def test_another_organizations_entry_is_not_found_for_verification(
    budi: Person, other_org: Organization, other_facility: Facility
) -> None:
    foreign_person = Person.objects.create(organization=other_org, full_name="Orang Lain", citizenship="citizen")
    foreign = entry_of(foreign_person, other_facility, entered_by=None)
    client = as_user(budi)
    assert client.post(f"/workforce/hours/{foreign.pk}/verify/").status_code == 404
    assert client.post(f"/api/workforce/hours/{foreign.pk}/verify").status_code == 404


def test_a_nurse_has_no_pending_list(siti: Person) -> None:
    assert as_user(siti).get("/workforce/hours/pending/").status_code == 403


# --- API ------------------------------------------------------------------------------


def test_the_api_records_lists_and_totals_hours(siti: Person, facility: Facility) -> None:
    client = as_user(siti)
    day = timezone.localdate() - timedelta(days=1)
    created = client.post(
        "/api/workforce/hours",
        {"person_id": siti.pk, "facility_id": facility.pk, "worked_on": day.isoformat(), "hours": "5.25"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["hours"], body["status"], body["source"], body["entered_by_id"]) == (
        5.25,
        "submitted",
        "manual",
        siti.user_id,
    )
    listed = client.get("/api/workforce/hours", {"person": siti.pk}).json()
    assert (listed["count"], [i["id"] for i in listed["items"]]) == (1, [body["id"]])
    entry_of(siti, facility, "8", days_ago=10, status=HoursStatus.VERIFIED)
    totals = client.get(f"/api/workforce/people/{siti.pk}/hours/totals").json()
    assert [(w["months"], w["hours"]) for w in totals["overall"]] == [(12, 8.0), (36, 8.0)]
    assert totals["pending"] == 5.25
    assert totals["facilities"][0]["facility_name"] == facility.name


def test_the_api_names_each_bad_field_in_the_error_envelope(
    siti: Person, facility: Facility, other_facility: Facility
) -> None:
    client = as_user(siti)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(
        "/api/workforce/hours",
        {"person_id": siti.pk, "facility_id": facility.pk, "worked_on": tomorrow.isoformat(), "hours": "0"},
        content_type="application/json",
    )
    assert response.status_code == 422
    fields = {f["field"] for f in response.json()["error"]["fields"]}
    assert fields == {"worked_on", "hours"}
    foreign = client.post(
        "/api/workforce/hours",
        {"person_id": siti.pk, "facility_id": other_facility.pk, "worked_on": "2026-01-01", "hours": 1},
        content_type="application/json",
    )
    assert foreign.status_code == 422
    assert [f["field"] for f in foreign.json()["error"]["fields"]] == ["facility_id"]
    assert not HoursEntry.objects.exists()


def test_the_api_verifies_for_a_supervisor_and_refuses_the_person_themselves(
    siti: Person, budi: Person, facility: Facility
) -> None:
    entry = entry_of(siti, facility)
    refused = as_user(siti).post(f"/api/workforce/hours/{entry.pk}/verify")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    physician = as_user(budi)
    assert [e["id"] for e in physician.get("/api/workforce/hours/pending").json()["items"]] == [entry.pk]
    verified = physician.post(f"/api/workforce/hours/{entry.pk}/verify")
    assert verified.status_code == 200
    assert (verified.json()["status"], verified.json()["decided_by_id"]) == ("verified", budi.user_id)
    again = physician.post(f"/api/workforce/hours/{entry.pk}/reject", {"reason": "x"}, content_type="application/json")
    assert again.status_code == 422
    assert again.json()["error"]["fields"][0]["field"] == "status"


def test_the_pending_hours_are_paged_oldest_day_first_as_the_ledger_shows_them(
    siti: Person, budi: Person, facility: Facility
) -> None:
    older, newer = entry_of(siti, facility, days_ago=3), entry_of(siti, facility, hours="7.5", days_ago=1)
    physician = as_user(budi)
    first = physician.get("/api/workforce/hours/pending", {"page_size": 1}).json()
    assert (first["count"], first["page"], first["pages"], first["page_size"]) == (2, 1, 2, 1)
    assert [e["id"] for e in first["items"]] == [older.pk]
    [row] = physician.get("/api/workforce/hours/pending", {"page_size": 1, "page": 2}).json()["items"]
    ledger = as_user(siti).get("/api/workforce/hours", {"person": siti.pk}).json()["items"]
    assert row == next(e for e in ledger if e["id"] == newer.pk)
    assert row["hours"] == 7.5


def test_the_api_hides_another_organizations_people(siti: Person, other_org: Organization) -> None:
    foreign = Person.objects.create(organization=other_org, full_name="Orang Lain", citizenship="citizen")
    client = as_user(siti)
    assert client.get("/api/workforce/hours", {"person": foreign.pk}).status_code == 404
    assert client.get(f"/api/workforce/people/{foreign.pk}/hours/totals").status_code == 404
    response = client.post(
        "/api/workforce/hours",
        {"person_id": foreign.pk, "facility_id": 999_999, "worked_on": "2026-01-01", "hours": 1},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert {f["field"] for f in response.json()["error"]["fields"]} == {"person_id", "facility_id"}
