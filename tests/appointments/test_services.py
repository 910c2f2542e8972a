"""Appointment services: every rule of booking, rescheduling, cancelling, no-shows, check-in and follow-ups."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone, translation

from nyeri.accounts.models import User
from nyeri.appointments import selectors, services
from nyeri.appointments.models import Appointment, AppointmentKind, AppointmentStatus
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.models import Encounter, EncounterKind, EncounterStatus, Patient
from nyeri.tenancy.clock import day_bounds, local_date
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from nyeri.workforce.kinds import Citizenship, CredentialKind
from nyeri.workforce.models import Credential, Person
from tests.appointments.conftest import Book, local, open_hours, today_slot, tomorrow_at
from tests.clinical.conftest import MakePerson, make_patient, scope_of
from tests.conftest import MakeMember


def errors_of(raised: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return raised.value.message_dict


# --- Booking ---------------------------------------------------------------------------------


def test_a_booking_typed_at_the_facility_is_stored_in_utc_and_audited_with_the_engines_basis(
    book: Book, facility: Facility, doctor: Person, patient: Patient
) -> None:
    appointment = book()
    assert appointment.starts_at == local(facility, local_date(facility) + timedelta(days=1), time(10))
    assert appointment.starts_at.utcoffset() == timedelta(0) or appointment.starts_at.tzinfo is not None
    assert (appointment.status, appointment.clinician, appointment.patient) == (
        AppointmentStatus.BOOKED,
        doctor,
        patient,
    )
    event = AuditEvent.objects.get(object_type="appointment", object_id=str(appointment.pk))
    assert (event.action, event.patient_id, event.facility_id) == (AuditAction.CREATE, patient.pk, facility.pk)
    assert f"see_patients allowed for person {doctor.pk}" in event.reason


def test_a_booking_missing_its_fields_ending_before_it_starts_or_of_no_known_kind_names_each_field(
    book: Book, facility: Facility
) -> None:
    with pytest.raises(ValidationError) as missing:
        book(starts_at=None, ends_at=None, kind="massage", clinician=None)
    assert set(errors_of(missing)) == {"starts_at", "ends_at", "kind", "clinician"}
    with pytest.raises(ValidationError) as backwards:
        book(starts_at=tomorrow_at(facility, 11), ends_at=tomorrow_at(facility, 10))
    assert list(errors_of(backwards)) == ["ends_at"]
    assert not Appointment.objects.exists()


def test_a_booking_in_the_past_is_refused_naming_the_start_in_both_languages(book: Book, facility: Facility) -> None:
    past = timezone.now() - timedelta(hours=1)
    with translation.override("en"), pytest.raises(ValidationError) as english:
        book(starts_at=past, ends_at=past + timedelta(minutes=30))
    assert errors_of(english) == {"starts_at": ["The appointment cannot be booked in the past."]}
    with translation.override("id"), pytest.raises(ValidationError) as indonesian:
        book(starts_at=past, ends_at=past + timedelta(minutes=30))
    assert errors_of(indonesian)["starts_at"][0] != "The appointment cannot be booked in the past."


def test_a_booking_outside_the_opening_hours_or_on_a_closed_day_is_refused_naming_the_start(
    book: Book, facility: Facility
) -> None:
    tomorrow = (local_date(facility) + timedelta(days=1)).isoweekday()
    open_hours(facility, time(8), time(16), days=range(tomorrow, tomorrow + 1))
    with translation.override("en"), pytest.raises(ValidationError) as late:
        book(starts_at=tomorrow_at(facility, 15, 45), ends_at=tomorrow_at(facility, 16, 15))
    assert "Outside the opening hours" in errors_of(late)["starts_at"][0]
    assert "08:00-16:00" in errors_of(late)["starts_at"][0]
    assert book(starts_at=tomorrow_at(facility, 15, 30), ends_at=tomorrow_at(facility, 16)).pk
    day_after = datetime.combine(local_date(facility) + timedelta(days=2), time(10))
    with translation.override("en"), pytest.raises(ValidationError) as closed:
        book(starts_at=day_after, ends_at=day_after + timedelta(minutes=30))
    assert errors_of(closed)["starts_at"][0].endswith("is closed on " + day_after.strftime("%A") + ".")


def test_a_facility_without_opening_hours_keeps_the_default_week_closed_on_sunday(
    book: Book, facility: Facility
) -> None:
    open_hours(facility, days=range(0))  # no open day: not described
    today = local_date(facility)
    sunday = today + timedelta(days=(7 - today.isoweekday()) or 7)
    monday = sunday + timedelta(days=1)
    with pytest.raises(ValidationError) as closed:
        book(starts_at=datetime.combine(sunday, time(10)), ends_at=datetime.combine(sunday, time(10, 30)))
    assert list(errors_of(closed)) == ["starts_at"]
    with pytest.raises(ValidationError) as early:
        book(starts_at=datetime.combine(monday, time(7)), ends_at=datetime.combine(monday, time(7, 30)))
    assert list(errors_of(early)) == ["starts_at"]
    assert book(starts_at=datetime.combine(monday, time(8)), ends_at=datetime.combine(monday, time(8, 30))).pk


def test_an_overlapping_booking_of_the_clinician_is_refused_naming_the_other_and_touching_ones_are_not(
    book: Book, facility: Facility
) -> None:
    first = book(starts_at=tomorrow_at(facility, 10), ends_at=tomorrow_at(facility, 10, 30))
    with translation.override("en"), pytest.raises(ValidationError) as overlap:
        book(starts_at=tomorrow_at(facility, 10, 15), ends_at=tomorrow_at(facility, 10, 45))
    message = errors_of(overlap)["starts_at"][0]
    assert message.startswith("dr. Andi Wijaya already has an appointment from ")
    assert "WIB to 10:30" in message
    assert book(starts_at=tomorrow_at(facility, 10, 30), ends_at=tomorrow_at(facility, 11)).pk
    assert book(starts_at=tomorrow_at(facility, 9, 30), ends_at=tomorrow_at(facility, 10)).pk
    # A cancelled booking frees its time.
    services.cancel_appointment(
        scope=scope_of(first.booked_by), acting_user=first.booked_by, appointment=first, reason="Pasien sakit"
    )
    assert book(starts_at=tomorrow_at(facility, 10, 10), ends_at=tomorrow_at(facility, 10, 20)).pk


def test_another_clinicians_booking_at_the_same_time_is_not_an_overlap(
    book: Book, facility: Facility, make_person: MakePerson
) -> None:
    other = make_person(Role.NEUROLOGIST, name="dr. Maya Sari")
    book()
    assert book(clinician=other).clinician == other


def test_a_clinician_without_a_practice_permit_here_is_refused_naming_the_clinician_with_the_engines_reason(
    book: Book, make_person: MakePerson
) -> None:
    unpermitted = make_person(Role.PAIN_PHYSICIAN, name="dr. Tanpa SIP", sip=False)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        book(clinician=unpermitted)
    message = errors_of(refused)["clinician"][0]
    assert message.startswith("dr. Tanpa SIP may not see patients at Layanan Nyeri RS Sehat on ")
    assert "No practice permit (SIP) for this facility." in message


def test_a_clinician_whose_permit_lapses_before_the_day_is_refused_for_that_day_only(
    book: Book, facility: Facility, doctor: Person
) -> None:
    Credential.objects.filter(person=doctor, kind=CredentialKind.PRACTICE_PERMIT).update(
        expires_on=local_date(facility) + timedelta(days=1)
    )
    assert book().pk  # tomorrow: the permit's last day
    later = datetime.combine(local_date(facility) + timedelta(days=2), time(10))
    with pytest.raises(ValidationError) as refused:
        book(starts_at=later, ends_at=later + timedelta(minutes=30))
    assert list(errors_of(refused)) == ["clinician"]


def test_a_pharmacist_or_another_organizations_person_cannot_be_booked(
    book: Book, make_person: MakePerson, other_org: Organization
) -> None:
    pharmacist = make_person(Role.PHARMACIST, name="apt. Nurul")
    with pytest.raises(ValidationError) as refused:
        book(clinician=pharmacist)
    assert list(errors_of(refused)) == ["clinician"]
    stranger = Person.objects.create(organization=other_org, full_name="Orang Lain", citizenship=Citizenship.CITIZEN)
    with pytest.raises(ValidationError) as foreign:
        book(clinician=stranger)
    assert list(errors_of(foreign)) == ["clinician"]


def test_a_member_without_a_clinical_role_cannot_book_and_the_refusal_is_audited(
    org: Organization, make_member: MakeMember, patient: Patient, facility: Facility, doctor: Person
) -> None:
    officer = make_member(org, Role.CREDENTIALING_OFFICER, username="dewi")
    scope = scope_of(officer)
    with pytest.raises(PermissionDenied):
        services.book_appointment(
            scope=scope,
            acting_user=officer,
            patient=patient,
            facility=facility,
            clinician=doctor,
            kind=AppointmentKind.NEW_PATIENT,
            starts_at=tomorrow_at(facility, 10),
            ends_at=tomorrow_at(facility, 10, 30),
        )
    assert AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED, actor=officer).count() == 1
    assert not Appointment.objects.exists()


def test_another_organizations_patient_or_facility_is_not_found_or_refused(
    book: Book, foreign_patient: Patient, other_facility: Facility
) -> None:
    with pytest.raises(Http404):
        book(patient=foreign_patient)
    with pytest.raises(ValidationError) as refused:
        book(facility=other_facility)
    assert "facility" in errors_of(refused)


# --- Rescheduling, cancelling, no-shows -----------------------------------------------------------


def test_a_booking_is_rescheduled_by_the_same_rules_and_the_move_is_audited(
    book: Book, facility: Facility, clinician_scope: Scope
) -> None:
    first = book()
    second = book(starts_at=tomorrow_at(facility, 11), ends_at=tomorrow_at(facility, 11, 30))
    with pytest.raises(ValidationError) as overlap:
        services.reschedule_appointment(
            scope=clinician_scope,
            acting_user=clinician_scope.user,
            appointment=second,
            starts_at=tomorrow_at(facility, 10, 15),
            ends_at=tomorrow_at(facility, 10, 45),
        )
    assert list(errors_of(overlap)) == ["starts_at"]
    # Its own time is no overlap: moved by a quarter of an hour within itself.
    moved = services.reschedule_appointment(
        scope=clinician_scope,
        acting_user=clinician_scope.user,
        appointment=first,
        starts_at=tomorrow_at(facility, 10, 15),
        ends_at=tomorrow_at(facility, 10, 45),
    )
    assert moved.starts_at == local(facility, local_date(facility) + timedelta(days=1), time(10, 15))
    assert Appointment.objects.get(pk=first.pk).starts_at == moved.starts_at
    event = AuditEvent.objects.filter(object_id=str(first.pk), action=AuditAction.UPDATE).get()
    assert event.reason.startswith("rescheduled from ")
    past = timezone.now() - timedelta(hours=2)
    with pytest.raises(ValidationError) as backwards:
        services.reschedule_appointment(
            scope=clinician_scope,
            acting_user=clinician_scope.user,
            appointment=first,
            starts_at=past,
            ends_at=past + timedelta(minutes=30),
        )
    assert list(errors_of(backwards)) == ["starts_at"]


def test_a_cancellation_needs_a_reason_keeps_the_row_and_cannot_be_undone_by_a_reschedule(
    book: Book, clinician_scope: Scope, facility: Facility
) -> None:
    appointment = book()
    with pytest.raises(ValidationError) as no_reason:
        services.cancel_appointment(
            scope=clinician_scope, acting_user=clinician_scope.user, appointment=appointment, reason="  "
        )
    assert list(errors_of(no_reason)) == ["reason"]
    cancelled = services.cancel_appointment(
        scope=clinician_scope, acting_user=clinician_scope.user, appointment=appointment, reason="Pasien dirawat inap"
    )
    row = Appointment.objects.get(pk=appointment.pk)
    assert (row.status, row.cancel_reason) == (AppointmentStatus.CANCELLED, "Pasien dirawat inap")
    assert cancelled.status == AppointmentStatus.CANCELLED
    assert AuditEvent.objects.filter(object_id=str(appointment.pk), action=AuditAction.CANCEL).exists()
    with pytest.raises(ValidationError) as again:
        services.reschedule_appointment(
            scope=clinician_scope,
            acting_user=clinician_scope.user,
            appointment=appointment,
            starts_at=tomorrow_at(facility, 12),
            ends_at=tomorrow_at(facility, 12, 30),
        )
    assert list(errors_of(again)) == ["status"]


def test_a_patient_is_a_no_show_only_once_the_appointment_has_begun(
    book: Book, booked_today: Appointment, clinician_scope: Scope
) -> None:
    later = book()
    with pytest.raises(ValidationError) as early:
        services.mark_no_show(scope=clinician_scope, acting_user=clinician_scope.user, appointment=later)
    assert list(errors_of(early)) == ["status"]
    marked = services.mark_no_show(scope=clinician_scope, acting_user=clinician_scope.user, appointment=booked_today)
    assert Appointment.objects.get(pk=marked.pk).status == AppointmentStatus.NO_SHOW
    with pytest.raises(ValidationError) as checked_in:
        services.check_in(scope=clinician_scope, acting_user=clinician_scope.user, appointment=booked_today)
    assert list(errors_of(checked_in)) == ["status"]


# --- Check-in and the encounter -------------------------------------------------------------------


def test_checking_in_opens_the_encounter_of_the_appointments_kind_now_and_audits_both(
    booked_today: Appointment, clinician_scope: Scope, patient: Patient, facility: Facility
) -> None:
    before = timezone.now()
    checked = services.check_in(scope=clinician_scope, acting_user=clinician_scope.user, appointment=booked_today)
    encounter = Encounter.objects.get(pk=checked.encounter_id)
    assert (encounter.patient, encounter.facility, encounter.kind, encounter.status) == (
        patient,
        facility,
        EncounterKind.FIRST_VISIT,
        EncounterStatus.IN_PROGRESS,
    )
    assert encounter.starts_at >= before
    row = Appointment.objects.get(pk=booked_today.pk)
    assert (row.status, row.encounter_id) == (AppointmentStatus.CHECKED_IN, encounter.pk)
    assert AuditEvent.objects.filter(object_type="encounter", object_id=str(encounter.pk)).exists()
    assert AuditEvent.objects.filter(
        object_type="appointment", object_id=str(row.pk), reason=f"checked in; encounter {encounter.pk} opened"
    ).exists()
    with pytest.raises(ValidationError) as twice:
        services.check_in(scope=clinician_scope, acting_user=clinician_scope.user, appointment=booked_today)
    assert list(errors_of(twice)) == ["status"]
    assert Encounter.objects.count() == 1


def test_checking_in_a_cancelled_appointment_is_refused_naming_the_status_in_both_languages(
    booked_today: Appointment, clinician_scope: Scope
) -> None:
    services.cancel_appointment(
        scope=clinician_scope, acting_user=clinician_scope.user, appointment=booked_today, reason="Jadwal ulang"
    )
    with translation.override("en"), pytest.raises(ValidationError) as english:
        services.check_in(scope=clinician_scope, acting_user=clinician_scope.user, appointment=booked_today)
    assert errors_of(english) == {"status": ["This appointment was cancelled: it cannot be checked in."]}
    with translation.override("id"), pytest.raises(ValidationError) as indonesian:
        services.check_in(scope=clinician_scope, acting_user=clinician_scope.user, appointment=booked_today)
    assert errors_of(indonesian)["status"][0] != "This appointment was cancelled: it cannot be checked in."
    assert not Encounter.objects.exists()


def test_a_patient_is_checked_in_only_on_the_day_of_the_appointment(book: Book, clinician_scope: Scope) -> None:
    tomorrow = book()
    with pytest.raises(ValidationError) as early:
        services.check_in(scope=clinician_scope, acting_user=clinician_scope.user, appointment=tomorrow)
    assert list(errors_of(early)) == ["status"]
    assert not Encounter.objects.exists()


def test_completing_a_checked_in_appointment_finishes_its_encounter(
    booked_today: Appointment, clinician_scope: Scope
) -> None:
    with pytest.raises(ValidationError) as not_yet:
        services.complete_appointment(scope=clinician_scope, acting_user=clinician_scope.user, appointment=booked_today)
    assert list(errors_of(not_yet)) == ["status"]
    checked = services.check_in(scope=clinician_scope, acting_user=clinician_scope.user, appointment=booked_today)
    done = services.complete_appointment(scope=clinician_scope, acting_user=clinician_scope.user, appointment=checked)
    assert done.status == AppointmentStatus.COMPLETED
    assert Encounter.objects.get(pk=checked.encounter_id).status == EncounterStatus.FINISHED


def test_a_follow_up_is_booked_from_an_encounter_for_its_patient_at_its_facility(
    booked_today: Appointment, clinician_scope: Scope, facility: Facility, doctor: Person, patient: Patient
) -> None:
    checked = services.check_in(scope=clinician_scope, acting_user=clinician_scope.user, appointment=booked_today)
    encounter = Encounter.objects.get(pk=checked.encounter_id)
    in_two_weeks = datetime.combine(local_date(facility) + timedelta(days=14), time(9))
    follow_up = services.book_follow_up(
        scope=clinician_scope,
        acting_user=clinician_scope.user,
        encounter=encounter,
        clinician=doctor,
        starts_at=in_two_weeks,
        ends_at=in_two_weeks + timedelta(minutes=20),
    )
    assert (follow_up.kind, follow_up.patient, follow_up.facility, follow_up.follow_up_of) == (
        AppointmentKind.FOLLOW_UP,
        patient,
        facility,
        encounter,
    )
    assert (
        f"follow-up of encounter {encounter.pk}"
        in AuditEvent.objects.get(object_id=str(follow_up.pk), action=AuditAction.CREATE).reason
    )


# --- Reading: scoping and the facility's day -------------------------------------------------------


def test_another_organizations_appointment_is_not_found(
    book: Book, other_org: Organization, make_member: MakeMember
) -> None:
    appointment = book()
    stranger = make_member(other_org, Role.PAIN_PHYSICIAN, username="lain")
    with pytest.raises(Http404):
        selectors.access_appointment(scope_of(stranger), appointment.pk)
    with pytest.raises(Http404):
        services.cancel_appointment(
            scope=scope_of(stranger), acting_user=stranger, appointment=appointment, reason="coba"
        )
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.BOOKED


def test_a_member_limited_to_another_facility_does_not_find_the_appointment(
    book: Book, org: Organization, make_member: MakeMember
) -> None:
    appointment = book()
    elsewhere = Facility.objects.create(
        organization=org,
        name="Klinik Nyeri Cimahi",
        code="cimahi",
        kind=Facility.Kind.PAIN_CLINIC,
        province="Jawa Barat",
        regency="Kota Cimahi",
        regency_code="32.77",
    )
    limited = make_member(org, Role.NURSE, username="wulan", facilities=(elsewhere,))
    with pytest.raises(Http404):
        selectors.access_appointment(scope_of(limited), appointment.pk)
    assert selectors.access_appointment(scope_of(appointment.booked_by), appointment.pk) == appointment


def test_the_day_list_of_a_makassar_clinic_runs_from_midnight_to_midnight_wita(
    org: Organization, clinician_scope: Scope, clinician: User, make_person: MakePerson
) -> None:
    makassar = Facility.objects.create(
        organization=org,
        name="Klinik Nyeri Makassar",
        code="makassar",
        kind=Facility.Kind.PAIN_CLINIC,
        province="Sulawesi Selatan",
        regency="Kota Makassar",
        regency_code="73.71",
        time_zone="Asia/Makassar",
    )
    open_hours(makassar)
    patient = make_patient(org, makassar, "RM-9", "Andi Baso")
    doctors = []
    for n in range(3):
        person = make_person(Role.PAIN_PHYSICIAN, name=f"dr. Makassar {n}")
        person.facility_links.update(facility=makassar)
        Credential.objects.filter(person=person, kind=CredentialKind.PRACTICE_PERMIT).update(
            facility=makassar, issuer_regency_code="73.71"
        )
        doctors.append(person)
    day = local_date(makassar) + timedelta(days=1)
    # 00:00 and 23:30 WITA are the day's; 00:00 WITA the next day is not (16:00 UTC, Jakarta's 23:00).
    slots = [(doctors[0], time(0, 0)), (doctors[1], time(23, 30))]
    for person, at in [*slots, (doctors[2], time(0, 0))]:
        when = day if at != time(0, 0) or person is not doctors[2] else day + timedelta(days=1)
        services.book_appointment(
            scope=clinician_scope,
            acting_user=clinician,
            patient=patient,
            facility=makassar,
            clinician=person,
            kind=AppointmentKind.FOLLOW_UP,
            starts_at=datetime.combine(when, at),
            ends_at=datetime.combine(when, at) + timedelta(minutes=20),
        )
    found = selectors.day_list(clinician_scope, makassar, day)
    assert (found.starts_at, found.ends_at) == day_bounds(makassar, day)
    assert found.starts_at.astimezone(UTC).time() == time(16, 0)
    assert found.zone == "WITA"
    assert [a.clinician for a in found.appointments] == [doctors[0], doctors[1]]
    assert AuditEvent.objects.filter(
        object_type="appointment", action=AuditAction.READ, reason__startswith=f"day list {day.isoformat()}"
    ).exists()
    one = selectors.day_list(clinician_scope, makassar, day, clinician=doctors[1])
    assert [a.clinician for a in one.appointments] == [doctors[1]]


def test_the_home_panel_shows_a_physician_their_appointments_today_and_the_checked_in_patients(
    booked_today: Appointment, book: Book, doctor_scope: Scope, clinician_scope: Scope, facility: Facility
) -> None:
    services.check_in(scope=clinician_scope, acting_user=clinician_scope.user, appointment=booked_today)
    panel = selectors.home_panel(doctor_scope, facility)
    assert panel is not None
    assert [a.pk for a in panel.mine] == [booked_today.pk]
    assert [a.pk for a in panel.checked_in] == [booked_today.pk]


def test_the_home_panel_is_for_physicians_and_nurses_only(
    org: Organization, make_member: MakeMember, facility: Facility
) -> None:
    pharmacist = make_member(org, Role.PHARMACIST, username="nurul")
    assert selectors.home_panel(scope_of(pharmacist), facility) is None


def test_the_day_list_uses_the_facilitys_date_not_a_fixed_one(facility: Facility, clinician_scope: Scope) -> None:
    assert selectors.day_list(clinician_scope, facility, date(2026, 1, 1)).appointments == ()
    start, _end = today_slot(facility)
    assert local_date(facility, start) == local_date(facility)


def test_a_booking_years_ahead_or_lasting_past_its_day_is_refused_naming_the_field(
    book: Book, facility: Facility
) -> None:
    far = datetime(9999, 12, 31, 23, 0)
    with pytest.raises(ValidationError) as too_far:
        book(starts_at=far, ends_at=far + timedelta(minutes=30))
    assert list(errors_of(too_far)) == ["starts_at"]
    with pytest.raises(ValidationError) as too_long:
        book(starts_at=tomorrow_at(facility, 10), ends_at=datetime(9999, 12, 31, 23, 0))
    assert list(errors_of(too_long)) == ["ends_at"]
