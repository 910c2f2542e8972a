"""Appointment writes: book, reschedule, cancel, mark a no-show, check in, complete, book a follow-up.

Each write is one ``write_transaction`` with its audit row (with the patient), by a member
with a clinical role (``ensure_clinical_role``, audited when refused). Bad input is a
``ValidationError`` naming each field, in the user's language:

- ``starts_at``: missing, in the past, outside the facility's opening hours (its own, or the
  default week while it has described none: ``facilities.selectors.week_hours``), or
  overlapping another active booking of the clinician;
- ``ends_at``: missing, or not after the start;
- ``clinician``: not of the organization, or not allowed ``see_patients`` at the facility
  on that day by the requirements engine (``nyeri.workforce.door.check_person``);
- ``status``: a change the appointment's status does not allow (checking in a cancelled
  appointment, cancelling one that is checked in, ...).

No two active bookings of one clinician overlap: the check and the insert run under a lock
on the clinician's row (``workforce.Person``), so two bookings of the same clinician are
decided one after the other (PostgreSQL; SQLite serialises every write anyway).

Checking in opens the clinical encounter through the clinical app's service
(``create_encounter``), in the same transaction; completing finishes it
(``finish_encounter``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nyeri.accounts.models import User
from nyeri.appointments.models import ACTIVE_STATUSES, Appointment, AppointmentKind, AppointmentStatus
from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.clinical.access import ensure_clinical_role
from nyeri.clinical.encounters.services import create_encounter, finish_encounter
from nyeri.clinical.models import Encounter, EncounterKind, EncounterStatus, Patient
from nyeri.facilities.models import Weekday
from nyeri.facilities.selectors import week_hours
from nyeri.lib.services import Errors, add_error, check_acting_user
from nyeri.tenancy.clock import at_facility, format_facility_time, local_date, local_now
from nyeri.tenancy.models import Facility
from nyeri.tenancy.refusals import write_transaction
from nyeri.tenancy.scope import Scope
from nyeri.workforce.door import check_person
from nyeri.workforce.models import Person

# The engine's action for "a patient may be booked with this person here on that day".
SEE_PATIENTS = "see_patients"
REASON_MAX = 1000
# Bounds that keep every time convertible to any facility's clock (a year 9999 is not).
MAX_AHEAD = timedelta(days=2 * 366)
MAX_LENGTH = timedelta(hours=24)
OBJECT_TYPE = "appointment"

# The encounter a check-in opens, by the kind of appointment.
ENCOUNTER_KIND = {
    AppointmentKind.NEW_PATIENT: EncounterKind.FIRST_VISIT,
    AppointmentKind.FOLLOW_UP: EncounterKind.FOLLOW_UP,
    AppointmentKind.PROCEDURE: EncounterKind.PROCEDURE_DAY,
}


def _time(moment: datetime, facility: Facility) -> str:
    return format_facility_time(moment, facility)


def _facility_errors(scope: Scope, facility: Facility | None, errors: Errors) -> None:
    if facility is None:
        add_error(errors, "facility", _("Choose the facility."))
    elif facility.organization_id != scope.organization.pk or not scope.covers_facility(facility.pk):
        add_error(errors, "facility", _("This facility is not one of yours."))


def _hours_errors(facility: Facility, starts_at: datetime, ends_at: datetime, errors: Errors) -> None:
    """Within one opening of the facility's day, on its clock."""
    start, end = local_now(facility, starts_at), local_now(facility, ends_at)
    week, _own = week_hours(facility)
    day = start.date()
    hours = week.get(day.isoweekday())
    values = {"facility": facility.name, "day": str(Weekday(day.isoweekday()).label)}
    if hours is None:
        add_error(errors, "starts_at", _("%(facility)s is closed on %(day)s.") % values)
        return
    opens, closes = hours
    fits = start.time() >= opens and end.date() == day and end.time() <= closes
    if not fits:
        values |= {
            "opens": formats.time_format(opens, "TIME_FORMAT"),
            "closes": formats.time_format(closes, "TIME_FORMAT"),
        }
        add_error(
            errors,
            "starts_at",
            _("Outside the opening hours of %(facility)s on %(day)s (%(opens)s-%(closes)s).") % values,
        )


def _privilege_errors(scope: Scope, clinician: Person, facility: Facility, starts_at: datetime, errors: Errors) -> str:
    """The engine's answer for the clinician on the day of the visit; its basis for the audit row."""
    verdict = check_person(scope, clinician.pk, SEE_PATIENTS, facility, at=starts_at)
    if not verdict.allowed:
        values = {
            "person": clinician.full_name,
            "facility": facility.name,
            "day": formats.date_format(local_date(facility, starts_at), "DATE_FORMAT"),
            "reasons": " ".join(verdict.reasons),
        }
        add_error(
            errors, "clinician", _("%(person)s may not see patients at %(facility)s on %(day)s: %(reasons)s") % values
        )
    return verdict.basis


def _overlap_errors(
    clinician: Person, starts_at: datetime, ends_at: datetime, exclude: int | None, errors: Errors
) -> None:
    others = Appointment.objects.filter(
        clinician=clinician, status__in=ACTIVE_STATUSES, starts_at__lt=ends_at, ends_at__gt=starts_at
    ).select_related("facility")
    if exclude is not None:
        others = others.exclude(pk=exclude)
    other = others.order_by("starts_at").first()
    if other is not None:
        add_error(
            errors,
            "starts_at",
            _("%(person)s already has an appointment from %(start)s to %(end)s at %(facility)s.")
            % {
                "person": clinician.full_name,
                "start": _time(other.starts_at, other.facility),
                "end": formats.time_format(local_now(other.facility, other.ends_at), "TIME_FORMAT"),
                "facility": other.facility.name,
            },
        )


def _lock_clinician(clinician: Person) -> None:
    # Serialises the bookings of one clinician: the overlap check below sees every booking
    # committed before it, and none can be inserted beside it until this one commits.
    Person.objects.select_for_update().filter(pk=clinician.pk).values_list("pk", flat=True).first()


def _times(
    facility: Facility | None, starts_at: datetime | None, ends_at: datetime | None, now: datetime, errors: Errors
) -> tuple[datetime | None, datetime | None]:
    """Typed at the facility (a naive time is its wall clock); the start not past, the end after it."""
    start = None if starts_at is None else at_facility(starts_at, facility)
    end = None if ends_at is None else at_facility(ends_at, facility)
    if start is None:
        add_error(errors, "starts_at", _("Give the date and time of the appointment."))
    elif start < now:
        add_error(errors, "starts_at", _("The appointment cannot be booked in the past."))
    elif start > now + MAX_AHEAD:
        add_error(errors, "starts_at", _("An appointment is booked at most two years ahead."))
    if end is None:
        add_error(errors, "ends_at", _("Give the end of the appointment."))
    elif start is not None and end <= start:
        add_error(errors, "ends_at", _("The end must be after the start."))
    elif start is not None and end - start > MAX_LENGTH:
        add_error(errors, "ends_at", _("An appointment ends on the day it begins."))
    return start, end


def _slot_errors(
    scope: Scope,
    clinician: Person,
    facility: Facility,
    starts_at: datetime,
    ends_at: datetime,
    errors: Errors,
) -> str:
    """Opening hours and the engine (outside the lock); returns the engine's basis."""
    _hours_errors(facility, starts_at, ends_at, errors)
    return _privilege_errors(scope, clinician, facility, starts_at, errors)


def book_appointment(
    *,
    scope: Scope,
    acting_user: User,
    patient: Patient,
    facility: Facility | None,
    clinician: Person | None,
    kind: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    follow_up_of: Encounter | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Book ``patient`` with ``clinician`` at ``facility`` from ``starts_at`` to ``ends_at``.

    ``now`` is the moment of booking (default: now; the demo books its day as of the
    morning). Refused by field as the module says.
    """
    check_acting_user(scope, acting_user)
    ensure_clinical_role(scope, object_type=OBJECT_TYPE)
    if patient.organization_id != scope.organization.pk:
        raise Http404("No such patient")
    moment = now or timezone.now()
    errors: Errors = {}
    _facility_errors(scope, facility, errors)
    if clinician is None or clinician.organization_id != scope.organization.pk:
        add_error(errors, "clinician", _("Choose the clinician."))
        clinician = None
    if kind not in AppointmentKind.values:
        add_error(errors, "kind", _("Choose the kind of appointment."))
    start, end = _times(facility, starts_at, ends_at, moment, errors)
    basis = ""
    if facility is not None and clinician is not None and start is not None and end is not None and not errors:
        basis = _slot_errors(scope, clinician, facility, start, end, errors)
    if errors:
        raise ValidationError(errors)
    assert facility is not None
    assert clinician is not None
    assert start is not None
    assert end is not None
    with write_transaction():
        _lock_clinician(clinician)
        _overlap_errors(clinician, start, end, None, errors)
        if errors:
            raise ValidationError(errors)
        appointment = Appointment.objects.create(
            organization=scope.organization,
            facility=facility,
            patient=patient,
            clinician=clinician,
            starts_at=start,
            ends_at=end,
            kind=kind,
            follow_up_of=follow_up_of,
            booked_by=acting_user,
            booked_at=moment,
        )
        record_event(
            actor=acting_user,
            action=AuditAction.CREATE,
            organization=scope.organization,
            facility=facility,
            patient_id=patient.pk,
            object_type=OBJECT_TYPE,
            object_id=appointment.pk,
            reason=f"{kind} with person {clinician.pk} {start.isoformat()}-{end.isoformat()}"
            + (f"; follow-up of encounter {follow_up_of.pk}" if follow_up_of is not None else "")
            + f"; {basis}",
        )
    return appointment


def book_follow_up(
    *,
    scope: Scope,
    acting_user: User,
    encounter: Encounter,
    clinician: Person | None,
    starts_at: datetime | None,
    ends_at: datetime | None,
    facility: Facility | None = None,
    now: datetime | None = None,
) -> Appointment:
    """A follow-up of ``encounter``'s patient, at its facility unless ``facility`` is given."""
    if encounter.organization_id != scope.organization.pk:
        raise Http404("No such encounter")
    if encounter.status == EncounterStatus.CANCELLED:
        raise ValidationError({"encounter": [_("This encounter was cancelled.")]})
    return book_appointment(
        scope=scope,
        acting_user=acting_user,
        patient=encounter.patient,
        facility=facility or encounter.facility,
        clinician=clinician,
        kind=AppointmentKind.FOLLOW_UP,
        starts_at=starts_at,
        ends_at=ends_at,
        follow_up_of=encounter,
        now=now,
    )


def _locked(scope: Scope, appointment: Appointment) -> Appointment:
    # Of two users changing the same appointment at once, the second sees the first's change.
    locked = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("facility", "patient", "clinician")
        .filter(organization=scope.organization, pk=appointment.pk)
        .first()
    )
    if locked is None or not scope.covers_facility(locked.facility_id):
        raise Http404("No such appointment")
    return locked


STATUS_REFUSALS = {
    AppointmentStatus.CANCELLED: gettext_lazy("This appointment was cancelled."),
    AppointmentStatus.NO_SHOW: gettext_lazy("This appointment was marked a no-show."),
    AppointmentStatus.CHECKED_IN: gettext_lazy("The patient is already checked in."),
    AppointmentStatus.COMPLETED: gettext_lazy("This appointment is completed."),
}


def _ensure_booked(appointment: Appointment) -> None:
    if appointment.status != AppointmentStatus.BOOKED:
        raise ValidationError({"status": [str(STATUS_REFUSALS[AppointmentStatus(appointment.status)])]})


def _set_status(
    scope: Scope,
    acting_user: User,
    locked: Appointment,
    status: AppointmentStatus,
    action: AuditAction,
    reason: str,
    now: datetime,
    **fields: object,
) -> Appointment:
    Appointment.objects.filter(pk=locked.pk).update(status=status, changed_by=acting_user, changed_at=now, **fields)
    record_event(
        actor=acting_user,
        action=action,
        organization=scope.organization,
        facility=locked.facility,
        patient_id=locked.patient_id,
        object_type=OBJECT_TYPE,
        object_id=locked.pk,
        reason=reason,
    )
    locked.status, locked.changed_by, locked.changed_at = status, acting_user, now
    for name, value in fields.items():
        setattr(locked, name, value)
    return locked


def reschedule_appointment(
    *,
    scope: Scope,
    acting_user: User,
    appointment: Appointment,
    starts_at: datetime | None,
    ends_at: datetime | None,
    clinician: Person | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Move a booked appointment (and, given ``clinician``, to another clinician): the rules of booking."""
    check_acting_user(scope, acting_user)
    ensure_clinical_role(scope, object_type=OBJECT_TYPE)
    moment = now or timezone.now()
    with write_transaction():
        locked = _locked(scope, appointment)
        _ensure_booked(locked)
        errors: Errors = {}
        who = clinician or locked.clinician
        if who.organization_id != scope.organization.pk:
            add_error(errors, "clinician", _("Choose the clinician."))
        start, end = _times(locked.facility, starts_at, ends_at, moment, errors)
        basis = ""
        if start is not None and end is not None and not errors:
            basis = _slot_errors(scope, who, locked.facility, start, end, errors)
        if errors:
            raise ValidationError(errors)
        assert start is not None
        assert end is not None
        _lock_clinician(who)
        _overlap_errors(who, start, end, locked.pk, errors)
        if errors:
            raise ValidationError(errors)
        before = f"{locked.starts_at.isoformat()}-{locked.ends_at.isoformat()} with person {locked.clinician_id}"
        after = f"{start.isoformat()}-{end.isoformat()} with person {who.pk}"
        Appointment.objects.filter(pk=locked.pk).update(
            starts_at=start, ends_at=end, clinician=who, changed_by=acting_user, changed_at=moment
        )
        record_event(
            actor=acting_user,
            action=AuditAction.UPDATE,
            organization=scope.organization,
            facility=locked.facility,
            patient_id=locked.patient_id,
            object_type=OBJECT_TYPE,
            object_id=locked.pk,
            reason=f"rescheduled from {before} to {after}; {basis}",
        )
    locked.starts_at, locked.ends_at, locked.clinician = start, end, who
    locked.changed_by, locked.changed_at = acting_user, moment
    return locked


def cancel_appointment(
    *, scope: Scope, acting_user: User, appointment: Appointment, reason: str, now: datetime | None = None
) -> Appointment:
    """Cancel a booked appointment, saying why. The row is kept."""
    check_acting_user(scope, acting_user)
    ensure_clinical_role(scope, object_type=OBJECT_TYPE)
    text = (reason or "").strip()
    if not text:
        raise ValidationError({"reason": [_("Give the reason for cancelling.")]})
    if len(text) > REASON_MAX:
        raise ValidationError({"reason": [_("At most %(max)d characters.") % {"max": REASON_MAX}]})
    moment = now or timezone.now()
    with write_transaction():
        locked = _locked(scope, appointment)
        _ensure_booked(locked)
        return _set_status(
            scope,
            acting_user,
            locked,
            AppointmentStatus.CANCELLED,
            AuditAction.CANCEL,
            text,
            moment,
            cancel_reason=text,
        )


def mark_no_show(
    *, scope: Scope, acting_user: User, appointment: Appointment, now: datetime | None = None
) -> Appointment:
    """The patient did not come: only once the appointment has begun."""
    check_acting_user(scope, acting_user)
    ensure_clinical_role(scope, object_type=OBJECT_TYPE)
    moment = now or timezone.now()
    with write_transaction():
        locked = _locked(scope, appointment)
        _ensure_booked(locked)
        if locked.starts_at > moment:
            raise ValidationError(
                {
                    "status": [
                        _("The appointment begins at %(start)s: a patient is a no-show only once it has begun.")
                        % {"start": _time(locked.starts_at, locked.facility)}
                    ]
                }
            )
        return _set_status(scope, acting_user, locked, AppointmentStatus.NO_SHOW, AuditAction.UPDATE, "no-show", moment)


def check_in(*, scope: Scope, acting_user: User, appointment: Appointment, now: datetime | None = None) -> Appointment:
    """The patient has arrived: the appointment is checked in and its encounter opened (now).

    Only a booked appointment, on its day at the facility (the facility's clock).
    """
    check_acting_user(scope, acting_user)
    ensure_clinical_role(scope, object_type=OBJECT_TYPE)
    moment = now or timezone.now()
    with write_transaction():
        locked = _locked(scope, appointment)
        if locked.status == AppointmentStatus.CANCELLED:
            raise ValidationError({"status": [_("This appointment was cancelled: it cannot be checked in.")]})
        _ensure_booked(locked)
        day = local_date(locked.facility, locked.starts_at)
        if local_date(locked.facility, moment) != day:
            raise ValidationError(
                {
                    "status": [
                        _("A patient is checked in on the day of the appointment (%(day)s).")
                        % {"day": formats.date_format(day, "DATE_FORMAT")}
                    ]
                }
            )
        encounter = create_encounter(
            scope=scope,
            acting_user=acting_user,
            patient=locked.patient,
            facility=locked.facility,
            kind=ENCOUNTER_KIND[AppointmentKind(locked.kind)],
            starts_at=moment,
        )
        return _set_status(
            scope,
            acting_user,
            locked,
            AppointmentStatus.CHECKED_IN,
            AuditAction.UPDATE,
            f"checked in; encounter {encounter.pk} opened",
            moment,
            encounter=encounter,
        )


def complete_appointment(
    *, scope: Scope, acting_user: User, appointment: Appointment, now: datetime | None = None
) -> Appointment:
    """The visit is over: the checked-in appointment is completed and its encounter finished (if still open)."""
    check_acting_user(scope, acting_user)
    ensure_clinical_role(scope, object_type=OBJECT_TYPE)
    moment = now or timezone.now()
    with write_transaction():
        locked = _locked(scope, appointment)
        if locked.status != AppointmentStatus.CHECKED_IN:
            message = STATUS_REFUSALS.get(AppointmentStatus(locked.status)) or _("The patient is not checked in yet.")
            raise ValidationError({"status": [str(message)]})
        encounter = locked.encounter
        assert encounter is not None
        if encounter.status == EncounterStatus.IN_PROGRESS:
            finish_encounter(scope=scope, acting_user=acting_user, encounter=encounter, ends_at=moment)
        return _set_status(
            scope,
            acting_user,
            locked,
            AppointmentStatus.COMPLETED,
            AuditAction.UPDATE,
            f"completed; encounter {encounter.pk}",
            moment,
        )
