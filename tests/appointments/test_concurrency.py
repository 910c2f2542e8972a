"""Ten bookings of one clinician's slot at once (ten desks, one telephone rush): exactly one is
made, the other nine are refused as overlaps. PostgreSQL, where the ten truly run at once; the
services serialise them on a row lock on the clinician."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from nyeri.appointments import services
from nyeri.appointments.models import Appointment, AppointmentKind
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.models import Patient
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope
from nyeri.workforce.models import Person
from tests.appointments.conftest import tomorrow_at
from tests.concurrency import all_at_once

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are PostgreSQL's; SQLite has a single writer")


def test_ten_concurrent_bookings_of_one_slot_make_exactly_one_appointment(
    clinician_scope: Scope, patient: Patient, facility: Facility, doctor: Person
) -> None:
    def work(minutes: int) -> object:
        start = tomorrow_at(facility, 10, minutes)
        return services.book_appointment(
            scope=clinician_scope,
            acting_user=clinician_scope.user,
            patient=patient,
            facility=facility,
            clinician=doctor,
            kind=AppointmentKind.FOLLOW_UP,
            starts_at=start,
            ends_at=start + timedelta(minutes=30),
        )

    # Ten overlapping requests (10:00 to 10:09, each 30 minutes long).
    results = all_at_once([lambda m=m: work(m) for m in range(10)])
    made = [r for r in results if isinstance(r, Appointment)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(made) == 1, results
    assert len(refused) == 9, results
    assert all(list(e.message_dict) == ["starts_at"] for e in refused)
    assert Appointment.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="appointment", action=AuditAction.CREATE).count() == 1
