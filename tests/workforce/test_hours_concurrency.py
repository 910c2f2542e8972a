"""Races on PostgreSQL: an encounter sent twice at once, two supervisors deciding at once.

(SQLite has a single writer, so these races cannot happen there.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.models import AuditEvent
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import resolve_scope
from nyeri.workforce.hours import services
from nyeri.workforce.kinds import Citizenship, HoursSource, HoursStatus
from nyeri.workforce.models import HoursEntry, Person, PersonFacility
from tests.conftest import MakeMember

pytestmark = pytest.mark.django_db(transaction=True)


def all_at_once(workers: list[Callable[[], object]]) -> list[object]:
    barrier = threading.Barrier(len(workers))
    results: list[object] = []

    def run(work: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results.append(work())
        except ValidationError as error:
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
        pytest.skip("row locks and concurrent writers are PostgreSQL's; SQLite has a single writer")


def test_an_encounter_sent_several_times_at_once_is_recorded_once(org: Organization, facility: Facility) -> None:
    person = Person.objects.create(organization=org, full_name="Siti", citizenship=Citizenship.CITIZEN)
    day = timezone.localdate() - timedelta(days=1)

    def send() -> object:
        return services.record_encounter_hours(
            organization=org, person=person, facility=facility, encounter_id=42, worked_on=day, minutes=45
        ).pk

    results = all_at_once([send] * 6)
    assert len(set(results)) == 1
    assert HoursEntry.objects.filter(encounter_id=42).count() == 1
    assert AuditEvent.objects.filter(object_type="hours_entry").count() == 1


def test_two_supervisors_deciding_at_once_cannot_both_decide(
    org: Organization, facility: Facility, make_member: MakeMember
) -> None:
    person = Person.objects.create(organization=org, full_name="Siti", citizenship=Citizenship.CITIZEN)
    PersonFacility.objects.create(organization=org, person=person, facility=facility)
    entry = HoursEntry.objects.create(
        organization=org,
        person=person,
        facility=facility,
        worked_on=timezone.localdate() - timedelta(days=1),
        hours=Decimal(4),
        source=HoursSource.MANUAL,
        status=HoursStatus.SUBMITTED,
    )
    first = make_member(org, Role.CREDENTIALING_OFFICER, username="rina")
    second = make_member(org, Role.CREDENTIALING_OFFICER, username="hendra")

    def decide(user: User, reject: bool) -> Callable[[], object]:
        def work() -> object:
            scope = resolve_scope(user)
            assert scope is not None
            fresh = HoursEntry.objects.select_related("person").get(pk=entry.pk)
            if reject:
                return services.reject_hours(scope=scope, acting_user=user, entry=fresh, reason="duplicate").status
            return services.verify_hours(scope=scope, acting_user=user, entry=fresh).status

        return work

    results = all_at_once([decide(first, False), decide(second, True)])
    decided = [r for r in results if not isinstance(r, ValidationError)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(decided) == 1
    assert [list(e.message_dict) for e in refused] == [["status"]]
    assert HoursEntry.objects.get(pk=entry.pk).status == decided[0]
    assert AuditEvent.objects.filter(object_type="hours_entry").count() == 1
