"""Demo appointments: a day of them at each facility, today on the facility's clock.

Each facility's clinicians whom the engine lets ``see_patients`` there get a morning of
visits from the opening hour, every 30 minutes (20-minute visits), with the facility's
patients: new patients, follow-ups and procedure visits. Booked the evening before, so the
slots already begun are valid bookings. Then the day moves on: the first visits are
checked in (their encounters open; the very first is completed, its encounter finished),
one patient did not come, one cancelled by telephone. A facility closed today (a Sunday)
gets its next open day instead, so that its book is never empty; nothing is checked in there.

Everything goes through ``nyeri.appointments.services`` (the rules, the engine, the audit
trail). Called by ``seed_demo`` after the care seeding::

    from nyeri.demo.appointments import seed_appointments
    seed_appointments(org_id=org.pk, facilities=facilities, patients=patients)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from nyeri.appointments import services
from nyeri.appointments.models import Appointment, AppointmentKind
from nyeri.appointments.selectors import CLINICIAN_ROLES
from nyeri.clinical.models import Patient
from nyeri.facilities.selectors import week_hours
from nyeri.tenancy.clock import facility_zone, local_date
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope, resolve_scope
from nyeri.workforce.engine import decide
from nyeri.workforce.models import Person

VISIT = timedelta(minutes=20)
STEP = timedelta(minutes=30)
PER_CLINICIAN = 5
KINDS = (
    AppointmentKind.FOLLOW_UP,
    AppointmentKind.NEW_PATIENT,
    AppointmentKind.FOLLOW_UP,
    AppointmentKind.PROCEDURE,
    AppointmentKind.FOLLOW_UP,
)


@dataclass
class AppointmentSummary:
    booked: int = 0
    checked_in: int = 0


def _open_day(facility: Facility, today: date) -> tuple[date, datetime] | None:
    """Today, or the next day the facility opens, with its opening time on its clock."""
    week, _own = week_hours(facility)
    for ahead in range(7):
        day = today + timedelta(days=ahead)
        hours = week.get(day.isoweekday())
        if hours is not None:
            return day, datetime.combine(day, hours[0], tzinfo=facility_zone(facility))
    return None


def _clinicians(org_id: int, facility: Facility, at: datetime) -> list[Person]:
    people = (
        Person.objects.filter(
            organization_id=org_id, facility_links__facility=facility, roles__role__in=list(CLINICIAN_ROLES)
        )
        .distinct()
        .order_by("pk")
    )
    return [p for p in people if decide(p.pk, "see_patients", facility, at=at).allowed][:2]


def _desk_scope(org_id: int, facility: Facility, clinicians: list[Person]) -> Scope | None:
    """Who books and checks in: the first of the clinicians with a login covering the facility."""
    for person in clinicians:
        if person.user is not None:
            scope = resolve_scope(person.user, org_id)
            if scope is not None and scope.covers_facility(facility.pk):
                return scope
    return None


def seed_appointments(
    *, org_id: int, facilities: dict[str, Facility], patients: list[Patient], now: datetime | None = None
) -> AppointmentSummary:
    moment = now or timezone.now()
    summary = AppointmentSummary()
    for facility in facilities.values():
        found = _open_day(facility, local_date(facility, moment))
        if found is None:
            continue
        day, opens = found
        clinicians = _clinicians(org_id, facility, opens)
        scope = _desk_scope(org_id, facility, clinicians)
        here = [p for p in patients if p.registered_at_id == facility.pk]
        if scope is None or not here:
            continue
        # Booked the evening before the day.
        booked_at = opens - timedelta(hours=14)
        booked: list[Appointment] = []
        for n in range(PER_CLINICIAN * len(clinicians)):
            clinician = clinicians[n % len(clinicians)]
            start = opens + STEP * (n // len(clinicians))
            try:
                with transaction.atomic():
                    booked.append(
                        services.book_appointment(
                            scope=scope,
                            acting_user=scope.user,
                            patient=here[n % len(here)],
                            facility=facility,
                            clinician=clinician,
                            kind=KINDS[n % len(KINDS)],
                            starts_at=start,
                            ends_at=start + VISIT,
                            now=booked_at,
                        )
                    )
            except ValidationError:
                continue  # a slot the rules refuse (a short Saturday): the demo books the others
        summary.booked += len(booked)
        if day != local_date(facility, moment) or len(booked) < 4:
            continue
        _move_the_day_on(scope, booked, moment, summary)
    return summary


def _move_the_day_on(scope: Scope, booked: list[Appointment], now: datetime, summary: AppointmentSummary) -> None:
    """The first three arrived (checked in at their time, or now if that is still ahead: early),
    the very first is done; the fourth did not come if its time has passed; the last cancelled."""
    for n, appointment in enumerate(booked[:3]):
        arrived = min(appointment.starts_at - timedelta(minutes=5), now)
        checked = services.check_in(scope=scope, acting_user=scope.user, appointment=appointment, now=arrived)
        summary.checked_in += 1
        if n == 0 and appointment.ends_at <= now:
            services.complete_appointment(scope=scope, acting_user=scope.user, appointment=checked, now=now)
    if booked[3].starts_at <= now:
        services.mark_no_show(scope=scope, acting_user=scope.user, appointment=booked[3], now=now)
    services.cancel_appointment(
        scope=scope,
        acting_user=scope.user,
        appointment=booked[-1],
        reason="Pasien menelepon: berhalangan hadir, minta dijadwalkan ulang minggu depan.",
        now=now,
    )
