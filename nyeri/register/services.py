"""Writes to the controlled-drug register. See docs/register.md.

Every write is one transaction: the product's balance row is locked (``SELECT ... FOR
UPDATE``), the movement is added with the stock after it, the balance is updated and the
audit row recorded. The balance cannot go below zero (a CheckConstraint; the services refuse
first, with a translated reason on ``quantity``). Who may write: the requirements engine's
``dispense_controlled`` action (ID pack: a pharmacist with an STR and a SIP for the facility).
A refusal is audited (permission denied) and raised as ``ActionRefused`` (the door,
``nyeri.workforce.door``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Final

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.clinical.models import Patient
from nyeri.prescriptions import catalogue
from nyeri.prescriptions.models import PrescriptionItem, PrescriptionStatus
from nyeri.register.models import Movement, MovementKind, StockBalance
from nyeri.tenancy.clock import local_date
from nyeri.tenancy.models import Facility, Membership
from nyeri.tenancy.scope import Scope
from nyeri.workforce.door import Verdict, authorize, check

ACTION: Final = "dispense_controlled"
OBJECT_TYPE: Final = "register_movement"
MAX_QUANTITY: Final = 1_000_000
# A clock a little ahead of the server's is not "the future".
CLOCK_SKEW: Final = timedelta(minutes=5)


def _no_record() -> str:
    return _("Your account has no professional record in this organization, so it cannot keep the register.")


def privilege(scope: Scope, facility: Facility) -> Verdict:
    """May the scope's user write to ``facility``'s register now (engine action ``dispense_controlled``)?"""
    return check(scope, ACTION, facility, no_record=_no_record())


def _ensure_allowed(scope: Scope, facility: Facility) -> None:
    if facility.organization_id != scope.organization.pk or not scope.covers_facility(facility.pk):
        raise Http404("No such facility")
    authorize(scope, ACTION, facility, object_type=OBJECT_TYPE, no_record=_no_record(), field="pharmacist")


def _error(field: str, message: str, code: str) -> ValidationError:
    """A translated refusal keyed by ``field``, with a code for clients and tests."""
    return ValidationError({field: ValidationError(message, code=code)})


def not_a_member(field: str) -> ValidationError:
    return _error(field, _("A witness must be an active member of this organization."), "not_member")


def bad_month() -> ValidationError:
    return _error("month", _("Choose a month between January 2000 and December 2100."), "invalid")


# --- Input ---------------------------------------------------------------------------------


def clean_quantity(value: Any, field: str = "quantity") -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise _error(field, _("Enter a whole number of units."), "invalid") from None
    if number <= 0:
        raise _error(field, _("The quantity must be more than zero."), "not_positive")
    if number > MAX_QUANTITY:
        raise _error(field, _("The quantity must be at most %(most)s.") % {"most": MAX_QUANTITY}, "too_large")
    return number


def controlled_product(scope: Scope, code: str, field: str = "medication") -> catalogue.Medication:
    """The catalogue product ``code``, controlled in the organization's jurisdiction; else a ValidationError."""
    med = catalogue.medication((code or "").strip())
    jurisdiction = scope.organization.jurisdiction
    if med is None or jurisdiction not in med.markets:
        raise _error(field, _("Unknown product: %(code)s.") % {"code": code}, "unknown_product")
    if not catalogue.is_controlled(med, jurisdiction):
        raise _error(
            field,
            _("%(product)s is not a controlled drug here; it has no place in the register.")
            % {"product": catalogue.label(med, translation.get_language() or "id")},
            "not_controlled",
        )
    return med


def _required(field: str, value: str) -> str:
    text = (value or "").strip()
    if not text:
        raise _error(field, _("This field is required."), "required")
    return text


def _when(occurred_at: datetime | None) -> datetime | None:
    """A given date, checked; None means "now", taken under the balance's lock (see ``_append``)."""
    if occurred_at is not None and occurred_at > timezone.now() + CLOCK_SKEW:
        raise _error("occurred_at", _("A movement cannot be dated in the future."), "future")
    return occurred_at


# --- The ledger ------------------------------------------------------------------------------


def _locked_balance(scope: Scope, facility: Facility, med: catalogue.Medication) -> StockBalance:
    """The product's balance row at ``facility``, locked until the transaction ends (created at zero if new)."""
    found = StockBalance.objects.select_for_update().filter(facility=facility, medication_code=med.code).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            StockBalance.objects.create(
                organization=scope.organization,
                facility=facility,
                medication_code=med.code,
                label_en=med.label_en,
                label_id=med.label_id,
                strength=med.strength,
                strength_unit=med.strength_unit,
                dose_unit=med.dose_unit,
                controlled_class=catalogue.controlled_class(med, scope.organization.jurisdiction),
            )
    except IntegrityError:
        pass  # another transaction created it first
    return StockBalance.objects.select_for_update().get(facility=facility, medication_code=med.code)


def _append(
    scope: Scope,
    acting_user: User,
    facility: Facility,
    balance: StockBalance,
    *,
    kind: MovementKind,
    delta: int,
    occurred_at: datetime | None,
    summary: str = "",
    **fields: Any,
) -> Movement:
    """Add one movement to the locked ``balance`` and update it; refuse what would make the stock negative.

    Without ``occurred_at`` the movement is dated now, read under the lock: the register's
    order is then the order of its dates.
    """
    if occurred_at is None:
        occurred_at = timezone.now()
    after = balance.quantity + delta
    if after < 0:
        raise _error(
            "quantity",
            _("Only %(stock)s in stock: %(quantity)s cannot leave the register.")
            % {"stock": balance.quantity, "quantity": -delta},
            "insufficient_stock",
        )
    last = (
        Movement.objects.filter(balance=balance)
        .order_by("-occurred_at", "-pk")
        .values_list("occurred_at", flat=True)
        .first()
    )
    if last is not None and occurred_at < last:
        raise _error(
            "occurred_at",
            _("The register of this product has a later movement: date this one after it."),
            "before_last",
        )
    movement = Movement.objects.create(
        organization=scope.organization,
        facility=facility,
        balance=balance,
        kind=kind,
        quantity=abs(delta),
        delta=delta,
        balance_after=after,
        occurred_at=occurred_at,
        recorded_by=acting_user,
        **fields,
    )
    StockBalance.objects.filter(pk=balance.pk).update(quantity=after, updated_at=timezone.now())
    balance.quantity = after
    patient = fields.get("patient")
    record_event(
        actor=acting_user,
        action=AuditAction.CREATE,
        organization=scope.organization,
        facility=facility,
        patient_id=patient.pk if patient is not None else None,
        object_type=OBJECT_TYPE,
        object_id=movement.pk,
        reason=f"{kind} {balance.medication_code} {delta:+d} -> {after}{summary}",
    )
    return movement


def _product_write(
    scope: Scope,
    acting_user: User,
    facility: Facility,
    medication: str,
    *,
    kind: MovementKind,
    delta_sign: int,
    quantity: Any,
    occurred_at: datetime | None,
    summary: str = "",
    **fields: Any,
) -> Movement:
    _ensure_allowed(scope, facility)
    med = controlled_product(scope, medication)
    units = clean_quantity(quantity)
    when = _when(occurred_at)
    with transaction.atomic():
        balance = _locked_balance(scope, facility, med)
        return _append(
            scope,
            acting_user,
            facility,
            balance,
            kind=kind,
            delta=delta_sign * units,
            occurred_at=when,
            summary=summary,
            **fields,
        )


def record_receipt(
    *,
    scope: Scope,
    acting_user: User,
    facility: Facility,
    medication: str,
    quantity: Any,
    supplier: str,
    document_number: str,
    batch_number: str,
    expiry_date: date | None,
    occurred_at: datetime | None = None,
) -> Movement:
    """Stock received from a supplier (pharmaceutical wholesaler), with its invoice, batch and expiry."""
    fields = {
        "supplier": _required("supplier", supplier),
        "document_number": _required("document_number", document_number),
        "batch_number": _required("batch_number", batch_number),
    }
    if expiry_date is None:
        raise _error("expiry_date", _("This field is required."), "required")
    if expiry_date <= local_date(facility, occurred_at):
        raise _error("expiry_date", _("This batch has already expired."), "expired")
    return _product_write(
        scope,
        acting_user,
        facility,
        medication,
        kind=MovementKind.RECEIPT,
        delta_sign=1,
        quantity=quantity,
        occurred_at=occurred_at,
        summary=f", invoice {fields['document_number']}, batch {fields['batch_number']}",
        expiry_date=expiry_date,
        **fields,
    )


def dispensed_on(item: PrescriptionItem) -> int:
    """Units already dispensed on ``item`` (net of reversed dispensings)."""
    total = Movement.objects.filter(
        prescription_item=item, kind__in=[MovementKind.DISPENSING, MovementKind.REVERSAL]
    ).aggregate(total=Sum("delta"))["total"]
    return -(total or 0)


def remaining_on(item: PrescriptionItem) -> int:
    return max(item.quantity - dispensed_on(item), 0)


def dispense(
    *,
    scope: Scope,
    acting_user: User,
    facility: Facility,
    item: PrescriptionItem,
    quantity: Any,
    occurred_at: datetime | None = None,
) -> Movement:
    """Dispense ``quantity`` units of a controlled item of a signed prescription, from ``facility``'s stock.

    At most what remains to dispense on the item, and at most what is in stock: both are
    checked under the locks of the item and of the balance (in that order, always).
    """
    if item.organization_id != scope.organization.pk:
        raise Http404("No such prescription item")
    _ensure_allowed(scope, facility)
    units = clean_quantity(quantity)
    when = _when(occurred_at)
    if not item.controlled_class:
        raise _error(
            "item",
            _("%(product)s is not a controlled drug here; it has no place in the register.")
            % {"product": item.label(translation.get_language() or "id")},
            "not_controlled",
        )
    med = controlled_product(scope, item.medication_code, field="item")
    with transaction.atomic():
        locked = PrescriptionItem.objects.select_for_update().select_related("prescription").get(pk=item.pk)
        prescription = locked.prescription
        if prescription.status != PrescriptionStatus.SIGNED:
            raise _error("item", _("Only a signed prescription that is not cancelled can be dispensed."), "not_signed")
        remaining = remaining_on(locked)
        if units > remaining:
            raise _error(
                "quantity",
                _("Only %(remaining)s of %(prescribed)s remain to dispense on this prescription item.")
                % {"remaining": remaining, "prescribed": locked.quantity},
                "more_than_prescribed",
            )
        balance = _locked_balance(scope, facility, med)
        return _append(
            scope,
            acting_user,
            facility,
            balance,
            kind=MovementKind.DISPENSING,
            delta=-units,
            occurred_at=when,
            summary=f", prescription {prescription.pk} item {locked.pk}",
            prescription=prescription,
            prescription_item=locked,
            patient_id=prescription.patient_id,
        )


def record_return_from_patient(
    *,
    scope: Scope,
    acting_user: User,
    facility: Facility,
    medication: str,
    quantity: Any,
    reason: str,
    patient: Patient | None = None,
    occurred_at: datetime | None = None,
) -> Movement:
    """Units a patient brings back (to be kept for destruction): into the register."""
    if patient is not None and patient.organization_id != scope.organization.pk:
        raise Http404("No such patient")
    return _product_write(
        scope,
        acting_user,
        facility,
        medication,
        kind=MovementKind.RETURN_FROM_PATIENT,
        delta_sign=1,
        quantity=quantity,
        occurred_at=occurred_at,
        reason=_required("reason", reason),
        patient=patient,
    )


def record_return_to_supplier(
    *,
    scope: Scope,
    acting_user: User,
    facility: Facility,
    medication: str,
    quantity: Any,
    supplier: str,
    reason: str,
    document_number: str = "",
    batch_number: str = "",
    occurred_at: datetime | None = None,
) -> Movement:
    """Units sent back to a supplier (a recall, a damaged delivery): out of the register."""
    return _product_write(
        scope,
        acting_user,
        facility,
        medication,
        kind=MovementKind.RETURN_TO_SUPPLIER,
        delta_sign=-1,
        quantity=quantity,
        occurred_at=occurred_at,
        supplier=_required("supplier", supplier),
        reason=_required("reason", reason),
        document_number=(document_number or "").strip(),
        batch_number=(batch_number or "").strip(),
    )


def _witness(scope: Scope, user: User | None, field: str) -> User:
    if user is None:
        raise _error(field, _("Two witnesses are required."), "required")
    if user.pk == scope.user.pk:
        raise _error(field, _("A witness cannot be the person who records the destruction."), "witness_is_recorder")
    if not Membership.objects.filter(organization=scope.organization, user=user, is_active=True).exists():
        raise not_a_member(field)
    return user


def record_destruction(
    *,
    scope: Scope,
    acting_user: User,
    facility: Facility,
    medication: str,
    quantity: Any,
    witness_1: User | None,
    witness_2: User | None,
    reason: str,
    batch_number: str = "",
    occurred_at: datetime | None = None,
) -> Movement:
    """Units destroyed (expired, damaged, returned by patients) before two witnesses, neither the recorder."""
    first = _witness(scope, witness_1, "witness_1")
    second = _witness(scope, witness_2, "witness_2")
    if first.pk == second.pk:
        raise _error("witness_2", _("The two witnesses must be two different people."), "same_witness")
    return _product_write(
        scope,
        acting_user,
        facility,
        medication,
        kind=MovementKind.DESTRUCTION,
        delta_sign=-1,
        quantity=quantity,
        occurred_at=occurred_at,
        summary=f", witnesses {first.pk} and {second.pk}",
        witness_1=first,
        witness_2=second,
        reason=_required("reason", reason),
        batch_number=(batch_number or "").strip(),
    )


def record_stock_take(
    *,
    scope: Scope,
    acting_user: User,
    facility: Facility,
    medication: str,
    counted_quantity: Any,
    reason: str,
    occurred_at: datetime | None = None,
) -> Movement:
    """A counted stock-take that differs from the register: an adjustment to what was counted."""
    _ensure_allowed(scope, facility)
    med = controlled_product(scope, medication)
    try:
        counted = int(str(counted_quantity).strip())
    except (TypeError, ValueError):
        raise _error("counted_quantity", _("Enter a whole number of units."), "invalid") from None
    if counted < 0:
        raise _error("counted_quantity", _("A count cannot be negative."), "negative")
    text = _required("reason", reason)
    when = _when(occurred_at)
    with transaction.atomic():
        balance = _locked_balance(scope, facility, med)
        delta = counted - balance.quantity
        if delta == 0:
            raise _error(
                "counted_quantity", _("The count matches the register: there is nothing to adjust."), "no_difference"
            )
        return _append(
            scope,
            acting_user,
            facility,
            balance,
            kind=MovementKind.ADJUSTMENT,
            delta=delta,
            occurred_at=when,
            summary=f", counted {counted}",
            counted_quantity=counted,
            reason=text,
        )


def reverse_movement(*, scope: Scope, acting_user: User, movement: Movement, reason: str) -> Movement:
    """Correct a movement by adding its opposite (once); the original stays in the register."""
    if movement.organization_id != scope.organization.pk:
        raise Http404("No such movement")
    facility = Facility.objects.get(pk=movement.facility_id)
    _ensure_allowed(scope, facility)
    text = _required("reason", reason)
    if movement.kind == MovementKind.REVERSAL:
        raise _error("movement", _("A reversal cannot itself be reversed."), "reversal")
    with transaction.atomic():
        if movement.prescription_item_id is not None:
            PrescriptionItem.objects.select_for_update().filter(pk=movement.prescription_item_id).first()
        balance = StockBalance.objects.select_for_update().get(pk=movement.balance_id)
        if Movement.objects.filter(reverses=movement).exists():
            raise _error("movement", _("This movement has already been reversed."), "already_reversed")
        try:
            with transaction.atomic():
                return _append(
                    scope,
                    acting_user,
                    facility,
                    balance,
                    kind=MovementKind.REVERSAL,
                    delta=-movement.delta,
                    occurred_at=timezone.now(),
                    summary=f", reverses {movement.pk}",
                    reverses=movement,
                    reason=text,
                    prescription_id=movement.prescription_id,
                    prescription_item_id=movement.prescription_item_id,
                    patient_id=movement.patient_id,
                )
        except IntegrityError:
            raise _error("movement", _("This movement has already been reversed."), "already_reversed") from None
