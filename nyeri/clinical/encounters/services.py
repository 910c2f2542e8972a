"""Encounter writes: open one, finish it, cancel it (with a reason), add participants.

Each write is one transaction with its audit row (with the patient). A participant's
minutes are credited to the hours ledger of the workforce app in the same transaction.

Who is credited: every participant holding a clinical professional role
(``nyeri.tenancy.roles.CLINICAL_ROLES``: physicians, nurses and their assistants,
radiographers, technicians, pharmacists). The ledger holds "hours with pain-clinic
patients": nurses need them for the pain nursing certification, and the other clinical
roles' hours are kept too, so that a future certification or a job requirement can count
them without a migration. A person with only non-clinical roles (an administrator, a
credentialing officer) takes part without hours.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.clinical.access import ensure_clinical_role
from nyeri.clinical.models import (
    Encounter,
    EncounterKind,
    EncounterParticipant,
    EncounterStatus,
    ParticipantRole,
    Patient,
)
from nyeri.lib.services import Errors, add_error, check_acting_user
from nyeri.tenancy.clock import at_facility, format_facility_time, local_date
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import CLINICAL_ROLES
from nyeri.tenancy.scope import Scope
from nyeri.workforce.hours.services import record_encounter_hours
from nyeri.workforce.models import Person, PersonFacility, PersonRole

REASON_MAX = 1000
MINUTES_PER_DAY = 24 * 60


def _facility_errors(scope: Scope, facility: Facility | None, errors: Errors) -> None:
    if facility is None:
        add_error(errors, "facility", _("Choose the facility."))
    elif facility.organization_id != scope.organization.pk:
        add_error(errors, "facility", _("This facility is not part of your organization."))
    elif not scope.covers_facility(facility.pk):
        add_error(errors, "facility", _("Your membership does not cover this facility."))


def _moment(value: datetime, facility: Facility | None) -> str:
    return format_facility_time(value, facility)


def _reason(reason: str, errors: Errors) -> str:
    text = (reason or "").strip()
    if not text:
        add_error(errors, "reason", _("Give a reason."))
    elif len(text) > REASON_MAX:
        add_error(errors, "reason", _("At most %(max)d characters.") % {"max": REASON_MAX})
    return text


def create_encounter(
    *,
    scope: Scope,
    acting_user: User,
    patient: Patient,
    facility: Facility | None,
    kind: str,
    starts_at: datetime | None,
    ends_at: datetime | None = None,
) -> Encounter:
    """A visit of ``patient`` at ``facility`` that has begun (``starts_at`` not in the future).

    With ``ends_at`` it is recorded as finished; without, in progress until finished.
    """
    check_acting_user(scope, acting_user)
    ensure_clinical_role(scope, object_type="encounter")
    if patient.organization_id != scope.organization.pk:
        raise Http404("No such patient")
    errors: Errors = {}
    _facility_errors(scope, facility, errors)
    if kind not in EncounterKind.values:
        add_error(errors, "kind", _("Choose the kind of visit."))
    # Typed at the facility: a naive time is its wall clock (see docs/api.md).
    starts_at = None if starts_at is None else at_facility(starts_at, facility)
    ends_at = None if ends_at is None else at_facility(ends_at, facility)
    now = timezone.now()
    if starts_at is None:
        add_error(errors, "starts_at", _("Give the start of the visit."))
    elif starts_at > now:
        add_error(errors, "starts_at", _("A visit is recorded once it has begun: the start cannot be in the future."))
    if ends_at is not None:
        _end_errors(starts_at, ends_at, now, errors, facility)
    if errors:
        raise ValidationError(errors)
    assert facility is not None
    assert starts_at is not None
    encounter = Encounter(
        organization=scope.organization,
        patient=patient,
        facility=facility,
        kind=kind,
        status=EncounterStatus.FINISHED if ends_at is not None else EncounterStatus.IN_PROGRESS,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=acting_user,
    )
    with transaction.atomic():
        encounter.save(force_insert=True)
        record_event(
            actor=acting_user,
            action=AuditAction.CREATE,
            organization=scope.organization,
            facility=facility,
            patient_id=patient.pk,
            object_type="encounter",
            object_id=encounter.pk,
            reason=f"{kind} {encounter.status}",
        )
    return encounter


def _end_errors(
    starts_at: datetime | None, ends_at: datetime, now: datetime, errors: Errors, facility: Facility | None
) -> None:
    if ends_at > now:
        add_error(errors, "ends_at", _("The end cannot be in the future."))
    elif starts_at is not None and ends_at < starts_at:
        add_error(
            errors,
            "ends_at",
            _("The end cannot be before the start (%(start)s).") % {"start": _moment(starts_at, facility)},
        )


def _locked(scope: Scope, encounter: Encounter) -> Encounter:
    # Locked: of two users changing the same encounter at once, the second sees the first's change.
    locked = (
        Encounter.objects.select_for_update(of=("self",))
        .select_related("patient", "facility")
        .filter(organization=scope.organization, pk=encounter.pk)
        .first()
    )
    if locked is None:
        raise Http404("No such encounter")
    return locked


def _ensure_open(encounter: Encounter) -> None:
    if encounter.status == EncounterStatus.CANCELLED:
        raise ValidationError({"status": [_("This encounter was cancelled.")]})


def finish_encounter(
    *, scope: Scope, acting_user: User, encounter: Encounter, ends_at: datetime | None = None
) -> Encounter:
    """Record the end of a visit in progress (default: now)."""
    check_acting_user(scope, acting_user)
    ensure_clinical_role(scope, object_type="encounter")
    now = timezone.now()
    with transaction.atomic():
        locked = _locked(scope, encounter)
        end = now if ends_at is None else at_facility(ends_at, locked.facility)
        _ensure_open(locked)
        if locked.status == EncounterStatus.FINISHED:
            raise ValidationError({"status": [_("This encounter is already finished.")]})
        errors: Errors = {}
        _end_errors(locked.starts_at, end, now, errors, locked.facility)
        if errors:
            raise ValidationError(errors)
        Encounter.objects.filter(pk=locked.pk).update(status=EncounterStatus.FINISHED, ends_at=end)
        record_event(
            actor=acting_user,
            action=AuditAction.UPDATE,
            organization=scope.organization,
            facility=locked.facility,
            patient_id=locked.patient_id,
            object_type="encounter",
            object_id=locked.pk,
            reason=f"finished at {end.isoformat()}",
        )
    locked.status, locked.ends_at = EncounterStatus.FINISHED, end
    return locked


def cancel_encounter(*, scope: Scope, acting_user: User, encounter: Encounter, reason: str) -> Encounter:
    """Cancel a visit that did not take place, saying why. The row is kept.

    A visit with participants took place (their hours are in the ledger), and one with
    current assessments has clinical records that name it: neither is cancelled. The
    assessments are marked entered in error first if the visit really did not happen.
    """
    check_acting_user(scope, acting_user)
    ensure_clinical_role(scope, object_type="encounter")
    errors: Errors = {}
    text = _reason(reason, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _locked(scope, encounter)
        _ensure_open(locked)
        if locked.participants.exists():
            took_part = _("People took part in this encounter and their hours are recorded: it cannot be cancelled.")
            raise ValidationError({"status": [took_part]})
        if locked.assessments.filter(status="current").exists():
            raise ValidationError(
                {
                    "status": [
                        _(
                            "This encounter has pain assessments. Mark them entered in error first if the visit "
                            "did not take place."
                        )
                    ]
                }
            )
        now = timezone.now()
        Encounter.objects.filter(pk=locked.pk).update(
            status=EncounterStatus.CANCELLED, cancelled_by=acting_user, cancelled_at=now, cancel_reason=text
        )
        record_event(
            actor=acting_user,
            action=AuditAction.CANCEL,
            organization=scope.organization,
            facility=locked.facility,
            patient_id=locked.patient_id,
            object_type="encounter",
            object_id=locked.pk,
            reason=text,
        )
    locked.status, locked.cancelled_by, locked.cancelled_at, locked.cancel_reason = (
        EncounterStatus.CANCELLED,
        acting_user,
        now,
        text,
    )
    return locked


def credits_hours(roles: set[str] | frozenset[str]) -> bool:
    """Whether a participant with these professional roles is credited hours (see the module doc)."""
    return bool(set(roles) & {str(r) for r in CLINICAL_ROLES})


def add_participant(
    *,
    scope: Scope,
    acting_user: User,
    encounter: Encounter,
    person: Person | None,
    role: str,
    minutes: int | None,
) -> EncounterParticipant:
    """``person`` took part in ``encounter`` as ``role`` for ``minutes``.

    Refused, naming each field: a person of another organization or who does not work at
    the encounter's facility, an unknown role, minutes not in 1-1440 or longer than a
    finished visit, a person already taking part, a cancelled encounter. A clinical
    participant's minutes are credited to the hours ledger (on the day the visit began)
    in the same transaction, once.
    """
    check_acting_user(scope, acting_user)
    ensure_clinical_role(scope, object_type="encounter")
    if encounter.organization_id != scope.organization.pk:
        raise Http404("No such encounter")
    errors: Errors = {}
    if person is None or person.organization_id != scope.organization.pk:
        add_error(errors, "person", _("No such person in your organization."))
    if role not in ParticipantRole.values:
        add_error(errors, "role", _("Choose the role in the encounter."))
    if minutes is None or isinstance(minutes, bool) or not 0 < minutes <= MINUTES_PER_DAY:
        add_error(errors, "minutes", _("The minutes must be more than 0 and at most 1440 (a day)."))
    if errors:
        raise ValidationError(errors)
    assert person is not None
    assert minutes is not None
    with transaction.atomic():
        locked = _locked(scope, encounter)
        _ensure_open(locked)
        if locked.ends_at is not None:
            length = int((locked.ends_at - locked.starts_at).total_seconds() // 60)
            if minutes > max(length, 1):
                add_error(
                    errors,
                    "minutes",
                    _("The visit lasted %(length)d minutes: a participant cannot take part for longer.")
                    % {"length": length},
                )
        if not PersonFacility.objects.filter(person=person, facility=locked.facility).exists():
            add_error(
                errors,
                "person",
                _("%(person)s does not work at %(facility)s.")
                % {"person": person.full_name, "facility": locked.facility.name},
            )
        elif EncounterParticipant.objects.filter(encounter=locked, person=person).exists():
            add_error(
                errors, "person", _("%(person)s already takes part in this encounter.") % {"person": person.full_name}
            )
        if errors:
            raise ValidationError(errors)
        roles = set(PersonRole.objects.filter(person=person).values_list("role", flat=True))
        participant = EncounterParticipant.objects.create(
            organization=scope.organization,
            encounter=locked,
            person=person,
            role=role,
            minutes=minutes,
            added_by=acting_user,
        )
        credited = credits_hours(roles)
        if credited:
            entry = record_encounter_hours(
                organization=scope.organization,
                person=person,
                facility=locked.facility,
                encounter_id=locked.pk,
                # The day at the facility: an evening visit in Jayapura is not Jakarta's next day.
                worked_on=local_date(locked.facility, locked.starts_at),
                minutes=minutes,
            )
        record_event(
            actor=acting_user,
            action=AuditAction.UPDATE,
            organization=scope.organization,
            facility=locked.facility,
            patient_id=locked.patient_id,
            object_type="encounter",
            object_id=locked.pk,
            reason=f"participant person {person.pk} as {role} for {minutes} min; "
            + (f"hours entry {entry.pk}" if credited else "no hours (no clinical role)"),
        )
    return participant
