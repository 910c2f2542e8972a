"""Twenty submissions of one prescription at once, with one idempotency key: one prescription.

A double click, a retried request, a phone resending on a bad connection: each submission
carries the key generated when the form was shown. On PostgreSQL the twenty run truly at
once; the unique constraint on (organization, key) lets one insert through and the others
return it. (SQLite has a single writer, so the race cannot happen there.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.models import Patient
from nyeri.prescriptions import services
from nyeri.prescriptions.models import Prescription, PrescriptionItem
from tests.prescriptions.conftest import item, scope_of

pytestmark = pytest.mark.django_db(transaction=True)

SUBMISSIONS = 20


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


def test_twenty_submissions_with_one_key_make_exactly_one_prescription(physician: User, patient: Patient) -> None:
    def submit() -> object:
        written = services.create_prescription(
            scope=scope_of(physician),
            acting_user=physician,
            patient=patient,
            items=[item("oxycodone-10mg-tab-er"), item("paracetamol-500mg-tab", dose=2, doses_per_day=3)],
            idempotency_key="form-7f3c2a",
        )
        return written.prescription.pk, written.created

    results = all_at_once([submit] * SUBMISSIONS)
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    assert len(results) == SUBMISSIONS
    assert len({pk for pk, _created in results}) == 1  # type: ignore[misc]
    assert sum(created for _pk, created in results) == 1  # type: ignore[misc]
    assert Prescription.objects.count() == 1
    assert PrescriptionItem.objects.count() == 2
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="prescription").count() == 1


def test_twenty_signings_of_one_draft_sign_it_once(physician: User, patient: Patient) -> None:
    from django.core.exceptions import ValidationError

    from nyeri.prescriptions.signing import AttestedSecondFactor

    draft = services.create_prescription(
        scope=scope_of(physician),
        acting_user=physician,
        patient=patient,
        items=[item("paracetamol-500mg-tab")],
        idempotency_key="form-1",
    ).prescription

    def sign() -> object:
        fresh = Prescription.objects.get(pk=draft.pk)
        return services.sign_prescription(
            scope=scope_of(physician),
            acting_user=physician,
            prescription=fresh,
            second_factor=AttestedSecondFactor("t"),
        ).status

    results = all_at_once([sign] * SUBMISSIONS)
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert results.count("signed") == 1
    assert len(refused) == SUBMISSIONS - 1
    assert {e.code for e in refused} == {"already_signed"}
    reasons = AuditEvent.objects.filter(action=AuditAction.UPDATE, object_type="prescription").values_list(
        "reason", flat=True
    )
    assert [r.split(":")[0] for r in reasons] == ["signed"]
