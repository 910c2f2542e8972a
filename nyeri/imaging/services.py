"""Imaging writes: order, record the in-house result, cancel; refer, accept, decline, complete.

Every write is one transaction with its audit row (with the patient); bad input is refused
before anything is written with a ``ValidationError`` keyed by the field, in the user's
language. Recording an in-house result asks the facilities app whether the equipment is in
service and the requirements engine whether the acting user's professional record may
``operate_equipment:<kind>`` at the facility at ``performed_at``; a refusal lists every reason
in both languages (``ImagingRefused``), is audited on its own and writes nothing else.

Who may: a member with a clinical role. Ordering, cancelling and referring: a membership that
reaches the ordering facility. Accepting, declining and completing a referral: a membership
that reaches the receiving facility (for an outside provider, which has no account here, the
referring facility records its answer).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Final, NoReturn

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditOutcome
from nyeri.audit.services import record_event
from nyeri.clinical.access import ensure_clinical_role
from nyeri.clinical.models import Patient
from nyeri.facilities.catalogue import operate_action
from nyeri.facilities.models import EquipmentKind
from nyeri.facilities.selectors import equipment_in_service, facilities_with_equipment
from nyeri.imaging.kinds import (
    MODALITY_EQUIPMENT,
    ORDER_TRANSITIONS,
    REFERRAL_TRANSITIONS,
    Modality,
    OrderStatus,
    ReferralStatus,
    RevisionKind,
)
from nyeri.imaging.models import ImagingOrder, ImagingResult, Referral, ResultRevision
from nyeri.lib.bodysites import body_sites
from nyeri.lib.services import Errors, add_error, check_acting_user
from nyeri.procedures.kinds import GUIDANCE_EQUIPMENT, ProcedureStatus
from nyeri.procedures.models import ProcedureRecord
from nyeri.procedures.refusals import Reason, reason
from nyeri.procedures.services import close_performed_elsewhere
from nyeri.tenancy.clock import at_facility
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import CLINICAL_ROLES
from nyeri.tenancy.scope import Scope
from nyeri.workforce.credentials import evidence
from nyeri.workforce.engine import Decision, Unmet, decide_many
from nyeri.workforce.models import Person

TEXT_MAX: Final = 4000
NAME_MAX: Final = 200
ORDER: Final = "imaging_order"
RESULT: Final = "imaging_result"
REFERRAL: Final = "referral"
STORAGE_DIR: Final = "referral-results"
WAITING: Final = (ProcedureStatus.ORDERED, ProcedureStatus.SCHEDULED)


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def _text(value: str | None) -> str:
    return (value or "").strip()


def _language() -> str:
    return (translation.get_language() or "id").split("-")[0]


def _required_text(value: str, field: str, errors: Errors, missing: str, limit: int = TEXT_MAX) -> str:
    text = _text(value)
    if not text:
        add_error(errors, field, missing)
    elif len(text) > limit:
        add_error(errors, field, _("At most %(max)d characters.") % {"max": limit})
    return text


def _optional_text(value: str, field: str, errors: Errors, limit: int = TEXT_MAX) -> str:
    text = _text(value)
    if len(text) > limit:
        add_error(errors, field, _("At most %(max)d characters.") % {"max": limit})
    return text


def equipment_label(kind: str) -> str:
    return str(EquipmentKind(kind).label) if kind in EquipmentKind.values else kind


def _audit(
    scope: Scope,
    acting_user: User,
    action: AuditAction,
    *,
    facility: Facility | int,
    patient_id: int,
    object_type: str,
    object_id: int,
    text: str,
) -> None:
    record_event(
        actor=acting_user,
        action=action,
        organization=scope.organization,
        facility=facility if isinstance(facility, Facility) else Facility.objects.get(pk=facility),
        patient_id=patient_id,
        object_type=object_type,
        object_id=object_id,
        reason=text[:2000],
    )


# --- Orders ----------------------------------------------------------------------------------


def order_imaging(
    *,
    scope: Scope,
    acting_user: User,
    patient: Patient,
    modality: str,
    body_region: str,
    clinical_question: str,
    facility: Facility | None = None,
    ordered_at: datetime | None = None,
) -> ImagingOrder:
    """Order an examination for ``patient`` at ``facility`` (default: where the patient is registered)."""
    check_acting_user(scope, acting_user)
    ensure_clinical_role(scope, object_type=ORDER)
    if patient.organization_id != scope.organization.pk:
        raise Http404("No such patient")
    errors: Errors = {}
    place = facility or patient.registered_at
    if place.organization_id != scope.organization.pk:
        raise Http404("No such facility")
    if not scope.covers_facility(place.pk):
        add_error(errors, "facility", _("Your membership does not reach this facility."))
    elif not place.is_active:
        add_error(errors, "facility", _("This facility is closed."))
    kind = _text(modality)
    if kind not in Modality.values:
        add_error(errors, "modality", _("Choose X-ray, fluoroscopy, ultrasound, CT or MRI."))
    region = _text(body_region)
    if not region:
        add_error(errors, "body_region", _("Choose the body region."))
    elif body_sites().site(region) is None:
        add_error(errors, "body_region", _("Choose a body region of the body map."))
    question = _required_text(
        clinical_question, "clinical_question", errors, _("State the clinical question the examination answers.")
    )
    now = timezone.now()
    if ordered_at is not None and ordered_at > now:
        add_error(errors, "ordered_at", _("The order cannot be in the future."))
    _raise(errors)
    with transaction.atomic():
        order = ImagingOrder.objects.create(
            organization=scope.organization,
            patient=patient,
            facility=place,
            modality=kind,
            body_region=region,
            clinical_question=question,
            ordered_by=acting_user,
            ordered_at=ordered_at or now,
        )
        _audit(
            scope,
            acting_user,
            AuditAction.CREATE,
            facility=place,
            patient_id=patient.pk,
            object_type=ORDER,
            object_id=order.pk,
            text=f"ordered {kind} of {region} at facility {place.pk}",
        )
    return order


def _own_order(scope: Scope, order: ImagingOrder) -> None:
    ensure_clinical_role(scope, object_type=ORDER)
    if order.organization_id != scope.organization.pk:
        raise Http404("No such imaging order")


def _move_order(order: ImagingOrder, to: str) -> str:
    status = ImagingOrder.objects.select_for_update().filter(pk=order.pk).values_list("status", flat=True).first()
    assert status is not None
    if to not in ORDER_TRANSITIONS[status]:
        messages: dict[str, str] = {
            OrderStatus.DONE: _("This examination is done."),
            OrderStatus.CANCELLED: _("This order was cancelled."),
            OrderStatus.REFERRED: _("This order is referred: wait for the referral's answer."),
        }
        raise ValidationError(messages.get(status, _("This order cannot be changed so now.")), code=status)
    return status


def cancel_imaging_order(*, scope: Scope, acting_user: User, order: ImagingOrder, reason: str) -> ImagingOrder:
    """Cancel an order that is not done nor referred, with the reason (the row is kept)."""
    check_acting_user(scope, acting_user)
    _own_order(scope, order)
    errors: Errors = {}
    if not scope.covers_facility(order.facility_id):
        add_error(errors, "facility", _("Your membership does not reach this facility."))
    text = _required_text(reason, "reason", errors, _("Say why the order is cancelled."))
    _raise(errors)
    with transaction.atomic():
        was = _move_order(order, OrderStatus.CANCELLED)
        order.status = OrderStatus.CANCELLED
        order.cancelled_by = acting_user
        order.cancelled_at = timezone.now()
        order.cancel_reason = text
        order.save(update_fields=["status", "cancelled_by", "cancelled_at", "cancel_reason"])
        _audit(
            scope,
            acting_user,
            AuditAction.CANCEL,
            facility=order.facility_id,
            patient_id=order.patient_id,
            object_type=ORDER,
            object_id=order.pk,
            text=f"cancelled (was {was}): {text[:200]}",
        )
    return order


# --- In-house: the engine and the equipment ---------------------------------------------------------


class ImagingRefused(PermissionDenied):
    """The examination may not be done here by this user now; ``reasons`` says why (both languages)."""

    def __init__(self, reasons: tuple[Reason, ...]) -> None:
        super().__init__(" ".join(r.message_en for r in reasons))
        self.reasons = reasons

    def messages(self, language: str | None = None) -> list[str]:
        return [r.message(language) for r in self.reasons]


def _equipment_reason(facility: Facility, kind: str) -> Reason:
    name, label = facility.name, equipment_label(kind)
    return reason(
        "equipment.not_in_service",
        "equipment",
        lambda: _("%(facility)s has no %(equipment)s in service.") % {"facility": name, "equipment": label.lower()},
    )


def _no_person_reason() -> Reason:
    return reason(
        "operator.no_professional_record",
        "operator",
        lambda: _(
            "You have no professional record in this organization, so the platform cannot check your privileges."
        ),
    )


def _operator_reason(name: str, unmet: Unmet) -> Reason:
    return reason(
        f"operator.{unmet.code}",
        "operator",
        lambda: _("Operator %(name)s: %(reason)s") % {"name": name, "reason": unmet.message()},
    )


def _decision_text(decision: Decision) -> str:
    if decision.allowed:
        return (
            f"{decision.action} allowed for person {decision.person_id} at facility {decision.facility_id} "
            f"by {decision.pack}"
        )
    return (
        f"{decision.action} refused for person {decision.person_id} at facility {decision.facility_id} "
        f"by {decision.pack}: {', '.join(u.code for u in decision.unmet)}"
    )


def person_of(scope: Scope, user: User) -> Person | None:
    return Person.objects.filter(organization=scope.organization, user=user).first()


@dataclass(frozen=True)
class OperatorCheck:
    person: Person | None
    reasons: tuple[Reason, ...]
    basis: str

    @property
    def allowed(self) -> bool:
        return not self.reasons


def operator_check(scope: Scope, order: ImagingOrder, user: User, *, at: datetime | None = None) -> OperatorCheck:
    """May ``user`` do ``order``'s examination at its facility at ``at``: equipment and the engine (5 queries)."""
    kind = MODALITY_EQUIPMENT[order.modality]
    facility = order.facility
    reasons: list[Reason] = []
    basis: list[str] = []
    if equipment_in_service(facility, kind):
        basis.append(f"{kind} in service at facility {facility.pk}")
    else:
        reasons.append(_equipment_reason(facility, kind))
        basis.append(f"no {kind} in service at facility {facility.pk}")
    privilege = operator_privilege(scope, order, user, at=at)
    reasons.extend(privilege.reasons)
    basis.append(privilege.basis)
    return OperatorCheck(privilege.person, tuple(reasons), "; ".join(basis))


def operator_privilege(scope: Scope, order: ImagingOrder, user: User, *, at: datetime | None = None) -> OperatorCheck:
    """The engine alone (no equipment): may ``user`` operate ``order``'s equipment kind at its facility.

    Also who may correct an in-house result: the equipment need not be in service any more.
    """
    kind = MODALITY_EQUIPMENT[order.modality]
    person = person_of(scope, user)
    if person is None:
        return OperatorCheck(None, (_no_person_reason(),), f"user {user.pk} has no professional record")
    action = operate_action(kind)
    decision = decide_many([person.pk], [action], order.facility, at=at, jurisdiction=scope.organization.jurisdiction)[
        (person.pk, action)
    ]
    reasons = tuple(_operator_reason(person.full_name, u) for u in decision.unmet)
    return OperatorCheck(person, reasons, _decision_text(decision))


def _refuse(
    scope: Scope, *, facility: Facility | int, patient_id: int, object_type: str, object_id: int, found: OperatorCheck
) -> NoReturn:
    with transaction.atomic():
        record_event(
            actor=scope.user,
            action=AuditAction.PERMISSION_DENIED,
            outcome=AuditOutcome.DENIED,
            organization=scope.organization,
            facility=facility if isinstance(facility, Facility) else Facility.objects.get(pk=facility),
            patient_id=patient_id,
            object_type=object_type,
            object_id=object_id,
            reason=f"refused: {', '.join(r.code for r in found.reasons)}; {found.basis}"[:2000],
        )
    raise ImagingRefused(found.reasons)


def record_imaging_result(
    *,
    scope: Scope,
    acting_user: User,
    order: ImagingOrder,
    findings: str,
    impression: str,
    performed_at: datetime | None = None,
) -> ImagingResult:
    """The operator records the in-house result; the order is done.

    Refused (``ImagingRefused``, audited) unless the equipment is in service at the order's
    facility and the engine allows the acting user ``operate_equipment:<kind>`` there at
    ``performed_at``. Bad input (``ValidationError`` by field): missing findings or
    impression, a time in the future or before the order.
    """
    check_acting_user(scope, acting_user)
    _own_order(scope, order)
    errors: Errors = {}
    if not scope.covers_facility(order.facility_id):
        add_error(errors, "facility", _("Your membership does not reach this facility."))
    found_text = _required_text(findings, "findings", errors, _("Describe the findings."))
    impression_text = _required_text(impression, "impression", errors, _("State the impression."))
    now = timezone.now()
    # Typed at the order's facility: a naive time is its wall clock (see docs/api.md).
    moment = now if performed_at is None else at_facility(performed_at, order.facility)
    if moment > now:
        add_error(errors, "performed_at", _("The examination cannot be in the future."))
    elif moment < order.ordered_at:
        add_error(errors, "performed_at", _("The examination cannot be before the order."))
    _raise(errors)
    check = operator_check(scope, order, acting_user, at=moment)
    if not check.allowed:
        _refuse(
            scope,
            facility=order.facility_id,
            patient_id=order.patient_id,
            object_type=ORDER,
            object_id=order.pk,
            found=check,
        )
    assert check.person is not None
    with transaction.atomic():
        _move_order(order, OrderStatus.DONE)
        result = ImagingResult.objects.create(
            organization=scope.organization,
            order=order,
            operator=check.person,
            recorded_by=acting_user,
            performed_at=moment,
            recorded_at=now,
            findings=found_text,
            impression=impression_text,
            basis=check.basis,
        )
        order.status = OrderStatus.DONE
        order.save(update_fields=["status"])
        _audit(
            scope,
            acting_user,
            AuditAction.CREATE,
            facility=order.facility_id,
            patient_id=order.patient_id,
            object_type=RESULT,
            object_id=result.pk,
            text=f"result of imaging order {order.pk} performed at {moment.isoformat()}; {check.basis}",
        )
    return result


# --- Referrals --------------------------------------------------------------------------------


def referral_kind(*, order: ImagingOrder | None = None, procedure: ProcedureRecord | None = None) -> str:
    """The equipment kind a referral is for: the order's modality's, or the procedure's guidance's."""
    if order is not None:
        return MODALITY_EQUIPMENT[order.modality]
    assert procedure is not None
    kind = GUIDANCE_EQUIPMENT.get(procedure.guidance)
    if kind is None:
        raise ValidationError(
            {"procedure": [_("This procedure needs no imaging guidance: there is nothing to refer.")]}
        )
    return kind


def referral_destinations(order_facility: Facility, kind: str) -> list[Facility]:
    """The organization's other active facilities with ``kind`` in service (where to refer)."""
    return facilities_with_equipment(order_facility.organization_id, kind, exclude=order_facility)


def refer(
    *,
    scope: Scope,
    acting_user: User,
    order: ImagingOrder | None = None,
    procedure: ProcedureRecord | None = None,
    to_facility: Facility | None = None,
    outside_name: str = "",
    outside_address: str = "",
    note: str = "",
) -> Referral:
    """Refer an imaging order (or a procedure waiting for its guidance equipment) to a facility of
    the network that has the equipment in service, or to an outside provider (name and address).
    """
    check_acting_user(scope, acting_user)
    ensure_clinical_role(scope, object_type=REFERRAL)
    if (order is None) == (procedure is None):
        raise ValueError("refer an imaging order or a procedure, exactly one")
    subject = order if order is not None else procedure
    assert subject is not None
    if subject.organization_id != scope.organization.pk:
        raise Http404("No such order")
    errors: Errors = {}
    origin = subject.facility
    if not scope.covers_facility(origin.pk):
        add_error(errors, "facility", _("Your membership does not reach this facility."))
    kind = referral_kind(order=order, procedure=procedure)
    if procedure is not None and procedure.status not in WAITING:
        add_error(errors, "procedure", _("Only a procedure that waits (ordered or scheduled) can be referred."))
    name = _text(outside_name)
    address = _optional_text(outside_address, "outside_address", errors)
    if to_facility is not None and name:
        add_error(errors, "to_facility", _("Choose a facility of the network or an outside provider, not both."))
    elif to_facility is None and not name:
        add_error(errors, "to_facility", _("Choose where to refer: a facility of the network or an outside provider."))
    elif to_facility is not None:
        if to_facility.organization_id != scope.organization.pk:
            raise Http404("No such facility")
        if to_facility.pk == origin.pk:
            add_error(errors, "to_facility", _("A referral goes to another facility."))
        elif to_facility not in referral_destinations(origin, kind):
            add_error(
                errors,
                "to_facility",
                _("%(facility)s has no %(equipment)s in service.")
                % {"facility": to_facility.name, "equipment": equipment_label(kind).lower()},
            )
    else:
        if len(name) > NAME_MAX:
            add_error(errors, "outside_name", _("At most %(max)d characters.") % {"max": NAME_MAX})
        if not address:
            add_error(errors, "outside_address", _("Give the outside provider's address."))
    text = _optional_text(note, "note", errors)
    _raise(errors)
    with transaction.atomic():
        if order is not None:
            _move_order(order, OrderStatus.REFERRED)
        elif Referral.objects.filter(procedure=procedure, status__in=["sent", "accepted"]).exists():
            raise ValidationError(_("This procedure already has an open referral."))
        try:
            with transaction.atomic():
                referral = Referral.objects.create(
                    organization=scope.organization,
                    patient_id=subject.patient_id,
                    imaging_order=order,
                    procedure=procedure,
                    equipment_kind=kind,
                    from_facility=origin,
                    to_facility=to_facility,
                    outside_name=name if to_facility is None else "",
                    outside_address=address if to_facility is None else "",
                    note=text,
                    sent_by=acting_user,
                    sent_at=timezone.now(),
                )
        except IntegrityError as exc:  # a concurrent referral of the same procedure
            raise ValidationError(_("This procedure already has an open referral.")) from exc
        if order is not None:
            order.status = OrderStatus.REFERRED
            order.save(update_fields=["status"])
        what = f"imaging order {order.pk}" if order is not None else f"procedure {subject.pk}"
        where = f"facility {to_facility.pk}" if to_facility is not None else f"outside provider {name[:80]!r}"
        _audit(
            scope,
            acting_user,
            AuditAction.CREATE,
            facility=origin,
            patient_id=subject.patient_id,
            object_type=REFERRAL,
            object_id=referral.pk,
            text=f"referred {what} ({kind}) from facility {origin.pk} to {where}",
        )
    return referral


def answering_facility_id(referral: Referral) -> int:
    """Who answers a referral: the receiving facility; for an outside provider, the referring one."""
    return referral.to_facility_id if referral.to_facility_id is not None else referral.from_facility_id


def may_answer(scope: Scope, referral: Referral) -> bool:
    return bool(scope.roles & CLINICAL_ROLES) and scope.covers_facility(answering_facility_id(referral))


def _answering(scope: Scope, referral: Referral) -> None:
    ensure_clinical_role(scope, object_type=REFERRAL)
    if referral.organization_id != scope.organization.pk:
        raise Http404("No such referral")
    if not scope.covers_facility(answering_facility_id(referral)):
        raise ValidationError({"facility": [_("Only the staff of the receiving facility answer this referral.")]})


def _move_referral(referral: Referral, to: str) -> str:
    status = Referral.objects.select_for_update().filter(pk=referral.pk).values_list("status", flat=True).first()
    assert status is not None
    if to not in REFERRAL_TRANSITIONS[status]:
        messages: dict[str, str] = {
            ReferralStatus.SENT: _("This referral has not been accepted yet."),
            ReferralStatus.ACCEPTED: _("This referral has already been accepted."),
            ReferralStatus.DECLINED: _("This referral was declined."),
            ReferralStatus.DONE: _("This referral is done."),
        }
        raise ValidationError(messages[status], code=status)
    return status


def _audit_referral(scope: Scope, acting_user: User, action: AuditAction, referral: Referral, text: str) -> None:
    _audit(
        scope,
        acting_user,
        action,
        facility=answering_facility_id(referral),
        patient_id=referral.patient_id,
        object_type=REFERRAL,
        object_id=referral.pk,
        text=text,
    )


def accept_referral(*, scope: Scope, acting_user: User, referral: Referral) -> Referral:
    check_acting_user(scope, acting_user)
    _answering(scope, referral)
    with transaction.atomic():
        _move_referral(referral, ReferralStatus.ACCEPTED)
        referral.status = ReferralStatus.ACCEPTED
        referral.responded_by = acting_user
        referral.responded_at = timezone.now()
        referral.save(update_fields=["status", "responded_by", "responded_at"])
        _audit_referral(scope, acting_user, AuditAction.UPDATE, referral, "referral accepted")
    return referral


def decline_referral(*, scope: Scope, acting_user: User, referral: Referral, reason: str) -> Referral:
    """Decline with the reason; the imaging order waits again (refer elsewhere or cancel)."""
    check_acting_user(scope, acting_user)
    _answering(scope, referral)
    errors: Errors = {}
    text = _required_text(reason, "reason", errors, _("Say why the referral is declined."))
    _raise(errors)
    with transaction.atomic():
        _move_referral(referral, ReferralStatus.DECLINED)
        referral.status = ReferralStatus.DECLINED
        referral.responded_by = acting_user
        referral.responded_at = timezone.now()
        referral.decline_reason = text
        referral.save(update_fields=["status", "responded_by", "responded_at", "decline_reason"])
        if referral.imaging_order_id is not None:
            ImagingOrder.objects.filter(pk=referral.imaging_order_id, status=OrderStatus.REFERRED).update(
                status=OrderStatus.ORDERED
            )
        _audit_referral(scope, acting_user, AuditAction.UPDATE, referral, f"referral declined: {text[:200]}")
    return referral


@dataclass(frozen=True)
class StoredResult:
    storage_name: str
    sha256: str
    size: int


def _store(checked: evidence.CheckedUpload, *, organization_id: int) -> StoredResult:
    """Write the checked upload under a new random name in private storage, hashing it."""
    extension = evidence.EXTENSIONS[checked.content_type][0]
    storage_name = str(PurePosixPath(STORAGE_DIR, str(organization_id), secrets.token_hex(16) + extension))
    path = evidence.path_of(storage_name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    digest = hashlib.sha256()
    written = 0
    limit = evidence.max_bytes()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            checked.upload.seek(0)
            for chunk in checked.upload.chunks():
                written += len(chunk)
                if written > limit:
                    raise ValidationError({"file": [_("The file is larger than the limit.")]})
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return StoredResult(storage_name, digest.hexdigest(), written)


def complete_referral(
    *, scope: Scope, acting_user: User, referral: Referral, report: str, upload: UploadedFile | None = None
) -> Referral:
    """The result returns: the report (required) and optionally a PDF/PNG/JPEG file (checked by content).

    The referred imaging order is done. A referred procedure record still waiting at the
    referring clinic is closed in the same transaction as *performed elsewhere*
    (``procedures.services.close_performed_elsewhere``, audited): the performing facility
    records its own procedure, the referring clinic's order is fulfilled. A declined
    referral leaves the procedure waiting, to be referred elsewhere.
    """
    check_acting_user(scope, acting_user)
    _answering(scope, referral)
    errors: Errors = {}
    text = _required_text(report, "report", errors, _("Write the report of the result."))
    checked: evidence.CheckedUpload | None = None
    if upload is not None:
        try:
            checked = evidence.check_upload(upload)
        except ValidationError as exc:
            errors.setdefault("file", []).extend(exc.messages)
    _raise(errors)
    stored = _store(checked, organization_id=scope.organization.pk) if checked is not None else None
    try:
        with transaction.atomic():
            _move_referral(referral, ReferralStatus.DONE)
            referral.status = ReferralStatus.DONE
            referral.completed_by = acting_user
            referral.completed_at = timezone.now()
            referral.report = text
            if stored is not None and checked is not None:
                referral.file_storage_name = stored.storage_name
                referral.file_name = checked.original_name
                referral.file_content_type = checked.content_type
                referral.file_size = stored.size
                referral.file_sha256 = stored.sha256
            referral.save()
            if referral.imaging_order_id is not None:
                ImagingOrder.objects.filter(pk=referral.imaging_order_id, status=OrderStatus.REFERRED).update(
                    status=OrderStatus.DONE
                )
            elif referral.procedure is not None and referral.procedure.status in WAITING:
                close_performed_elsewhere(
                    scope=scope,
                    acting_user=acting_user,
                    record=referral.procedure,
                    referral_id=referral.pk,
                    facility_name=referral.destination,
                )
            attached = f", file sha256 {stored.sha256}" if stored is not None else ""
            _audit_referral(
                scope, acting_user, AuditAction.UPDATE, referral, f"referral done, result returned{attached}"
            )
    except BaseException:
        if stored is not None:
            evidence.discard([stored.storage_name])
        raise
    return referral


# --- Corrections of results: amendment and entered in error ----------------------------------------


def _latest_revision(*, result: ImagingResult | None = None, referral: Referral | None = None) -> ResultRevision | None:
    if result is not None:
        return ResultRevision.objects.filter(result=result).order_by("-version").first()
    return ResultRevision.objects.filter(referral=referral).order_by("-version").first()


def _check_current(latest: ResultRevision | None, version: int | None) -> int:
    """The current version number; refused when the result is entered in error or ``version`` is stale."""
    if latest is not None and latest.kind == RevisionKind.ENTERED_IN_ERROR:
        raise ValidationError(
            _("This result was entered in error: it is kept as it was and not corrected any more."),
            code="entered_in_error",
        )
    current = latest.version if latest is not None else 1
    if version is not None and version != current:
        raise ValidationError(
            _("This result has been corrected since: open it again and correct its current version."),
            code="superseded",
        )
    return current


def _refuse_correction(scope: Scope, result: ImagingResult, found: OperatorCheck) -> NoReturn:
    _refuse(
        scope,
        facility=result.order.facility_id,
        patient_id=result.order.patient_id,
        object_type=RESULT,
        object_id=result.pk,
        found=found,
    )


def _own_result(scope: Scope, acting_user: User, result: ImagingResult) -> OperatorCheck:
    """Who may correct an in-house result: the order's facility's staff whom the engine lets operate
    its equipment kind now (like recording it, without the equipment being in service)."""
    _own_order(scope, result.order)
    if not scope.covers_facility(result.order.facility_id):
        raise ValidationError({"facility": [_("Your membership does not reach this facility.")]})
    return operator_privilege(scope, result.order, acting_user)


def amend_imaging_result(
    *,
    scope: Scope,
    acting_user: User,
    result: ImagingResult,
    reason: str,
    findings: str,
    impression: str,
    version: int | None = None,
) -> ResultRevision:
    """Correct an in-house result: a new version with the findings and impression, who, when and why.

    The earlier versions are kept. ``version`` (the one the user corrected) refuses a stale
    correction. Refused (``ImagingRefused``, audited) unless the engine lets the acting user
    operate the order's equipment kind at its facility; a result entered in error is not
    corrected any more; an amendment that changes nothing is refused.
    """
    check_acting_user(scope, acting_user)
    errors: Errors = {}
    why = _required_text(reason, "reason", errors, _("Say why the result is amended."))
    found_text = _required_text(findings, "findings", errors, _("Describe the findings."))
    impression_text = _required_text(impression, "impression", errors, _("State the impression."))
    check = _own_result(scope, acting_user, result)
    _raise(errors)
    if not check.allowed:
        _refuse_correction(scope, result, check)
    with transaction.atomic():
        ImagingResult.objects.select_for_update().filter(pk=result.pk).first()
        latest = _latest_revision(result=result)
        current = _check_current(latest, version)
        now_findings = latest.findings if latest is not None else result.findings
        now_impression = latest.impression if latest is not None else result.impression
        if (found_text, impression_text) == (now_findings, now_impression):
            raise ValidationError(_("The amendment changes nothing: change a field or cancel."), code="unchanged")
        revision = ResultRevision.objects.create(
            organization=scope.organization,
            patient_id=result.order.patient_id,
            result=result,
            version=current + 1,
            kind=RevisionKind.AMENDMENT,
            reason=why,
            findings=found_text,
            impression=impression_text,
            recorded_by=acting_user,
            recorded_at=timezone.now(),
        )
        _audit(
            scope,
            acting_user,
            AuditAction.AMEND,
            facility=result.order.facility_id,
            patient_id=result.order.patient_id,
            object_type=RESULT,
            object_id=result.pk,
            text=f"amended imaging result {result.pk}: version {current} -> {revision.version}; {check.basis}",
        )
    return revision


def _answered_result(scope: Scope, referral: Referral) -> None:
    _answering(scope, referral)
    if referral.status != ReferralStatus.DONE:
        raise ValidationError(_("This referral has no result yet."), code=referral.status)


def amend_referral_result(
    *,
    scope: Scope,
    acting_user: User,
    referral: Referral,
    reason: str,
    report: str,
    version: int | None = None,
) -> ResultRevision:
    """Correct the result a referral returned: a new version of the report, with who, when and why.

    Who may: those who answer the referral (the receiving facility's staff; for an outside
    provider, the referring facility's). The returned file, if any, stays as returned.
    """
    check_acting_user(scope, acting_user)
    errors: Errors = {}
    why = _required_text(reason, "reason", errors, _("Say why the result is amended."))
    text = _required_text(report, "report", errors, _("Write the report of the result."))
    _answered_result(scope, referral)
    _raise(errors)
    with transaction.atomic():
        Referral.objects.select_for_update().filter(pk=referral.pk).first()
        latest = _latest_revision(referral=referral)
        current = _check_current(latest, version)
        if text == (latest.report if latest is not None else referral.report):
            raise ValidationError(_("The amendment changes nothing: change a field or cancel."), code="unchanged")
        revision = ResultRevision.objects.create(
            organization=scope.organization,
            patient_id=referral.patient_id,
            referral=referral,
            version=current + 1,
            kind=RevisionKind.AMENDMENT,
            reason=why,
            report=text,
            recorded_by=acting_user,
            recorded_at=timezone.now(),
        )
        _audit_referral(
            scope,
            acting_user,
            AuditAction.AMEND,
            referral,
            f"amended the returned result: version {current} -> {revision.version}",
        )
    return revision


def mark_result_entered_in_error(
    *,
    scope: Scope,
    acting_user: User,
    reason: str,
    result: ImagingResult | None = None,
    referral: Referral | None = None,
    version: int | None = None,
) -> ResultRevision:
    """Mark an in-house result or a referral's returned result *entered in error* (final).

    The result and its versions are kept and shown, marked; the order (or the referral) has
    no current result any more. Who may: as for an amendment.
    """
    check_acting_user(scope, acting_user)
    if (result is None) == (referral is None):
        raise ValueError("mark a result or a referral's result, exactly one")
    errors: Errors = {}
    why = _required_text(reason, "reason", errors, _("Say why the result was entered in error."))
    check: OperatorCheck | None = None
    if result is not None:
        check = _own_result(scope, acting_user, result)
    else:
        assert referral is not None
        _answered_result(scope, referral)
    _raise(errors)
    if check is not None and not check.allowed:
        assert result is not None
        _refuse_correction(scope, result, check)
    with transaction.atomic():
        if result is not None:
            ImagingResult.objects.select_for_update().filter(pk=result.pk).first()
        else:
            assert referral is not None
            Referral.objects.select_for_update().filter(pk=referral.pk).first()
        latest = _latest_revision(result=result, referral=referral)
        current = _check_current(latest, version)
        revision = ResultRevision.objects.create(
            organization=scope.organization,
            patient_id=result.order.patient_id if result is not None else referral.patient_id,  # type: ignore[union-attr]
            result=result,
            referral=referral,
            version=current + 1,
            kind=RevisionKind.ENTERED_IN_ERROR,
            reason=why,
            recorded_by=acting_user,
            recorded_at=timezone.now(),
        )
        text = f"result entered in error (version {current} -> {revision.version}): {why[:200]}"
        if result is not None:
            _audit(
                scope,
                acting_user,
                AuditAction.UPDATE,
                facility=result.order.facility_id,
                patient_id=result.order.patient_id,
                object_type=RESULT,
                object_id=result.pk,
                text=f"imaging {text}; {check.basis if check is not None else ''}",
            )
        else:
            assert referral is not None
            _audit_referral(scope, acting_user, AuditAction.UPDATE, referral, f"returned {text}")
    return revision
