"""Appointment pages: the day's list, booking (with the patient search), check-in to the encounter, the home panel."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client

from nyeri.appointments.models import Appointment, AppointmentStatus
from nyeri.clinical.models import Encounter, Patient
from nyeri.tenancy.clock import facility_zone, local_date
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.workforce.models import Person
from tests.appointments.conftest import Book, tomorrow_at
from tests.conftest import MakeMember, log_in


def test_the_days_list_shows_the_facilitys_day_with_its_zone_and_a_date_picker(
    clinician_client: Client, book: Book, facility: Facility
) -> None:
    appointment = book()
    tomorrow = local_date(facility) + timedelta(days=1)
    page = clinician_client.get(f"/appointments/facilities/{facility.pk}/?day={tomorrow.isoformat()}")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'id="appointment-{appointment.pk}"' in html
    assert "10:00\N{EN DASH}10:30" in html
    assert "WIB" in html
    assert 'type="date"' in html
    today = clinician_client.get(f"/appointments/facilities/{facility.pk}/")
    assert f'id="appointment-{appointment.pk}"' not in today.content.decode()


def test_the_days_list_of_one_clinician_leaves_out_the_others(
    clinician_client: Client, book: Book, facility: Facility, doctor: Person, make_person: object
) -> None:
    other = make_person(Role.NEUROLOGIST, name="dr. Maya Sari")  # type: ignore[operator]
    mine, theirs = book(), book(clinician=other)
    tomorrow = local_date(facility) + timedelta(days=1)
    html = clinician_client.get(
        f"/appointments/facilities/{facility.pk}/?day={tomorrow.isoformat()}&clinician={doctor.pk}"
    ).content.decode()
    assert f'id="appointment-{mine.pk}"' in html
    assert f'id="appointment-{theirs.pk}"' not in html


def test_booking_finds_the_patient_with_the_patient_search_then_books_and_names_bad_fields(
    clinician_client: Client, facility: Facility, patient: Patient, doctor: Person
) -> None:
    url = f"/appointments/facilities/{facility.pk}/book/"
    found = clinician_client.get(url, {"q": "Dadang"})
    assert f"?patient={patient.pk}" in found.content.decode()
    start = tomorrow_at(facility, 9).strftime("%Y-%m-%dT%H:%M")
    body = {"clinician": doctor.pk, "kind": "new_patient", "starts_at": start, "minutes": "30"}
    booked = clinician_client.post(f"{url}?patient={patient.pk}", body)
    assert booked.status_code == 302
    appointment = Appointment.objects.get()
    assert (appointment.patient, appointment.clinician, appointment.ends_at - appointment.starts_at) == (
        patient,
        doctor,
        timedelta(minutes=30),
    )
    again = clinician_client.post(f"{url}?patient={patient.pk}", body)
    assert again.status_code == 400
    assert "already has an appointment" in again.content.decode() or "sudah" in again.content.decode()
    assert Appointment.objects.count() == 1


def test_checking_in_from_the_list_opens_the_encounter_page(
    clinician_client: Client, booked_today: Appointment, facility: Facility
) -> None:
    html = clinician_client.get(f"/appointments/facilities/{facility.pk}/").content.decode()
    assert f"/appointments/{booked_today.pk}/check-in/" in html
    response = clinician_client.post(f"/appointments/{booked_today.pk}/check-in/")
    encounter = Encounter.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/patients/encounters/{encounter.pk}/"
    assert Appointment.objects.get().status == AppointmentStatus.CHECKED_IN


def test_a_checked_in_appointment_names_its_encounter_with_the_facilitys_date_format(
    clinician_client: Client, booked_today: Appointment, facility: Facility
) -> None:
    clinician_client.post(f"/appointments/{booked_today.pk}/check-in/")
    encounter = Encounter.objects.get()
    html = clinician_client.get(f"/appointments/{booked_today.pk}/").content.decode()
    link = f'href="/patients/encounters/{encounter.pk}/">'
    shown = html.split(link, 1)[1].split("</dd>", 1)[0]
    # Its kind and the moment it opened, as every date is shown: never the ISO form of __str__.
    assert shown.startswith(f"{encounter.get_kind_display()}</a>")
    assert f"{encounter.starts_at.astimezone(facility_zone(facility)):%Y-%m-%d}" not in shown
    assert shown.endswith("WIB")


def test_checking_in_a_cancelled_appointment_shows_the_reason_on_its_page(
    clinician_client: Client, booked_today: Appointment
) -> None:
    clinician_client.post(f"/appointments/{booked_today.pk}/cancel/", {"reason": "Pasien membatalkan"})
    refused = clinician_client.post(f"/appointments/{booked_today.pk}/check-in/")
    assert refused.status_code == 400
    assert 'role="alert"' in refused.content.decode()
    assert not Encounter.objects.exists()


def test_cancelling_without_a_reason_names_the_field_and_keeps_the_booking(
    clinician_client: Client, book: Book
) -> None:
    appointment = book()
    response = clinician_client.post(f"/appointments/{appointment.pk}/cancel/", {"reason": ""})
    assert response.status_code == 400
    assert "field-error" in response.content.decode()
    assert Appointment.objects.get().status == AppointmentStatus.BOOKED


def test_the_encounter_page_offers_a_follow_up_booked_from_it(
    clinician_client: Client, booked_today: Appointment, facility: Facility, doctor: Person
) -> None:
    clinician_client.post(f"/appointments/{booked_today.pk}/check-in/")
    encounter = Encounter.objects.get()
    page = clinician_client.get(f"/patients/encounters/{encounter.pk}/").content.decode()
    link = f"/appointments/facilities/{facility.pk}/book/?encounter={encounter.pk}"
    assert link in page
    start = (tomorrow_at(facility, 11)).strftime("%Y-%m-%dT%H:%M")
    booked = clinician_client.post(
        link, {"clinician": doctor.pk, "kind": "follow_up", "starts_at": start, "minutes": "20"}
    )
    assert booked.status_code == 302
    follow_up = Appointment.objects.exclude(pk=booked_today.pk).get()
    assert (follow_up.kind, follow_up.follow_up_of) == ("follow_up", encounter)


def test_the_home_page_shows_a_physician_todays_appointments_and_the_navigation_links_them(
    doctor_client: Client, booked_today: Appointment, facility: Facility
) -> None:
    home = doctor_client.get(f"/facilities/{facility.pk}/").content.decode()
    assert 'data-testid="appointments-today"' in home
    assert 'data-testid="my-appointments"' in home
    assert f'id="appointment-{booked_today.pk}"' in home
    assert 'data-testid="appointments-link"' in home


def test_the_home_page_of_a_credentialing_officer_has_no_appointments_panel(
    org: Organization, make_member: MakeMember, facility: Facility
) -> None:
    officer = make_member(org, Role.CREDENTIALING_OFFICER, username="dewi")
    home = log_in(Client(), officer).get(f"/facilities/{facility.pk}/").content.decode()
    assert 'data-testid="appointments-today"' not in home
    assert log_in(Client(), officer).get(f"/appointments/facilities/{facility.pk}/").status_code == 403


def test_another_organizations_appointment_page_is_not_found(
    book: Book, other_org: Organization, make_member: MakeMember
) -> None:
    appointment = book()
    stranger = log_in(Client(), make_member(other_org, Role.NURSE, username="lain"))
    assert stranger.get(f"/appointments/{appointment.pk}/").status_code == 404
    assert stranger.post(f"/appointments/{appointment.pk}/check-in/").status_code == 404


def test_a_day_beyond_any_calendar_or_a_start_in_the_year_9999_is_refused_not_a_server_error(
    clinician_client: Client, facility: Facility, patient: Patient, doctor: Person
) -> None:
    day = clinician_client.get(f"/appointments/facilities/{facility.pk}/?day=9999-12-31")
    assert day.status_code == 200
    assert "field-error" in day.content.decode()
    body = {"clinician": doctor.pk, "kind": "new_patient", "starts_at": "9999-12-31T23:45", "minutes": "30"}
    booked = clinician_client.post(f"/appointments/facilities/{facility.pk}/book/?patient={patient.pk}", body)
    assert booked.status_code == 400
    assert not Appointment.objects.exists()
