"""Appointment fixtures: a facility open all day every day (so that no test depends on the
hour it runs at), a physician and a nurse licensed there, a patient, and slot helpers on the
facility's clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.appointments import services
from nyeri.appointments.models import Appointment, AppointmentKind
from nyeri.facilities.models import FacilityProfile, OpeningHours
from nyeri.tenancy.clock import day_bounds, facility_zone, local_date
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from nyeri.workforce.models import Person
from tests.clinical.conftest import (  # noqa: F401 - fixtures
    MakePerson,
    clinician,
    clinician_client,
    clinician_scope,
    foreign_patient,
    make_person,
    patient,
    scope_of,
)
from tests.conftest import MakeMember, log_in


def open_hours(
    facility: Facility, opens: time = time(0, 0), closes: time = time(23, 59), days: range = range(1, 8)
) -> None:
    profile, _ = FacilityProfile.objects.get_or_create(organization=facility.organization, facility=facility)
    OpeningHours.objects.filter(profile=profile).delete()
    OpeningHours.objects.bulk_create(
        [
            OpeningHours(organization=facility.organization, profile=profile, weekday=d, opens=opens, closes=closes)
            for d in days
        ]
    )


@pytest.fixture(autouse=True)
def _open_all_day(facility: Facility) -> None:
    open_hours(facility)


@pytest.fixture
def doctor_user(org: Organization, make_member: MakeMember) -> User:
    return make_member(org, Role.PAIN_PHYSICIAN, username="andi")


@pytest.fixture
def doctor(doctor_user: User, make_person: MakePerson) -> Person:  # noqa: F811
    """A pain physician with an STR and a SIP for the facility."""
    return make_person(Role.PAIN_PHYSICIAN, name="dr. Andi Wijaya", user=doctor_user)


@pytest.fixture
def doctor_scope(doctor_user: User, doctor: Person) -> Scope:
    return scope_of(doctor_user)


@pytest.fixture
def doctor_client(doctor_user: User, doctor: Person) -> Client:
    return log_in(Client(), doctor_user)


def tomorrow_at(facility: Facility, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time at the facility tomorrow (naive, as a form types it)."""
    return datetime.combine(local_date(facility) + timedelta(days=1), time(hour, minute))


def today_slot(facility: Facility, minutes: int = 15) -> tuple[datetime, datetime]:
    """A slot on the facility's today that has just begun (aware), never across its midnight."""
    start_of_day, _end = day_bounds(facility, local_date(facility))
    start = max(start_of_day, timezone.now() - timedelta(minutes=30)).replace(second=0, microsecond=0)
    start = max(start, start_of_day)
    return start, start + timedelta(minutes=minutes)


Book = Callable[..., Appointment]


@pytest.fixture
def book(clinician_scope: Scope, patient: object, facility: Facility, doctor: Person) -> Book:  # noqa: F811
    """Book through the service as the nurse; tomorrow 10:00-10:30 unless told otherwise."""

    def make(**fields: object) -> Appointment:
        values: dict[str, object] = {
            "patient": patient,
            "facility": facility,
            "clinician": doctor,
            "kind": AppointmentKind.NEW_PATIENT,
            "starts_at": tomorrow_at(facility, 10),
            "ends_at": tomorrow_at(facility, 10, 30),
        }
        values.update(fields)
        return services.book_appointment(scope=clinician_scope, acting_user=clinician_scope.user, **values)  # type: ignore[arg-type]

    return make


@pytest.fixture
def booked_today(book: Book, facility: Facility) -> Appointment:
    """An appointment that began minutes ago today, booked an hour before it."""
    start, end = today_slot(facility)
    return book(starts_at=start, ends_at=end, now=start - timedelta(hours=1))


def local(facility: Facility, day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=facility_zone(facility))
