"""Writes to the hours ledger: manual entries, their verification, hours from encounters.

Only verified hours count towards a certification (the engine sums ``status=verified``).
A manual entry starts as *submitted* and waits for a supervisor (see ``rules``); hours
from an encounter are verified at once, because the encounter record is the evidence.
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditOutcome
from nyeri.audit.services import record_event
from nyeri.lib.services import Errors, add_error
from nyeri.tenancy.clock import local_date
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.scope import Scope
from nyeri.workforce.hours import rules
from nyeri.workforce.kinds import HoursSource, HoursStatus
from nyeri.workforce.models import HoursEntry, Person, PersonFacility

logger = logging.getLogger(__name__)

MAX_HOURS_PER_DAY = Decimal(24)
MINUTES_PER_DAY = 24 * 60
REASON_MAX_LENGTH = 500
# Hours from encounters have no acting user: the audit row names the source instead.
ENCOUNTER_ACTOR_LABEL = "clinical:encounter"

# Foreign keys whose objects the caller hands over: full_clean need not query them again.
RELATED = ["organization", "person", "facility", "entered_by", "decided_by"]


def _as_hours(value: Decimal | int | str | float, errors: Errors, field: str = "hours") -> Decimal | None:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        add_error(errors, field, _("Enter the hours as a number, for example 7.5."))
        return None
    if not amount.is_finite():
        add_error(errors, field, _("Enter the hours as a number, for example 7.5."))
        return None
    if amount <= 0:
        add_error(errors, field, _("The hours must be more than 0."))
        return None
    if amount > MAX_HOURS_PER_DAY:
        add_error(errors, field, _("A day has at most 24 hours."))
        return None
    if amount != amount.quantize(Decimal("0.01")):
        add_error(errors, field, _("Use at most two decimal places."))
        return None
    return amount


def format_hours(amount: Decimal) -> str:
    """``amount`` in the active language, without trailing zeros (7,5 / 7.5; 2.000 / 2,000)."""
    places = next((p for p in (0, 1) if amount == amount.quantize(Decimal(10) ** -p)), 2)
    return formats.number_format(amount, decimal_pos=places, use_l10n=True, force_grouping=True)


def _refuse(scope: Scope, why: str, *, facility: Facility | None, object_type: str, object_id: int | str) -> None:
    # A refusal is a security event: audited in its own transaction, then raised.
    with transaction.atomic():
        record_event(
            actor=scope.user,
            action=AuditAction.PERMISSION_DENIED,
            outcome=AuditOutcome.DENIED,
            organization=scope.organization,
            facility=facility,
            object_type=object_type,
            object_id=object_id,
            reason=why,
        )
    raise PermissionDenied(why)


def ensure_may_record(scope: Scope, person: Person) -> None:
    """PermissionDenied (audited) unless the user may record hours for ``person`` (see ``rules``)."""
    if not rules.may_record_for(scope, person):
        _refuse(scope, "may not record hours for this person", facility=None, object_type="person", object_id=person.pk)


def record_manual_hours(
    *,
    scope: Scope,
    acting_user: User,
    person: Person,
    facility: Facility,
    worked_on: date,
    hours: Decimal | int | str | float,
    note: str = "",
) -> HoursEntry:
    """A manual entry of hours with pain-clinic patients, waiting for verification.

    Refused, naming each field: a date in the future, hours not in (0, 24] (or, with what
    is already recorded for that day, more than 24), a facility outside the organization,
    outside the user's membership, or where the person does not work. Another
    organization's person is not found; someone else's hours without the role to record
    them are a PermissionDenied (audited).
    """
    if person.organization_id != scope.organization.pk:
        # Reached only by a caller that skipped access_person: the same answer as a lookup.
        raise Http404("No such person")
    ensure_may_record(scope, person)
    errors: Errors = {}
    # "In the future" at the facility where the hours were worked.
    today = local_date(facility)
    if worked_on > today:
        add_error(errors, "worked_on", _("The date cannot be in the future."))
    amount = _as_hours(hours, errors)
    if facility.organization_id != scope.organization.pk:
        add_error(errors, "facility", _("This facility is not part of your organization."))
    elif not scope.covers_facility(facility.pk):
        add_error(errors, "facility", _("Your membership does not cover this facility."))
    elif not PersonFacility.objects.filter(person=person, facility=facility).exists():
        add_error(
            errors,
            "facility",
            _("%(person)s does not work at %(facility)s.") % {"person": person.full_name, "facility": facility.name},
        )
    note = note.strip()
    entry = HoursEntry(
        organization=scope.organization,
        person=person,
        facility=facility,
        worked_on=worked_on,
        hours=amount if amount is not None else Decimal(0),
        source=HoursSource.MANUAL,
        status=HoursStatus.SUBMITTED,
        note=note,
        entered_by=acting_user,
    )
    try:
        # Field-level checks (note length, ...) for the fields not already refused above; the
        # related objects are in hand, so their existence is not queried again.
        entry.full_clean(exclude=[*RELATED, *errors, *(["hours"] if amount is None else [])])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    assert amount is not None
    with transaction.atomic():
        # Lock the person so that two entries for the same day cannot both pass the day's cap.
        Person.objects.select_for_update().filter(pk=person.pk).first()
        already = HoursEntry.objects.filter(
            person=person, worked_on=worked_on, status__in=[HoursStatus.SUBMITTED, HoursStatus.VERIFIED]
        ).aggregate(total=Sum("hours"))["total"] or Decimal(0)
        if already + amount > MAX_HOURS_PER_DAY:
            raise ValidationError(
                {
                    "hours": [
                        _("%(already)s hours are already recorded for %(date)s: at most %(left)s more fit in the day.")
                        % {
                            "already": format_hours(already),
                            "date": formats.date_format(worked_on, "DATE_FORMAT"),
                            "left": format_hours(MAX_HOURS_PER_DAY - already),
                        }
                    ]
                }
            )
        entry.save(force_insert=True)
        record_event(
            actor=acting_user,
            action=AuditAction.CREATE,
            organization=scope.organization,
            facility=facility,
            object_type="hours_entry",
            object_id=entry.pk,
            reason=f"manual {amount}h on {worked_on.isoformat()} for person {person.pk}",
        )
    return entry


def _decide(scope: Scope, acting_user: User, entry: HoursEntry, status: HoursStatus, reason: str) -> HoursEntry:
    if entry.organization_id != scope.organization.pk:
        raise Http404("No such hours entry")
    why = rules.decision_refusal(scope, entry)
    if why is not None:
        _refuse(scope, why, facility=entry.facility, object_type="hours_entry", object_id=entry.pk)
    with transaction.atomic():
        # Re-read under a lock: of two supervisors deciding at once, the second sees the first's decision.
        locked = HoursEntry.objects.select_for_update().get(pk=entry.pk)
        if locked.status != HoursStatus.SUBMITTED:
            raise ValidationError(
                {
                    "status": [
                        _("These hours were already decided (%(status)s).") % {"status": locked.get_status_display()}
                    ]
                }
            )
        now = timezone.now()
        HoursEntry.objects.filter(pk=entry.pk).update(
            status=status, decided_by=acting_user, decided_at=now, decision_reason=reason
        )
        record_event(
            actor=acting_user,
            action=AuditAction.UPDATE,
            organization=scope.organization,
            facility=entry.facility,
            object_type="hours_entry",
            object_id=entry.pk,
            reason=f"{status}: {reason}" if reason else str(status),
        )
    entry.status, entry.decided_by, entry.decided_at, entry.decision_reason = status, acting_user, now, reason
    return entry


def verify_hours(*, scope: Scope, acting_user: User, entry: HoursEntry) -> HoursEntry:
    """A supervisor confirms a manual entry: from now on it counts towards certifications."""
    return _decide(scope, acting_user, entry, HoursStatus.VERIFIED, "")


def reject_hours(*, scope: Scope, acting_user: User, entry: HoursEntry, reason: str) -> HoursEntry:
    """A supervisor refuses a manual entry, saying why (kept in the audit trail)."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why these hours are rejected.")]})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": [_("Keep the reason under %(max)d characters.") % {"max": REASON_MAX_LENGTH}]})
    return _decide(scope, acting_user, entry, HoursStatus.REJECTED, reason)


def record_encounter_hours(
    *,
    organization: Organization,
    person: Person,
    facility: Facility,
    encounter_id: int,
    worked_on: date,
    minutes: int,
) -> HoursEntry:
    """Hours of ``person`` in encounter ``encounter_id``, verified (the encounter is the evidence).

    Idempotent: a re-sent encounter returns the entry recorded the first time and changes
    nothing (not even when the minutes differ; a correction of an encounter is the
    clinical app's amendment, not a silent edit of the ledger).
    """
    existing = HoursEntry.objects.filter(encounter_id=encounter_id, person=person).first()
    if existing is not None:
        if existing.hours != _minutes_to_hours(minutes):
            logger.info("encounter %s re-sent with other minutes; the ledger keeps the first", encounter_id)
        return existing
    errors: Errors = {}
    if person.organization_id != organization.pk:
        add_error(errors, "person", _("No such person in your organization."))
    if facility.organization_id != organization.pk:
        add_error(errors, "facility", _("This facility is not part of your organization."))
    if worked_on > local_date(facility):
        add_error(errors, "worked_on", _("The date cannot be in the future."))
    if not 0 < minutes <= MINUTES_PER_DAY:
        add_error(errors, "minutes", _("The minutes must be more than 0 and at most 1440 (a day)."))
    if errors:
        raise ValidationError(errors)
    entry = HoursEntry(
        organization=organization,
        person=person,
        facility=facility,
        worked_on=worked_on,
        hours=_minutes_to_hours(minutes),
        source=HoursSource.ENCOUNTER,
        status=HoursStatus.VERIFIED,
        encounter_id=encounter_id,
        decided_at=timezone.now(),
    )
    # Uniqueness is left to the database: a concurrent sender is caught below.
    entry.full_clean(exclude=RELATED, validate_unique=False)
    try:
        with transaction.atomic():
            entry.save(force_insert=True)
            record_event(
                actor=None,
                actor_label=ENCOUNTER_ACTOR_LABEL,
                action=AuditAction.CREATE,
                organization=organization,
                facility=facility,
                object_type="hours_entry",
                object_id=entry.pk,
                reason=f"encounter {encounter_id}: {minutes} min for person {person.pk}",
            )
    except IntegrityError:
        # The same encounter sent twice at once: the other request recorded it.
        existing = HoursEntry.objects.filter(encounter_id=encounter_id, person=person).first()
        if existing is None:
            raise
        return existing
    return entry


def _minutes_to_hours(minutes: int) -> Decimal:
    # Two decimals, as the column: 50 minutes are 0.83 h.
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
