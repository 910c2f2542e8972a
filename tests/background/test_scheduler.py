"""The scheduler: periodic jobs enqueued once per slot, whatever the number of schedulers."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from nyeri.background.models import JobRun
from nyeri.background.schedule import PERIODIC_JOBS, PeriodicJob, enqueue_due
from tests.concurrency import all_at_once, raised

pytestmark = pytest.mark.usefixtures("database_queue")

# 10:30 in Jakarta (UTC+7).
NOW = datetime(2026, 12, 6, 3, 30, tzinfo=UTC)
DAILY = (PeriodicJob("tests.echo", daily_at=time(1, 0)),)


def test_a_daily_slot_is_at_the_local_time_of_day_and_yesterdays_before_it() -> None:
    entry = PeriodicJob("tests.echo", daily_at=time(11, 0))
    # 10:30 local: today's 11:00 is still ahead, so the current slot is yesterday's.
    assert entry.slot(NOW) == datetime(2026, 12, 5, 4, 0, tzinfo=UTC)
    assert entry.slot(NOW + timedelta(hours=1)) == datetime(2026, 12, 6, 4, 0, tzinfo=UTC)


def test_an_interval_slot_starts_on_the_interval() -> None:
    entry = PeriodicJob("tests.echo", every=timedelta(minutes=10))
    assert entry.slot(NOW + timedelta(minutes=7, seconds=3)) == NOW


def test_a_due_periodic_job_is_enqueued_once_per_slot(db: None) -> None:
    runs = enqueue_due(now=NOW, periodic=DAILY)
    assert [r.job for r in runs] == ["tests.echo"]
    assert enqueue_due(now=NOW + timedelta(minutes=1), periodic=DAILY) == []
    # The next day's slot is a new run.
    assert len(enqueue_due(now=NOW + timedelta(days=1), periodic=DAILY)) == 1
    assert JobRun.objects.filter(job="tests.echo").count() == 2
    assert DBTaskResult.objects.count() == 2


def test_the_platform_schedule_holds_the_expiry_watch_the_audit_verification_the_housekeeping_and_satusehat(
    db: None,
) -> None:
    jobs = {entry.job for entry in PERIODIC_JOBS}
    assert jobs == {
        "workforce.expiry_watch",
        "audit.verify",
        "audit.probe_watch",
        "background.recover_stalled",
        "background.prune",
        "api.idempotency_prune",
        "interop.fhir_export_prune",
        "interop.satusehat_collect",
        "interop.satusehat_resync",
    }
    runs = enqueue_due(now=NOW)
    assert {r.job for r in runs} == jobs
    assert all(r.organization_id is None and r.schedule_slot is not None for r in runs)


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_racing_enqueue_a_due_job_exactly_once() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are PostgreSQL's; SQLite has a single writer")
    schedulers = 4
    # All at once: the look-up finds no run for any of them, the constraint decides.
    results = all_at_once([lambda: [run.pk for run in enqueue_due(now=NOW, periodic=DAILY)]] * schedulers)
    errors = raised(results)
    enqueued = [pk for r in results if isinstance(r, list) for pk in r]
    assert errors == []
    assert len(enqueued) == 1
    assert JobRun.objects.filter(job="tests.echo").count() == 1
    assert DBTaskResult.objects.count() == 1


def test_the_next_slot_follows_the_current_one() -> None:
    daily = PeriodicJob("tests.echo", daily_at=time(1, 0))
    # 10:30 in Jakarta: today's 01:00 slot is current, tomorrow's 01:00 (18:00 UTC today) next.
    assert daily.slot(NOW) == datetime(2026, 12, 5, 18, 0, tzinfo=UTC)
    assert daily.next_slot(NOW) == datetime(2026, 12, 6, 18, 0, tzinfo=UTC)
    every = PeriodicJob("tests.echo", every=timedelta(minutes=15))
    assert every.next_slot(NOW) == NOW + timedelta(minutes=15)
