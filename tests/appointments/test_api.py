"""The appointments API: the day paged, booking with bad input named by field in both languages, check-in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client

from nyeri.accounts.models import User
from nyeri.appointments.models import Appointment, AppointmentStatus
from nyeri.clinical.models import Encounter, Patient
from nyeri.tenancy.clock import local_date
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.workforce.models import Person
from tests.appointments.conftest import Book, tomorrow_at
from tests.conftest import MakeMember, log_in


def post(client: Client, url: str, body: dict[str, Any], language: str = "en") -> Any:
    return client.post(url, body, content_type="application/json", headers={"accept-language": language})


def fields(response: Any) -> dict[str, str]:
    return {f["field"]: f["message"] for f in response.json()["error"]["fields"]}


def test_an_appointment_is_booked_through_the_api_on_the_facilitys_clock(
    clinician_client: Client, facility: Facility, patient: Patient, doctor: Person
) -> None:
    start = tomorrow_at(facility, 9)
    body = {
        "patient_id": patient.pk,
        "facility_id": facility.pk,
        "clinician_id": doctor.pk,
        "kind": "new_patient",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(minutes=30)).isoformat(),
    }
    response = post(clinician_client, "/api/appointments", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["local_start"], data["zone"], data["status"]) == (start.strftime("%Y-%m-%dT%H:%M"), "WIB", "booked")
    assert data["kind_label"] == "Pasien baru"  # the user's language
    again = post(clinician_client, "/api/appointments", body)
    assert again.status_code == 422
    assert list(fields(again)) == ["starts_at"]
    assert fields(again)["starts_at"].startswith("dr. Andi Wijaya sudah punya janji temu dari ")


def test_bad_bookings_are_refused_naming_each_field_in_the_api_names(
    clinician_client: Client, facility: Facility, patient: Patient, doctor: Person
) -> None:
    start = tomorrow_at(facility, 9)
    body = {
        "patient_id": patient.pk,
        "facility_id": 999_999,
        "clinician_id": 999_999,
        "kind": "massage",
        "starts_at": start.isoformat(),
        "ends_at": (start - timedelta(minutes=30)).isoformat(),
    }
    response = post(clinician_client, "/api/appointments", body)
    assert response.status_code == 422
    assert set(fields(response)) == {"facility_id", "clinician_id", "kind", "ends_at"}
    assert not Appointment.objects.exists()


def test_the_days_list_is_paged_and_another_organizations_facility_is_not_found(
    clinician_client: Client, book: Book, facility: Facility, other_facility: Facility
) -> None:
    for hour in (9, 10, 11):
        book(starts_at=tomorrow_at(facility, hour), ends_at=tomorrow_at(facility, hour, 30))
    tomorrow = (local_date(facility) + timedelta(days=1)).isoformat()
    page = clinician_client.get("/api/appointments", {"facility_id": facility.pk, "day": tomorrow, "page_size": 2})
    assert page.status_code == 200
    data = page.json()
    assert (data["count"], data["pages"], len(data["items"])) == (3, 2, 2)
    assert [i["local_start"][-5:] for i in data["items"]] == ["09:00", "10:00"]
    assert clinician_client.get("/api/appointments", {"facility_id": other_facility.pk}).status_code == 404


def test_checking_in_through_the_api_opens_the_encounter_and_a_cancelled_one_is_refused_in_english_too(
    clinician: User, booked_today: Appointment, book: Book
) -> None:
    clinician.language = "en"
    clinician.save(update_fields=["language"])
    clinician_client = log_in(Client(), clinician)
    response = post(clinician_client, f"/api/appointments/{booked_today.pk}/check-in", {})
    assert response.status_code == 200, response.content
    assert response.json()["encounter_id"] == Encounter.objects.get().pk
    later = book()
    cancelled = post(clinician_client, f"/api/appointments/{later.pk}/cancel", {"reason": "Pasien pindah kota"})
    assert cancelled.json()["status"] == AppointmentStatus.CANCELLED
    refused = post(clinician_client, f"/api/appointments/{later.pk}/check-in", {}, "en")
    assert refused.status_code == 422
    assert fields(refused) == {"status": "This appointment was cancelled: it cannot be checked in."}


def test_a_follow_up_is_booked_from_an_encounter_through_the_api(
    clinician_client: Client, booked_today: Appointment, facility: Facility, doctor: Person
) -> None:
    post(clinician_client, f"/api/appointments/{booked_today.pk}/check-in", {})
    encounter = Encounter.objects.get()
    start = tomorrow_at(facility, 13)
    response = post(
        clinician_client,
        f"/api/encounters/{encounter.pk}/follow-ups",
        {
            "clinician_id": doctor.pk,
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(minutes=20)).isoformat(),
        },
    )
    assert response.status_code == 201, response.content
    assert (response.json()["kind"], response.json()["follow_up_of_id"]) == ("follow_up", encounter.pk)


def test_another_organizations_appointment_is_not_found_through_the_api(
    book: Book, other_org: Organization, make_member: MakeMember
) -> None:
    appointment = book()
    stranger = log_in(Client(), make_member(other_org, Role.NURSE, username="lain"))
    assert stranger.get(f"/api/appointments/{appointment.pk}").status_code == 404
    assert post(stranger, f"/api/appointments/{appointment.pk}/no-show", {}).status_code == 404


def test_a_day_beyond_any_calendar_is_refused_naming_it(clinician_client: Client, facility: Facility) -> None:
    response = clinician_client.get("/api/appointments", {"facility_id": facility.pk, "day": "9999-12-31"})
    assert response.status_code == 422
    assert "day" in str(response.json())
