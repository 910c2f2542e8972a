"""Twenty dispensings at once that together exceed the stock: the stock never goes negative.

On PostgreSQL the twenty run truly at once; each locks the product's balance row
(``SELECT ... FOR UPDATE``) and the ones that would go below zero are refused.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from nyeri.accounts.models import User
from nyeri.clinical.models import Patient
from nyeri.register import services
from nyeri.register.models import Movement, MovementKind, StockBalance
from nyeri.tenancy.models import Facility
from tests.prescriptions.conftest import item
from tests.register.conftest import receive, scope_of, signed

pytestmark = pytest.mark.django_db(transaction=True)

DISPENSINGS = 20


def all_at_once(workers: list[Callable[[], object]]) -> list[object]:
    barrier = threading.Barrier(len(workers))
    results: list[object] = []

    def run(work: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results.append(work())
        except Exception as error:
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are PostgreSQL's; SQLite has a single writer")


def test_twenty_concurrent_dispensings_beyond_the_stock_never_make_it_negative(
    pharmacist: User, physician: User, patient: Patient, facility: Facility
) -> None:
    receive(pharmacist, facility, quantity=100)
    # Twenty prescriptions of 28 tablets each: 560 asked for, 100 in stock.
    items = [signed(physician, patient, item("morphine-10mg-tab")).items.get() for _ in range(DISPENSINGS)]

    def dispense_for(prescription_item: object) -> Callable[[], object]:
        def work() -> object:
            return services.dispense(
                scope=scope_of(pharmacist),
                acting_user=pharmacist,
                facility=facility,
                item=prescription_item,  # type: ignore[arg-type]
                quantity=28,
            )

        return work

    results = all_at_once([dispense_for(i) for i in items])
    done = [r for r in results if isinstance(r, Movement)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(done) + len(refused) == DISPENSINGS
    assert len(done) == 3  # 3 x 28 = 84 <= 100 < 4 x 28
    assert [e.message_dict for e in refused if "quantity" not in e.message_dict] == []
    assert {e.error_dict["quantity"][0].code for e in refused} == {"insufficient_stock"}
    balance = StockBalance.objects.get(facility=facility)
    assert balance.quantity == 100 - 3 * 28
    assert sorted(m.balance_after for m in Movement.objects.filter(kind=MovementKind.DISPENSING)) == [16, 44, 72]


def test_twenty_concurrent_dispensings_of_one_item_never_exceed_what_was_prescribed(
    pharmacist: User, physician: User, patient: Patient, facility: Facility
) -> None:
    receive(pharmacist, facility, quantity=500)
    one = signed(physician, patient, item("morphine-10mg-tab")).items.get()

    def work() -> object:
        return services.dispense(
            scope=scope_of(pharmacist), acting_user=pharmacist, facility=facility, item=one, quantity=5
        )

    results = all_at_once([work] * DISPENSINGS)
    done = [r for r in results if isinstance(r, Movement)]
    assert len(done) == 5  # 5 x 5 = 25 <= 28 < 30
    assert services.remaining_on(one) == 3
    assert StockBalance.objects.get(facility=facility).quantity == 475
