"""Procedure writes: order, schedule, perform, cancel, amend what was performed, mark it entered in error.

Every write is one transaction with its audit row (with the patient). Bad input is refused
before anything is written, with a ``ValidationError`` naming each field in the user's
language: a procedure not in the catalogue, a body site the procedure does not allow, a
missing or impossible side, a guidance or anesthesia level the procedure does not accept,
a rating outside 0-10, sedation without an anesthesiologist, ...

Performing (and an amendment that changes who did what, or how) also asks:

- the requirements engine (``decide_many``), at the facility and the moment of the
  procedure, whether the performer may ``perform_procedure:<class>``, at sedation or
  general anesthesia whether the anesthesiologist may ``give_sedation`` or
  ``give_anesthesia`` and whether the nurse who watched the sedated patient may
  ``monitor_sedation``, and under fluoroscopy whether the radiographer or x-ray assistant
  recorded at the C-arm may ``operate_equipment:c_arm``;
- the facilities app whether the guidance equipment (C-arm, ultrasound, CT) is in service.

A refusal lists every reason in both languages (``refusals.ProcedureRefused``), is audited
on its own (``permission_denied``, with the reason codes) and writes nothing else. The
decisions relied on are stored with the performance and stated in its audit row.

Who may write: a member with a clinical role whose membership reaches the facility.
Ordering also asks the engine for ``order_procedure`` at the facility (the ID pack: a
physician with a valid STR and a SIP for the facility); a refusal is audited and raised as
``ProcedureRefused``. Scheduling and cancelling have no action of their own in the policy
packs (like encounters); the privilege that matters, the performer's, is the engine's.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, NoReturn

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditOutcome
from nyeri.audit.services import record_event
from nyeri.clinical.access import ensure_clinical_role
from nyeri.clinical.models import Encounter, EncounterStatus, Laterality, Patient
from nyeri.lib.bodysites import side_label
from nyeri.lib.bodysites import site_label as region_label
from nyeri.lib.services import Errors, add_error, check_acting_user
from nyeri.procedures.catalogue import catalogue, procedure
from nyeri.procedures.catalogue.schema import Procedure
from nyeri.procedures.equipment import guidance_status
from nyeri.procedures.kinds import (
    ANESTHESIOLOGIST_ACTION,
    GUIDANCE_EQUIPMENT,
    MONITORING_ACTION,
    TRANSITIONS,
    AnesthesiaLevel,
    ComplicationKind,
    Guidance,
    PerformanceKind,
    ProcedureStatus,
)
from nyeri.procedures.models import (
    RATING_MAX,
    RATING_MIN,
    ProcedureComplication,
    ProcedurePerformance,
    ProcedureRecord,
)
from nyeri.procedures.refusals import ProcedureRefused, Reason, from_unmet, reason
from nyeri.tenancy.clock import at_facility, format_facility_time
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope
from nyeri.workforce.engine import Decision, decide_many
from nyeri.workforce.models import Person
from nyeri.workforce.privileges.services import open_proctored_case

TEXT_MAX: Final = 2000
REASON_MAX: Final = 1000
RECORD: Final = "procedure"
# The engine's action for a procedure under fluoroscopy, and the privileges whose focused
# review a case counts towards (nyeri/workforce/privileges/data).
FLUOROSCOPY_ACTION: Final = "perform_fluoroscopy_guided"
FLUOROSCOPY_PRIVILEGE: Final = "fluoroscopy_interventional"
C_ARM_PRIVILEGE: Final = "c_arm_operation"
SEDATION_PRIVILEGE: Final = "procedural_sedation"
# At sedation or general anesthesia the nurse who watches the patient (a nursing privilege,
# granted through the nursing committee, asked where the facility requires it).
MONITORING_PRIVILEGE: Final = "nursing_sedation_monitoring"
# The guidance whose equipment is operated by someone other than the performer, who is recorded
# (a radiographer or x-ray assistant at the C-arm); ultrasound is held by the performer.
OPERATED_GUIDANCE: Final = frozenset({Guidance.FLUOROSCOPY})
PERFORMANCE: Final = "procedure_performance"
ORDER_ACTION: Final = "order_procedure"


class Keep(enum.Enum):
    """The value of an amendment's field that the amendment leaves as it was."""

    KEEP = "keep"


KEEP: Final = Keep.KEEP


def _text(value: str | None) -> str:
    return (value or "").strip()


def _language() -> str:
    return (translation.get_language() or "id").split("-")[0]


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


# --- Labels for messages --------------------------------------------------------------------


def _sides_text(sides: Sequence[str]) -> str:
    return ", ".join(side_label(s) for s in sides)


def _guidance_text(values: Iterable[str]) -> str:
    return ", ".join(str(Guidance(v).label) for v in values)


def _anesthesia_text(values: Iterable[str]) -> str:
    return ", ".join(str(AnesthesiaLevel(v).label).lower() for v in values)


# --- Validation of what is done, where --------------------------------------------------------


@dataclass
class Content:
    """What a procedure is, as ordered or as performed (cleaned)."""

    procedure: Procedure | None
    body_site: str
    laterality: str
    guidance: str
    anesthesia: str


def clean_procedure(code: str, errors: Errors, field: str = "procedure_code") -> Procedure | None:
    found = procedure(_text(code))
    if found is None:
        add_error(errors, field, _("Choose a procedure of the catalogue."))
    return found


def clean_content(
    proc: Procedure | None,
    *,
    body_site: str,
    laterality: str,
    guidance: str,
    anesthesia: str,
    errors: Errors,
) -> Content:
    """Body site, side, guidance and anesthesia checked against the catalogue entry ``proc``.

    Empty guidance or anesthesia take the procedure's usual one.
    """
    site, side = _text(body_site), _text(laterality)
    guide, level = _text(guidance), _text(anesthesia)
    if proc is None:
        return Content(None, site, side, guide, level)
    name = proc.label(_language())
    if not site:
        add_error(errors, "body_site", _("Choose the body site."))
    elif site not in proc.body_sites:
        add_error(
            errors,
            "body_site",
            _("%(procedure)s is not done on the %(site)s; choose one of: %(sites)s.")
            % {
                "procedure": name,
                "site": region_label(site).lower(),
                "sites": ", ".join(region_label(s) for s in proc.body_sites),
            },
        )
    if side and side not in Laterality.values:
        add_error(errors, "laterality", _("Choose left, right, bilateral or midline."))
    elif site in proc.body_sites:
        sides = proc.sides_for(site)
        if not side and proc.side_required(site):
            add_error(
                errors,
                "laterality",
                _("Choose the side: %(procedure)s on the %(site)s needs one (%(sides)s).")
                % {"procedure": name, "site": region_label(site).lower(), "sides": _sides_text(sides)},
            )
        elif side and side not in sides:
            add_error(
                errors,
                "laterality",
                _("%(procedure)s on the %(site)s is not done %(side)s; choose %(sides)s.")
                % {
                    "procedure": name,
                    "site": region_label(site).lower(),
                    "side": side_label(side),
                    "sides": _sides_text(sides),
                },
            )
    guide = guide or proc.guidance[0]
    if guide not in proc.guidance:
        add_error(
            errors,
            "guidance",
            _("%(procedure)s is guided by %(allowed)s.")
            % {"procedure": name, "allowed": _guidance_text(proc.guidance)},
        )
    level = level or proc.anesthesia
    if level not in proc.anesthesia_levels:
        add_error(
            errors,
            "anesthesia",
            _("%(procedure)s is done with %(allowed)s.")
            % {"procedure": name, "allowed": _anesthesia_text(proc.anesthesia_levels)},
        )
    return Content(proc, site, side, guide, level)


def _clean_rating(value: Any, field: str, errors: Errors) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not RATING_MIN <= value <= RATING_MAX:
        add_error(errors, field, _("Enter a whole number from 0 to 10."))
        return None
    return value


def _clean_complications(kinds: Iterable[str], note: str, errors: Errors) -> tuple[list[str], str]:
    chosen: list[str] = []
    for kind in kinds:
        value = _text(kind)
        if value not in ComplicationKind.values:
            add_error(errors, "complications", _("Choose complications from the list."))
            break
        if value not in chosen:
            chosen.append(value)
    text = _text(note)
    if ComplicationKind.OTHER in chosen and not text:
        add_error(errors, "complication_note", _("Describe the other complication."))
    if len(text) > TEXT_MAX:
        add_error(errors, "complication_note", _("At most %(max)d characters.") % {"max": TEXT_MAX})
    return sorted(chosen, key=ComplicationKind.values.index), text


def _clean_reason(text: str, errors: Errors, missing: str) -> str:
    value = _text(text)
    if not value:
        add_error(errors, "reason", missing)
    elif len(value) > REASON_MAX:
        add_error(errors, "reason", _("At most %(max)d characters.") % {"max": REASON_MAX})
    return value


def _clean_note(text: str, field: str, errors: Errors) -> str:
    value = _text(text)
    if len(value) > TEXT_MAX:
        add_error(errors, field, _("At most %(max)d characters.") % {"max": TEXT_MAX})
    return value


# --- Where --------------------------------------------------------------------------------


def _place(
    scope: Scope, patient: Patient, facility: Facility | None, encounter: Encounter | None, errors: Errors
) -> Facility:
    """Where the procedure is done: the visit's facility, else the one chosen, else the patient's."""
    if encounter is not None:
        if encounter.organization_id != scope.organization.pk or encounter.patient_id != patient.pk:
            add_error(errors, "encounter", _("This visit is not one of this patient's."))
        elif encounter.status == EncounterStatus.CANCELLED:
            add_error(errors, "encounter", _("This visit was cancelled."))
        if facility is not None and facility.pk != encounter.facility_id:
            add_error(errors, "facility", _("A procedure in a visit is done at the visit's facility."))
        place = encounter.facility
    else:
        place = facility or patient.registered_at
    if place.organization_id != scope.organization.pk:
        # Only a caller that skipped the scoped look-up gets here: the same answer as one.
        raise Http404("No such facility")
    if not scope.covers_facility(place.pk):
        add_error(errors, "facility", _("Your membership does not reach this facility."))
    elif not place.is_active:
        add_error(errors, "facility", _("This facility is closed."))
    return place


def _own_record(scope: Scope, record: ProcedureRecord) -> None:
    ensure_clinical_role(scope, object_type=RECORD)
    if record.organization_id != scope.organization.pk:
        raise Http404("No such procedure")


def _covers(scope: Scope, record: ProcedureRecord) -> None:
    if not scope.covers_facility(record.facility_id):
        raise ValidationError({"facility": [_("Your membership does not reach this facility.")]})


def _lock(record: ProcedureRecord) -> str:
    """Lock the record's row and return its status now (another writer may have moved it)."""
    status = ProcedureRecord.objects.select_for_update().filter(pk=record.pk).values_list("status", flat=True).first()
    assert status is not None
    return status


def _not_now(status: str) -> ValidationError:
    messages: dict[str, str] = {
        ProcedureStatus.PERFORMED: _("This procedure has been performed: correct it with an amendment."),
        ProcedureStatus.CANCELLED: _("This procedure was cancelled."),
        ProcedureStatus.ELSEWHERE: _("This procedure was performed elsewhere, on referral."),
        ProcedureStatus.ENTERED_IN_ERROR: _("This procedure was entered in error: it is kept as it was."),
    }
    return ValidationError(messages.get(status, _("This procedure cannot be changed so now.")), code=status)


def _move(record: ProcedureRecord, to: str) -> None:
    status = _lock(record)
    if to not in TRANSITIONS[status]:
        raise _not_now(status)
    record.status = status


def _audit(
    scope: Scope,
    acting_user: User,
    action: AuditAction,
    record: ProcedureRecord,
    reason_text: str,
    *,
    object_type: str = RECORD,
    object_id: int | None = None,
) -> None:
    record_event(
        actor=acting_user,
        action=action,
        organization=scope.organization,
        facility=record.facility,
        patient_id=record.patient_id,
        object_type=object_type,
        object_id=object_id if object_id is not None else record.pk,
        reason=reason_text,
    )


# --- Order, schedule, cancel ------------------------------------------------------------------


def order_procedure(
    *,
    scope: Scope,
    acting_user: User,
    patient: Patient,
    procedure_code: str,
    body_site: str,
    laterality: str = "",
    guidance: str = "",
    anesthesia: str = "",
    facility: Facility | None = None,
    encounter: Encounter | None = None,
    indication: str = "",
    ordered_at: datetime | None = None,
) -> ProcedureRecord:
    """Order ``procedure_code`` for ``patient`` at ``facility``.

    The facility defaults to the visit's, else to where the patient is registered.

    Refused, naming the field: a procedure not in the catalogue, a body site it does not
    allow, a missing or impossible side, a guidance or anesthesia level it does not accept,
    a visit of another patient or cancelled, a facility the membership does not reach.
    ``ordered_at`` (default now) is for an order given earlier (on paper, or imported); it
    cannot be in the future.
    """
    check_acting_user(scope, acting_user)
    ensure_clinical_role(scope, object_type=RECORD)
    if patient.organization_id != scope.organization.pk:
        raise Http404("No such patient")
    errors: Errors = {}
    place = _place(scope, patient, facility, encounter, errors)
    proc = clean_procedure(procedure_code, errors)
    content = clean_content(
        proc, body_site=body_site, laterality=laterality, guidance=guidance, anesthesia=anesthesia, errors=errors
    )
    text = _clean_note(indication, "indication", errors)
    now = timezone.now()
    if ordered_at is not None and ordered_at > now:
        add_error(errors, "ordered_at", _("The order cannot be in the future."))
    _raise(errors)
    assert proc is not None
    with transaction.atomic():
        allowed = may_order(scope, place, at=ordered_at or now)
        if allowed.allowed:
            return _create_order(
                scope, acting_user, patient, place, encounter, proc, content, text, ordered_at or now, allowed.basis
            )
    # Nothing was written: the refusal is audited on its own.
    _refuse_order(scope, place, patient, allowed)


def may_order(scope: Scope, facility: Facility, *, at: datetime | None = None) -> Readiness:
    """May the scope's user order procedures at ``facility`` at ``at``: the engine's ``order_procedure``
    (the ID pack: a physician with a valid STR and a SIP for this facility). 2-4 queries."""
    person = Person.objects.filter(organization=scope.organization, user=scope.user).first()
    if person is None:
        return Readiness(
            (
                reason(
                    "ordered_by.no_professional_record",
                    "ordered_by",
                    lambda: _(
                        "Your account has no professional record in this organization, so the platform cannot "
                        "check that you may order procedures."
                    ),
                ),
            ),
            f"{ORDER_ACTION}: user {scope.user.pk} has no professional record",
        )
    decision = decide_many(
        [person.pk], [ORDER_ACTION], facility, at=at or timezone.now(), jurisdiction=scope.organization.jurisdiction
    )[(person.pk, ORDER_ACTION)]
    return Readiness(
        tuple(from_unmet("ordered_by", person.full_name, u) for u in decision.unmet), _decision_text(decision)
    )


def _refuse_order(scope: Scope, facility: Facility, patient: Patient, found: Readiness) -> NoReturn:
    with transaction.atomic():
        record_event(
            actor=scope.user,
            action=AuditAction.PERMISSION_DENIED,
            outcome=AuditOutcome.DENIED,
            organization=scope.organization,
            facility=facility,
            patient_id=patient.pk,
            object_type=RECORD,
            reason=f"order refused: {', '.join(r.code for r in found.reasons)}; {found.basis}"[:2000],
        )
    raise ProcedureRefused(found.reasons)


def _create_order(
    scope: Scope,
    acting_user: User,
    patient: Patient,
    place: Facility,
    encounter: Encounter | None,
    proc: Procedure,
    content: Content,
    text: str,
    ordered_at: datetime,
    basis: str,
) -> ProcedureRecord:
    record = ProcedureRecord.objects.create(
        organization=scope.organization,
        patient=patient,
        facility=place,
        encounter=encounter,
        procedure_code=proc.code,
        catalogue_version=catalogue().version,
        body_site=content.body_site,
        laterality=content.laterality,
        guidance=content.guidance,
        anesthesia=content.anesthesia,
        indication=text,
        status=ProcedureStatus.ORDERED,
        ordered_by=acting_user,
        ordered_at=ordered_at,
    )
    _audit(
        scope,
        acting_user,
        AuditAction.CREATE,
        record,
        f"ordered {proc.code} ({content.body_site} {content.laterality or '-'}, {content.guidance}, "
        f"{content.anesthesia}) at facility {place.pk}, catalogue {record.catalogue_version}; {basis}"[:2000],
    )
    return record


def schedule_procedure(
    *, scope: Scope, acting_user: User, record: ProcedureRecord, scheduled_for: datetime | None
) -> ProcedureRecord:
    """Schedule an ordered procedure, or move a scheduled one to another time (not in the past)."""
    check_acting_user(scope, acting_user)
    _own_record(scope, record)
    _covers(scope, record)
    now = timezone.now()
    if scheduled_for is None:
        raise ValidationError({"scheduled_for": [_("Choose the date and time.")]})
    # Typed at the facility: a naive time is its wall clock (see docs/api.md).
    scheduled_for = at_facility(scheduled_for, record.facility)
    if scheduled_for < now:
        raise ValidationError({"scheduled_for": [_("The time cannot be in the past.")]})
    with transaction.atomic():
        _move(record, ProcedureStatus.SCHEDULED)
        before = record.scheduled_for
        record.status = ProcedureStatus.SCHEDULED
        record.scheduled_for = scheduled_for
        record.scheduled_by = acting_user
        record.scheduled_at = now
        record.save(update_fields=["status", "scheduled_for", "scheduled_by", "scheduled_at"])
        moved = f" (was {before.isoformat()})" if before is not None else ""
        _audit(scope, acting_user, AuditAction.UPDATE, record, f"scheduled for {scheduled_for.isoformat()}{moved}")
    return record


def cancel_procedure(*, scope: Scope, acting_user: User, record: ProcedureRecord, reason: str) -> ProcedureRecord:
    """Cancel a procedure that has not been performed, with the reason (the row is kept)."""
    check_acting_user(scope, acting_user)
    _own_record(scope, record)
    _covers(scope, record)
    errors: Errors = {}
    text = _clean_reason(reason, errors, _("Say why the procedure is cancelled."))
    _raise(errors)
    with transaction.atomic():
        _move(record, ProcedureStatus.CANCELLED)
        was = record.status
        record.status = ProcedureStatus.CANCELLED
        record.cancelled_by = acting_user
        record.cancelled_at = timezone.now()
        record.cancel_reason = text
        record.save(update_fields=["status", "cancelled_by", "cancelled_at", "cancel_reason"])
        _audit(scope, acting_user, AuditAction.CANCEL, record, f"cancelled (was {was}): {text[:200]}")
    return record


def close_performed_elsewhere(
    *, scope: Scope, acting_user: User, record: ProcedureRecord, referral_id: int, facility_name: str
) -> ProcedureRecord:
    """Close a waiting record whose referral came back done: *performed elsewhere* (terminal).

    Called by ``nyeri.imaging.services.complete_referral`` inside its transaction, so the
    referral and the record close together. The acting user is whoever completed the
    referral (the receiving facility's staff, whose membership need not reach the referring
    facility): no facility check here, the referral's answering rule stands for it. What was
    ordered is kept; no performance is written (the performing facility records its own).
    """
    check_acting_user(scope, acting_user)
    _own_record(scope, record)
    with transaction.atomic():
        _move(record, ProcedureStatus.ELSEWHERE)
        was = record.status
        record.status = ProcedureStatus.ELSEWHERE
        record.save(update_fields=["status"])
        _audit(
            scope,
            acting_user,
            AuditAction.UPDATE,
            record,
            f"performed elsewhere (was {was}): referral {referral_id} to {facility_name[:120]} done",
        )
    return record


# --- Performing: the engine and the equipment ------------------------------------------------------


@dataclass(frozen=True)
class Readiness:
    """May this be performed here, then: every reason why not, and the decisions relied on."""

    reasons: tuple[Reason, ...]
    # For the audit trail and the stored performance.
    basis: str

    @property
    def allowed(self) -> bool:
        return not self.reasons


def _decision_text(decision: Decision) -> str:
    relied = f" relying on credentials {', '.join(map(str, decision.relied_on))}" if decision.relied_on else ""
    if decision.allowed:
        return (
            f"{decision.action} allowed for person {decision.person_id} at facility {decision.facility_id} "
            f"by {decision.pack}{relied}"
        )
    return (
        f"{decision.action} refused for person {decision.person_id} at facility {decision.facility_id} "
        f"by {decision.pack}: {', '.join(u.code for u in decision.unmet)}"
    )


def _equipment_label(kind: str) -> str:
    try:
        from nyeri.facilities.models import EquipmentKind
    except (ImportError, RuntimeError):  # pragma: no cover - the facilities app is absent
        return kind
    return str(EquipmentKind(kind).label) if kind in EquipmentKind.values else kind


def equipment_reasons(facility: Facility, guidance: str) -> tuple[list[Reason], list[str]]:
    """Why ``guidance`` is not possible at ``facility`` now (no reason: its equipment is in service).

    Also what the decision relied on, for the audit trail. 1 query (4 on a refusal); none
    for a procedure without imaging guidance.
    """
    kind = GUIDANCE_EQUIPMENT.get(guidance)
    if kind is None:
        return [], []
    status = guidance_status(facility, kind)
    if status.available:
        return [], [f"{kind} in service at facility {facility.pk}"]
    place, guide, count = facility.name, Guidance(guidance), status.under_maintenance

    def params() -> dict[str, Any]:
        return {
            "facility": place,
            "equipment": _equipment_label(kind).lower(),
            "count": count,
            "guidance": str(guide.label).lower(),
        }

    if count:
        found = reason(
            "equipment.under_maintenance",
            "equipment",
            lambda: (
                _(
                    "%(facility)s has no %(equipment)s in service (under maintenance: %(count)d), "
                    "so %(guidance)s guidance is not possible."
                )
                % params()
            ),
        )
    else:
        found = reason(
            "equipment.not_in_service",
            "equipment",
            lambda: (
                _("%(facility)s has no %(equipment)s in service, so %(guidance)s guidance is not possible.") % params()
            ),
        )
    return [found], [f"no {kind} in service at facility {facility.pk}"]


def readiness(
    scope: Scope,
    facility: Facility,
    proc: Procedure,
    *,
    performer: Person,
    anesthesiologist: Person | None,
    anesthesia: str,
    guidance: str,
    at: datetime,
    imaging_operator: Person | None = None,
    monitoring_nurse: Person | None = None,
    check_people: bool = True,
    check_equipment: bool = True,
) -> Readiness:
    """Every reason ``proc`` may not be performed at ``facility`` at ``at`` as described (4-8 queries).

    The engine decides the performer's ``perform_procedure:<class>`` and, at sedation or
    general anesthesia, the anesthesiologist's ``give_sedation`` / ``give_anesthesia``; the
    facilities app says whether the guidance equipment is in service now. Under fluoroscopy
    the engine also decides the C-arm operator's ``operate_equipment:c_arm``; at sedation or
    general anesthesia the monitoring nurse's ``monitor_sedation``.
    """
    reasons: list[Reason] = []
    basis: list[str] = []
    if check_people:
        asks: list[tuple[Person, str, str]] = [(performer, proc.action, "performer")]
        if guidance == Guidance.FLUOROSCOPY:
            # The clinical privilege for procedures under fluoroscopy, where the facility requires it.
            asks.append((performer, FLUOROSCOPY_ACTION, "performer"))
        level_action = ANESTHESIOLOGIST_ACTION.get(anesthesia)
        if level_action is not None and anesthesiologist is not None:
            asks.append((anesthesiologist, level_action, "anesthesiologist"))
        if level_action is not None and monitoring_nurse is not None:
            asks.append((monitoring_nurse, MONITORING_ACTION, "monitoring_nurse"))
        operated = GUIDANCE_EQUIPMENT.get(guidance) if guidance in OPERATED_GUIDANCE else None
        if operated is not None and imaging_operator is not None:
            asks.append((imaging_operator, f"operate_equipment:{operated}", "imaging_operator"))
        people = list(dict.fromkeys(p.pk for p, _a, _s in asks))
        actions = list(dict.fromkeys(a for _p, a, _s in asks))
        decisions = decide_many(people, actions, facility, at=at, jurisdiction=scope.organization.jurisdiction)
        seen: set[tuple[str, str]] = set()
        for person, action, subject in asks:
            decision = decisions[(person.pk, action)]
            basis.append(_decision_text(decision))
            # Two actions of one person share requirements (licensed here): each reason once
            # (the same code with other facts, e.g. two missing specialties, stays).
            for u in decision.unmet:
                key = (subject, repr(u))
                if key not in seen:
                    seen.add(key)
                    reasons.append(from_unmet(subject, person.full_name, u))
    if check_equipment:
        found, said = equipment_reasons(facility, guidance)
        reasons.extend(found)
        basis.extend(said)
    return Readiness(tuple(reasons), "; ".join(basis) or "no privilege or equipment needed")


def _refuse(scope: Scope, record: ProcedureRecord, found: Readiness, *, object_type: str, object_id: int) -> NoReturn:
    # A refusal is a security event: audited in its own transaction (the write's rolled back), then raised.
    with transaction.atomic():
        record_event(
            actor=scope.user,
            action=AuditAction.PERMISSION_DENIED,
            outcome=AuditOutcome.DENIED,
            organization=scope.organization,
            facility=record.facility,
            patient_id=record.patient_id,
            object_type=object_type,
            object_id=object_id,
            reason=f"refused: {', '.join(r.code for r in found.reasons)}; {found.basis}"[:2000],
        )
    raise ProcedureRefused(found.reasons)


@dataclass
class Performed:
    """The cleaned content of a performance (new or amended)."""

    proc: Procedure
    content: Content
    performed_at: datetime
    performer: Person
    anesthesiologist: Person | None
    imaging_operator: Person | None
    monitoring_nurse: Person | None
    pain_before: int | None
    pain_after: int | None
    complications: list[str]
    complication_note: str
    note: str


def _clean_person(person: Person | None, field: str, scope: Scope, errors: Errors, missing: str) -> Person | None:
    if person is None:
        add_error(errors, field, missing)
        return None
    if person.organization_id != scope.organization.pk:
        add_error(errors, field, _("This person is not part of your organization."))
        return None
    return person


def _clean_performance(
    scope: Scope,
    record: ProcedureRecord,
    *,
    procedure_code: str,
    performed_at: datetime | None,
    performer: Person | None,
    anesthesiologist: Person | None,
    imaging_operator: Person | None,
    monitoring_nurse: Person | None,
    anesthesia: str,
    guidance: str,
    body_site: str,
    laterality: str,
    pain_before: Any,
    pain_after: Any,
    complications: Iterable[str],
    complication_note: str,
    note: str,
) -> Performed:
    errors: Errors = {}
    proc = clean_procedure(procedure_code, errors)
    content = clean_content(
        proc, body_site=body_site, laterality=laterality, guidance=guidance, anesthesia=anesthesia, errors=errors
    )
    moment = timezone.now() if performed_at is None else at_facility(performed_at, record.facility)
    if moment > timezone.now():
        add_error(errors, "performed_at", _("The time of the procedure cannot be in the future."))
    encounter = record.encounter
    if encounter is not None and moment < encounter.starts_at:
        add_error(
            errors,
            "performed_at",
            _("The procedure cannot be before the visit began (%(start)s).")
            % {"start": format_facility_time(encounter.starts_at, record.facility)},
        )
    who = _clean_person(performer, "performer", scope, errors, _("Choose who performed the procedure."))
    helper: Person | None = None
    watcher: Person | None = None
    if content.anesthesia in ANESTHESIOLOGIST_ACTION:
        helper = _clean_person(
            anesthesiologist,
            "anesthesiologist",
            scope,
            errors,
            _("%(level)s needs an anesthesiologist: choose who gave it.")
            % {"level": AnesthesiaLevel(content.anesthesia).label},
        )
        if helper is not None and who is not None and helper.pk == who.pk:
            add_error(errors, "anesthesiologist", _("The anesthesiologist must be someone other than the performer."))
        watcher = _clean_person(
            monitoring_nurse,
            "monitoring_nurse",
            scope,
            errors,
            _("%(level)s needs a nurse who monitors the patient: choose who.")
            % {"level": AnesthesiaLevel(content.anesthesia).label},
        )
        if watcher is not None and who is not None and watcher.pk == who.pk:
            add_error(errors, "monitoring_nurse", _("The monitoring nurse must be someone other than the performer."))
    else:
        if anesthesiologist is not None:
            add_error(
                errors,
                "anesthesiologist",
                _("An anesthesiologist is recorded for sedation or general anesthesia only."),
            )
        if monitoring_nurse is not None:
            add_error(
                errors,
                "monitoring_nurse",
                _("A monitoring nurse is recorded for sedation or general anesthesia only."),
            )
    operator: Person | None = None
    if content.guidance in OPERATED_GUIDANCE:
        operator = _clean_person(
            imaging_operator,
            "imaging_operator",
            scope,
            errors,
            _("%(guidance)s guidance needs the radiographer or x-ray assistant who operated the C-arm: choose who.")
            % {"guidance": Guidance(content.guidance).label},
        )
    elif imaging_operator is not None:
        add_error(errors, "imaging_operator", _("A C-arm operator is recorded with fluoroscopy guidance only."))
    before = _clean_rating(pain_before, "pain_before", errors)
    after = _clean_rating(pain_after, "pain_after", errors)
    kinds, kinds_note = _clean_complications(complications, complication_note, errors)
    text = _clean_note(note, "note", errors)
    _raise(errors)
    assert proc is not None
    assert who is not None
    return Performed(proc, content, moment, who, helper, operator, watcher, before, after, kinds, kinds_note, text)


def _insert(
    scope: Scope,
    acting_user: User,
    record: ProcedureRecord,
    done: Performed,
    *,
    basis: str,
    version: int,
    amends: ProcedurePerformance | None,
    reason_text: str,
) -> ProcedurePerformance:
    performance = ProcedurePerformance.objects.create(
        organization=scope.organization,
        record=record,
        version=version,
        kind=PerformanceKind.AMENDMENT if amends is not None else PerformanceKind.ORIGINAL,
        amends=amends,
        amendment_reason=reason_text,
        procedure_code=done.proc.code,
        catalogue_version=catalogue().version,
        performed_at=done.performed_at,
        performer=done.performer,
        anesthesiologist=done.anesthesiologist,
        imaging_operator=done.imaging_operator,
        monitoring_nurse=done.monitoring_nurse,
        anesthesia=done.content.anesthesia,
        guidance=done.content.guidance,
        body_site=done.content.body_site,
        laterality=done.content.laterality,
        pain_before=done.pain_before,
        pain_after=done.pain_after,
        complication_note=done.complication_note,
        note=done.note,
        decision=basis,
        recorded_by=acting_user,
        recorded_at=timezone.now(),
    )
    ProcedureComplication.objects.bulk_create(
        [
            ProcedureComplication(organization=scope.organization, performance=performance, kind=k)
            for k in done.complications
        ]
    )
    return performance


def record_performance(
    *,
    scope: Scope,
    acting_user: User,
    record: ProcedureRecord,
    performer: Person | None,
    performed_at: datetime | None = None,
    anesthesiologist: Person | None = None,
    imaging_operator: Person | None = None,
    monitoring_nurse: Person | None = None,
    procedure_code: str = "",
    anesthesia: str = "",
    guidance: str = "",
    body_site: str = "",
    laterality: str | None = None,
    pain_before: int | None = None,
    pain_after: int | None = None,
    complications: Iterable[str] = (),
    complication_note: str = "",
    note: str = "",
) -> ProcedurePerformance:
    """Record that the ordered (or scheduled) procedure was performed; the record becomes *performed*.

    Empty procedure, body site, side (None), guidance and anesthesia take what was ordered.
    Refused with a ValidationError naming the field on bad input; refused with
    ``ProcedureRefused`` (every reason, in both languages) when the engine does not allow
    the performer, the anesthesiologist or, under fluoroscopy, the C-arm operator
    (``operate_equipment:c_arm``), or the guidance equipment is not in service. Under
    fluoroscopy the C-arm operator is required (``imaging_operator``); at sedation or general
    anesthesia the nurse who monitored the patient (``monitoring_nurse``), whom the engine must
    allow ``monitor_sedation`` at the facility on the day of the procedure.
    """
    check_acting_user(scope, acting_user)
    _own_record(scope, record)
    _covers(scope, record)
    done = _clean_performance(
        scope,
        record,
        procedure_code=procedure_code or record.procedure_code,
        performed_at=performed_at,
        performer=performer,
        anesthesiologist=anesthesiologist,
        imaging_operator=imaging_operator,
        monitoring_nurse=monitoring_nurse,
        anesthesia=anesthesia or record.anesthesia,
        guidance=guidance or record.guidance,
        body_site=body_site or record.body_site,
        laterality=record.laterality if laterality is None else laterality,
        pain_before=pain_before,
        pain_after=pain_after,
        complications=complications,
        complication_note=complication_note,
        note=note,
    )
    with transaction.atomic():
        _move(record, ProcedureStatus.PERFORMED)
        was = record.status
        found = readiness(
            scope,
            record.facility,
            done.proc,
            performer=done.performer,
            anesthesiologist=done.anesthesiologist,
            imaging_operator=done.imaging_operator,
            monitoring_nurse=done.monitoring_nurse,
            anesthesia=done.content.anesthesia,
            guidance=done.content.guidance,
            at=done.performed_at,
        )
        if found.allowed:
            performance = _insert(
                scope, acting_user, record, done, basis=found.basis, version=1, amends=None, reason_text=""
            )
            record.status = ProcedureStatus.PERFORMED
            record.save(update_fields=["status"])
            _audit(
                scope,
                acting_user,
                AuditAction.CREATE,
                record,
                f"performed {done.proc.code} (record {record.pk}: {was} -> performed); {found.basis}",
                object_type=PERFORMANCE,
                object_id=performance.pk,
            )
            _focused_review(scope, record, done)
            return performance
    _refuse(scope, record, found, object_type=RECORD, object_id=record.pk)


def _focused_review(scope: Scope, record: ProcedureRecord, done: Performed) -> None:
    """A case done under a privilege still under focused review (FPPE) waits for a proctor's
    sign-off (``nyeri.workforce.privileges``): the performer's under fluoroscopy, the
    anesthesiologist's and the monitoring nurse's at sedation, the C-arm operator's."""
    held: list[tuple[Person, str]] = []
    if done.content.guidance == Guidance.FLUOROSCOPY:
        held.append((done.performer, FLUOROSCOPY_PRIVILEGE))
        if done.imaging_operator is not None:
            held.append((done.imaging_operator, C_ARM_PRIVILEGE))
    if done.content.anesthesia == AnesthesiaLevel.SEDATION and done.anesthesiologist is not None:
        held.append((done.anesthesiologist, SEDATION_PRIVILEGE))
    if done.content.anesthesia == AnesthesiaLevel.SEDATION and done.monitoring_nurse is not None:
        held.append((done.monitoring_nurse, MONITORING_PRIVILEGE))
    for person, privilege in held:
        open_proctored_case(
            scope=scope,
            performer=person,
            privilege=privilege,
            facility=record.facility,
            procedure_id=record.pk,
            patient_id=record.patient_id,
            performed_at=done.performed_at,
        )


# --- Amendments ---------------------------------------------------------------------------


def current_version(record: ProcedureRecord) -> ProcedurePerformance | None:
    return ProcedurePerformance.objects.filter(record=record).order_by("-version").first()


def _lock_current(performance: ProcedurePerformance) -> None:
    if _lock(performance.record) == ProcedureStatus.ENTERED_IN_ERROR:
        raise ValidationError(
            _("This procedure was entered in error: it is kept as it was and not amended any more."),
            code=ProcedureStatus.ENTERED_IN_ERROR,
        )
    if ProcedurePerformance.objects.filter(amends=performance).exists():
        raise ValidationError(
            _("This version has been amended since: open the procedure again and amend its current version."),
            code="superseded",
        )


AMENDABLE: Final = (
    "procedure_code",
    "performed_at",
    "performer",
    "anesthesiologist",
    "imaging_operator",
    "monitoring_nurse",
    "anesthesia",
    "guidance",
    "body_site",
    "laterality",
    "pain_before",
    "pain_after",
    "complications",
    "complication_note",
    "note",
)
# A change of these is decided again by the engine (at the time of the procedure). A change of
# the guidance to or from fluoroscopy changes who operated the C-arm, so it is decided again too.
DECIDED: Final = frozenset(
    {
        "procedure_code",
        "performed_at",
        "performer",
        "anesthesiologist",
        "imaging_operator",
        "monitoring_nurse",
        "anesthesia",
    }
)


def _complications_of(performance: ProcedurePerformance) -> list[str]:
    return sorted(performance.complications.values_list("kind", flat=True), key=ComplicationKind.values.index)


def amend_performance(
    *,
    scope: Scope,
    acting_user: User,
    performance: ProcedurePerformance,
    reason: str,
    procedure_code: str | Keep = KEEP,
    performed_at: datetime | Keep = KEEP,
    performer: Person | Keep = KEEP,
    anesthesiologist: Person | Keep | None = KEEP,
    imaging_operator: Person | Keep | None = KEEP,
    monitoring_nurse: Person | Keep | None = KEEP,
    anesthesia: str | Keep = KEEP,
    guidance: str | Keep = KEEP,
    body_site: str | Keep = KEEP,
    laterality: str | Keep = KEEP,
    pain_before: int | Keep | None = KEEP,
    pain_after: int | Keep | None = KEEP,
    complications: Iterable[str] | Keep = KEEP,
    complication_note: str | Keep = KEEP,
    note: str | Keep = KEEP,
) -> ProcedurePerformance:
    """Correct what was recorded as performed: a new version with the changes and the reason.

    The earlier version is kept as it was (who recorded it, when). Only the current version
    is amended; an amendment that changes nothing is refused. A change of the procedure, the
    time, the performer, the anesthesiologist, the monitoring nurse or the anesthesia level is
    decided again by the engine at the time of the procedure; a change of the guidance asks
    again whether the equipment is in service. Refused like ``record_performance`` otherwise.
    """
    check_acting_user(scope, acting_user)
    record = performance.record
    _own_record(scope, record)
    _covers(scope, record)
    if isinstance(performed_at, datetime):
        # Typed at the facility, and compared with the stored time below to find what changed.
        performed_at = at_facility(performed_at, record.facility)
    given = {
        "procedure_code": procedure_code,
        "performed_at": performed_at,
        "performer": performer,
        "anesthesiologist": anesthesiologist,
        "imaging_operator": imaging_operator,
        "monitoring_nurse": monitoring_nurse,
        "anesthesia": anesthesia,
        "guidance": guidance,
        "body_site": body_site,
        "laterality": laterality,
        "pain_before": pain_before,
        "pain_after": pain_after,
        "complications": complications,
        "complication_note": complication_note,
        "note": note,
    }
    earlier: dict[str, Any] = {
        "procedure_code": performance.procedure_code,
        "performed_at": performance.performed_at,
        "performer": performance.performer,
        "anesthesiologist": performance.anesthesiologist,
        "imaging_operator": performance.imaging_operator,
        "monitoring_nurse": performance.monitoring_nurse,
        "anesthesia": performance.anesthesia,
        "guidance": performance.guidance,
        "body_site": performance.body_site,
        "laterality": performance.laterality,
        "pain_before": performance.pain_before,
        "pain_after": performance.pain_after,
        "complications": _complications_of(performance),
        "complication_note": performance.complication_note,
        "note": performance.note,
    }
    values: dict[str, Any] = {
        name: earlier[name] if isinstance(given[name], Keep) else given[name] for name in AMENDABLE
    }
    # Sedation dropped: the anesthesiologist goes with it unless one was given explicitly.
    if isinstance(anesthesiologist, Keep) and values["anesthesia"] not in ANESTHESIOLOGIST_ACTION:
        values["anesthesiologist"] = None
    # And the nurse who monitored the sedated patient.
    if isinstance(monitoring_nurse, Keep) and values["anesthesia"] not in ANESTHESIOLOGIST_ACTION:
        values["monitoring_nurse"] = None
    # Likewise the C-arm operator goes with fluoroscopy guidance.
    if isinstance(imaging_operator, Keep) and values["guidance"] not in OPERATED_GUIDANCE:
        values["imaging_operator"] = None
    errors: Errors = {}
    text = _clean_reason(reason, errors, _("Say why the procedure record is amended."))
    try:
        done = _clean_performance(
            scope,
            record,
            procedure_code=values["procedure_code"],
            performed_at=values["performed_at"],
            performer=values["performer"],
            anesthesiologist=values["anesthesiologist"],
            imaging_operator=values["imaging_operator"],
            monitoring_nurse=values["monitoring_nurse"],
            anesthesia=values["anesthesia"],
            guidance=values["guidance"],
            body_site=values["body_site"],
            laterality=values["laterality"],
            pain_before=values["pain_before"],
            pain_after=values["pain_after"],
            complications=values["complications"],
            complication_note=values["complication_note"],
            note=values["note"],
        )
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
        _raise(errors)
        raise
    _raise(errors)
    changed = {
        name for name in AMENDABLE if _comparable(name, _value_of(done, name)) != _comparable(name, earlier[name])
    }
    if not changed:
        raise ValidationError(_("The amendment changes nothing: change a field or cancel."), code="unchanged")
    with transaction.atomic():
        _lock_current(performance)
        found = readiness(
            scope,
            record.facility,
            done.proc,
            performer=done.performer,
            anesthesiologist=done.anesthesiologist,
            imaging_operator=done.imaging_operator,
            monitoring_nurse=done.monitoring_nurse,
            anesthesia=done.content.anesthesia,
            guidance=done.content.guidance,
            at=done.performed_at,
            check_people=bool(changed & DECIDED),
            check_equipment="guidance" in changed,
        )
        if found.allowed:
            people, equipment = bool(changed & DECIDED), "guidance" in changed
            if people and equipment:
                basis = found.basis
            elif people or equipment:
                basis = f"{found.basis}; otherwise as version {performance.version}: {performance.decision}"
            else:
                basis = performance.decision
            successor = _insert(
                scope,
                acting_user,
                record,
                done,
                basis=basis[:4000],
                version=performance.version + 1,
                amends=performance,
                reason_text=text,
            )
            _audit(
                scope,
                acting_user,
                AuditAction.AMEND,
                record,
                f"amended version {performance.version} -> {successor.version} ({', '.join(sorted(changed))}); {basis}"[
                    :2000
                ],
                object_type=PERFORMANCE,
                object_id=successor.pk,
            )
            return successor
    _refuse(scope, record, found, object_type=PERFORMANCE, object_id=performance.pk)


def _value_of(done: Performed, name: str) -> Any:
    return {
        "procedure_code": done.proc.code,
        "performed_at": done.performed_at,
        "performer": done.performer,
        "anesthesiologist": done.anesthesiologist,
        "imaging_operator": done.imaging_operator,
        "monitoring_nurse": done.monitoring_nurse,
        "anesthesia": done.content.anesthesia,
        "guidance": done.content.guidance,
        "body_site": done.content.body_site,
        "laterality": done.content.laterality,
        "pain_before": done.pain_before,
        "pain_after": done.pain_after,
        "complications": done.complications,
        "complication_note": done.complication_note,
        "note": done.note,
    }[name]


def _comparable(name: str, value: Any) -> Any:
    if isinstance(value, Person):
        return value.pk
    if name == "complications":
        return tuple(value)
    return value


# --- Entered in error -------------------------------------------------------------------------


def mark_performance_entered_in_error(
    *, scope: Scope, acting_user: User, record: ProcedureRecord, reason: str, version: int
) -> ProcedureRecord:
    """Mark a performed procedure *entered in error* (the wrong patient, or it never happened); final.

    The record and every version of what was performed are kept as they were; the record
    says who marked it, when and why. It is no longer counted as performed (no chart marker,
    not on the worklist's performed list) and is not amended any more. Who may: whoever may
    amend the performance (a clinical role, a membership reaching the facility; no engine
    action, as for an amendment that changes no one's part). ``version`` is the version the
    user saw: refused (``version``) when the procedure has been amended since. Refused
    (``reason``) without a reason, (``status``) unless the procedure is performed, which
    includes a second marking.
    """
    check_acting_user(scope, acting_user)
    _own_record(scope, record)
    _covers(scope, record)
    errors: Errors = {}
    text = _clean_reason(reason, errors, _("Say why the procedure was entered in error."))
    _raise(errors)
    with transaction.atomic():
        status = _lock(record)
        if status == ProcedureStatus.ENTERED_IN_ERROR:
            marked = ProcedureRecord.objects.select_related("entered_in_error_by").get(pk=record.pk)
            raise ValidationError(
                {
                    "status": [
                        _("This procedure was already marked entered in error by %(who)s on %(when)s.")
                        % {
                            "who": marked.entered_in_error_by,
                            "when": format_facility_time(marked.entered_in_error_at, record.facility),
                        }
                    ]
                },
                code=status,
            )
        if status != ProcedureStatus.PERFORMED:
            raise ValidationError(
                {"status": [_("Only a performed procedure is marked entered in error; cancel an order instead.")]},
                code=status,
            )
        current = current_version(record)
        assert current is not None
        if version != current.version:
            raise ValidationError(
                {
                    "version": [
                        _(
                            "This procedure has been amended since (version %(current)d now): open it again "
                            "and check its current version."
                        )
                        % {"current": current.version}
                    ]
                },
                code="superseded",
            )
        record.status = ProcedureStatus.ENTERED_IN_ERROR
        record.entered_in_error_by = acting_user
        record.entered_in_error_at = timezone.now()
        record.entered_in_error_reason = text
        record.save(update_fields=["status", "entered_in_error_by", "entered_in_error_at", "entered_in_error_reason"])
        _audit(
            scope,
            acting_user,
            AuditAction.UPDATE,
            record,
            f"entered in error (was performed, version {current.version} kept): {text[:200]}",
        )
    return record
