"""The register's writes: every movement kind, the refusals with their field, the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.utils import DatabaseError, IntegrityError
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.prescriptions.models import PrescriptionItem
from nyeri.register import services
from nyeri.register.models import Movement, MovementKind, StockBalance
from nyeri.tenancy.models import Facility
from nyeri.tenancy.refusals import ActionRefused
from tests.register.conftest import receive, scope_of

pytestmark = pytest.mark.django_db


def stock(facility: Facility, code: str = "morphine-10mg-tab") -> int:
    return StockBalance.objects.get(facility=facility, medication_code=code).quantity


def field_of(error: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return list(error.value.message_dict)


def test_a_receipt_adds_stock_and_is_audited(pharmacist: User, facility: Facility) -> None:
    movement = receive(pharmacist, facility, quantity=100)
    assert (movement.kind, movement.delta, movement.balance_after) == (MovementKind.RECEIPT, 100, 100)
    assert stock(facility) == 100
    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="register_movement")
    assert event.object_id == str(movement.pk)
    assert "INV-2026-001" in event.reason


def test_a_dispensing_takes_from_stock_and_from_what_remains_on_the_item(
    pharmacist: User, facility: Facility, morphine_item: PrescriptionItem
) -> None:
    receive(pharmacist, facility, quantity=50)
    services.dispense(
        scope=scope_of(pharmacist), acting_user=pharmacist, facility=facility, item=morphine_item, quantity=20
    )
    assert stock(facility) == 30
    assert services.remaining_on(morphine_item) == 8
    with pytest.raises(ValidationError) as refused:
        services.dispense(
            scope=scope_of(pharmacist), acting_user=pharmacist, facility=facility, item=morphine_item, quantity=9
        )
    assert field_of(refused) == ["quantity"]
    assert "8 of 28" in refused.value.message_dict["quantity"][0]
    assert stock(facility) == 30


def test_it_refuses_to_dispense_more_than_is_in_stock(
    pharmacist: User, facility: Facility, morphine_item: PrescriptionItem
) -> None:
    receive(pharmacist, facility, quantity=5)
    with pytest.raises(ValidationError) as refused:
        services.dispense(
            scope=scope_of(pharmacist), acting_user=pharmacist, facility=facility, item=morphine_item, quantity=6
        )
    assert field_of(refused) == ["quantity"]
    assert "Only 5 in stock" in refused.value.message_dict["quantity"][0]
    assert Movement.objects.filter(kind=MovementKind.DISPENSING).count() == 0


@pytest.mark.parametrize("quantity", [0, -3, "abc"])
def test_it_refuses_a_quantity_that_is_not_a_positive_whole_number(
    pharmacist: User, facility: Facility, quantity: object
) -> None:
    with pytest.raises(ValidationError) as refused:
        receive(pharmacist, facility, quantity=quantity)
    assert field_of(refused) == ["quantity"]
    assert Movement.objects.count() == 0


def test_it_refuses_an_unknown_product_and_one_that_is_not_controlled(pharmacist: User, facility: Facility) -> None:
    with pytest.raises(ValidationError) as unknown:
        receive(pharmacist, facility, medication="unobtainium-1mg")
    assert "Unknown product" in unknown.value.message_dict["medication"][0]
    with pytest.raises(ValidationError) as plain:
        receive(pharmacist, facility, medication="paracetamol-500mg-tab")
    assert "not a controlled drug" in plain.value.message_dict["medication"][0]
    assert StockBalance.objects.count() == 0


def test_it_refuses_to_dispense_an_item_that_is_not_controlled(
    pharmacist: User, facility: Facility, paracetamol_item: PrescriptionItem
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.dispense(
            scope=scope_of(pharmacist), acting_user=pharmacist, facility=facility, item=paracetamol_item, quantity=1
        )
    assert field_of(refused) == ["item"]


def test_a_receipt_needs_its_supplier_invoice_batch_and_a_future_expiry(pharmacist: User, facility: Facility) -> None:
    with pytest.raises(ValidationError) as refused:
        receive(pharmacist, facility, supplier=" ")
    assert field_of(refused) == ["supplier"]
    with pytest.raises(ValidationError) as expired:
        receive(pharmacist, facility, expiry_date=timezone.localdate() - timedelta(days=1))
    assert field_of(expired) == ["expiry_date"]


def test_a_destruction_needs_two_different_witnesses_neither_the_recorder(
    pharmacist: User, facility: Facility, witnesses: tuple[User, User]
) -> None:
    receive(pharmacist, facility, quantity=10)
    first, second = witnesses

    def destroy(w1: User | None, w2: User | None) -> Movement:
        return services.record_destruction(
            scope=scope_of(pharmacist),
            acting_user=pharmacist,
            facility=facility,
            medication="morphine-10mg-tab",
            quantity=4,
            witness_1=w1,
            witness_2=w2,
            reason="Kedaluwarsa",
        )

    with pytest.raises(ValidationError) as recorder:
        destroy(pharmacist, second)
    assert "witness_1" in recorder.value.message_dict
    assert "records the destruction" in recorder.value.message_dict["witness_1"][0]
    with pytest.raises(ValidationError) as same:
        destroy(first, first)
    assert field_of(same) == ["witness_2"]
    done = destroy(first, second)
    assert (done.delta, done.balance_after) == (-4, 6)
    assert stock(facility) == 6


def test_returns_move_stock_in_from_a_patient_and_out_to_a_supplier(pharmacist: User, facility: Facility) -> None:
    receive(pharmacist, facility, quantity=10)
    scope = scope_of(pharmacist)
    services.record_return_from_patient(
        scope=scope,
        acting_user=pharmacist,
        facility=facility,
        medication="morphine-10mg-tab",
        quantity=3,
        reason="Sisa terapi",
    )
    services.record_return_to_supplier(
        scope=scope,
        acting_user=pharmacist,
        facility=facility,
        medication="morphine-10mg-tab",
        quantity=13,
        supplier="PT Kimia Farma",
        reason="Recall",
    )
    assert stock(facility) == 0


def test_a_stock_take_adjusts_to_what_was_counted_with_a_reason(pharmacist: User, facility: Facility) -> None:
    receive(pharmacist, facility, quantity=10)
    scope = scope_of(pharmacist)
    adjustment = services.record_stock_take(
        scope=scope,
        acting_user=pharmacist,
        facility=facility,
        medication="morphine-10mg-tab",
        counted_quantity=8,
        reason="Selisih hitung",
    )
    assert (adjustment.delta, adjustment.balance_after, adjustment.counted_quantity) == (-2, 8, 8)
    with pytest.raises(ValidationError) as same:
        services.record_stock_take(
            scope=scope,
            acting_user=pharmacist,
            facility=facility,
            medication="morphine-10mg-tab",
            counted_quantity=8,
            reason="x",
        )
    assert field_of(same) == ["counted_quantity"]


def test_a_reversal_corrects_a_dispensing_once_and_gives_back_what_remains(
    pharmacist: User, facility: Facility, morphine_item: PrescriptionItem
) -> None:
    receive(pharmacist, facility, quantity=50)
    scope = scope_of(pharmacist)
    wrong = services.dispense(scope=scope, acting_user=pharmacist, facility=facility, item=morphine_item, quantity=28)
    reversal = services.reverse_movement(scope=scope, acting_user=pharmacist, movement=wrong, reason="Salah pasien")
    assert (reversal.delta, reversal.balance_after) == (28, 50)
    assert services.remaining_on(morphine_item) == 28
    with pytest.raises(ValidationError) as twice:
        services.reverse_movement(scope=scope, acting_user=pharmacist, movement=wrong, reason="again")
    assert field_of(twice) == ["movement"]


def test_someone_who_is_not_a_pharmacist_is_refused_and_the_refusal_is_audited(
    physician: User, facility: Facility
) -> None:
    with pytest.raises(ActionRefused):
        receive(physician, facility)
    assert Movement.objects.count() == 0
    assert AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED, object_type="register_movement").exists()


def test_the_database_refuses_a_negative_balance(pharmacist: User, facility: Facility) -> None:
    receive(pharmacist, facility, quantity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockBalance.objects.filter(facility=facility).update(quantity=-1)


def test_movements_are_append_only_on_postgresql(pharmacist: User, facility: Facility) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the trigger is PostgreSQL's")
    movement = receive(pharmacist, facility)
    with pytest.raises(DatabaseError), transaction.atomic():
        Movement.objects.filter(pk=movement.pk).update(quantity=1)
    with pytest.raises(DatabaseError), transaction.atomic():
        Movement.objects.filter(pk=movement.pk).delete()
