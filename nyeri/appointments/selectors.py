"""Appointment reads: one appointment, a facility's day (all of it, or one clinician's), the home panel.

Scoped to the organization and, for a facility-limited member, to their facilities: another
organization's appointment, or one at a facility the member does not cover, is *not found*.
Patient data, so every read is audited (one row per read or list) and refused (audited) to
a member without a clinical role. Each takes a fixed number of queries.

A day is the facility's: ``nyeri.tenancy.clock.day_bounds`` (a Makassar clinic's day runs
00:00-24:00 WITA, 16:00-16:00 UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext

from nyeri.appointments.models import ACTIVE_STATUSES, Appointment, AppointmentStatus
from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.clinical.access import ensure_clinical_role
from nyeri.tenancy.clock import day_bounds, facility_zone, local_date, zone_label
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from nyeri.workforce.door import professional
from nyeri.workforce.models import Person
from nyeri.workforce.selectors import people_at_facility

OBJECT_TYPE = "appointment"

# Who a patient is booked with (the roles of the engine's ``see_patients`` in the packs).
CLINICIAN_ROLES = frozenset(
    {
        Role.PAIN_PHYSICIAN,
        Role.ANESTHESIOLOGIST,
        Role.NEUROLOGIST,
        Role.PSYCHIATRIST,
        Role.PHYSIATRIST,
        Role.GENERAL_PRACTITIONER,
        Role.NURSE,
    }
)


def _visible(scope: Scope) -> QuerySet[Appointment]:
    rows = Appointment.objects.filter(organization=scope.organization)
    if scope.facility_ids is not None:
        rows = rows.filter(facility_id__in=scope.facility_ids)
    return rows.select_related("facility", "patient", "clinician", "encounter")


def _audit(
    scope: Scope, *, facility: Facility | None, patient_id: int | None, object_id: int | str, reason: str
) -> None:
    with transaction.atomic(savepoint=False):
        record_event(
            actor=scope.user,
            action=AuditAction.READ,
            organization=scope.organization,
            facility=facility,
            patient_id=patient_id,
            object_type=OBJECT_TYPE,
            object_id=object_id,
            reason=reason,
        )


def access_appointment(scope: Scope, appointment_id: int) -> Appointment:
    """The appointment ``appointment_id`` of the scope (404 for another organization's or facility's), audited."""
    ensure_clinical_role(scope, object_type=OBJECT_TYPE)
    appointment = _visible(scope).filter(pk=appointment_id).first()
    if appointment is None:
        raise Http404("No such appointment")
    _audit(
        scope,
        facility=appointment.facility,
        patient_id=appointment.patient_id,
        object_id=appointment.pk,
        reason="appointment",
    )
    return appointment


@dataclass(frozen=True)
class DayList:
    facility: Facility
    day: date
    starts_at: datetime  # the day's bounds in UTC, [starts_at, ends_at)
    ends_at: datetime
    zone: str  # "WIB", "WITA", "WIT" or the zone's name
    clinician: Person | None
    appointments: tuple[Appointment, ...]

    @property
    def checked_in(self) -> tuple[Appointment, ...]:
        return tuple(a for a in self.appointments if a.status == AppointmentStatus.CHECKED_IN)

    @property
    def waiting(self) -> tuple[Appointment, ...]:
        return tuple(a for a in self.appointments if a.status == AppointmentStatus.BOOKED)


def day_list(
    scope: Scope, facility: Facility, day: date, *, clinician: Person | None = None, audit: bool = True
) -> DayList:
    """The appointments at ``facility`` on its local ``day`` (of one ``clinician``), by start.

    One query and the audit row.

    ``facility`` comes from ``access_facility`` (the caller's scope covers it).
    """
    ensure_clinical_role(scope, object_type=OBJECT_TYPE)
    start, end = day_bounds(facility, day)
    rows = _visible(scope).filter(facility=facility, starts_at__gte=start, starts_at__lt=end)
    if clinician is not None:
        rows = rows.filter(clinician=clinician)
    appointments = tuple(rows.order_by("starts_at", "pk"))
    if audit:
        who = f" of person {clinician.pk}" if clinician is not None else ""
        _audit(
            scope,
            facility=facility,
            patient_id=None,
            object_id="",
            reason=f"day list {day.isoformat()}{who}: {len(appointments)} appointment(s)",
        )
    return DayList(facility, day, start, end, zone_label(facility_zone(facility)), clinician, appointments)


def clinicians(scope: Scope, facility_id: int) -> QuerySet[Person]:
    """The people a patient may be booked with at the facility (the engine decides the day)."""
    return people_at_facility(scope, facility_id, CLINICIAN_ROLES)


@dataclass(frozen=True)
class HomePanel:
    day: DayList
    mine: tuple[Appointment, ...]  # the user's own appointments today (as the clinician)

    @property
    def title(self) -> str:
        return gettext("Today's appointments")

    @property
    def checked_in(self) -> tuple[Appointment, ...]:
        return self.day.checked_in


def home_panel(scope: Scope, facility: Facility) -> HomePanel | None:
    """Today's appointments at ``facility`` for the home page of a physician or nurse (None for other roles)."""
    if not scope.roles & CLINICIAN_ROLES:
        return None
    found = professional(scope)
    today = day_list(scope, facility, local_date(facility))
    person_id = found.person_id if found is not None else None
    mine = tuple(a for a in today.appointments if a.clinician_id == person_id and a.status in ACTIVE_STATUSES)
    return HomePanel(today, mine)
