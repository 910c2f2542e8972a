"""Retries with back-off on the database queue, run by the real worker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django_tasks_db.models import DBTaskResult

from nyeri.background.models import JobRun, JobStatus
from nyeri.background.registry import RetryPolicy
from nyeri.background.services import enqueue_job, prune_finished, recover_stalled
from tests.background.conftest import work_once
from tests.background.jobs_for_tests import FAILURES_LEFT, POLICY

pytestmark = pytest.mark.usefixtures("database_queue")

START = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)


def test_a_job_that_fails_twice_is_retried_with_growing_delays_and_ends_succeeded(db: None) -> None:
    FAILURES_LEFT["twice"] = 2
    with time_machine.travel(START, tick=False) as clock:
        run = enqueue_job("tests.flaky", arguments={"token": "twice"})
        delays = []
        for attempt in (1, 2):
            work_once()
            run.refresh_from_db()
            assert run.status == JobStatus.RETRY_WAITING
            assert run.attempts == attempt
            assert run.last_error_class == "builtins.ConnectionError"
            assert run.next_run_at is not None
            delays.append(run.next_run_at - datetime.now(tz=UTC))
            # The retry waits on the queue until its time: a worker round now runs nothing.
            waiting = DBTaskResult.objects.get(id=run.task_result_id)
            assert waiting.status == "READY"
            assert waiting.run_after == run.next_run_at
            work_once()
            run.refresh_from_db()
            assert run.attempts == attempt
            clock.move_to(run.next_run_at + timedelta(seconds=1))
        work_once()
    run.refresh_from_db()
    assert run.status == JobStatus.SUCCEEDED
    assert run.attempts == 3
    assert run.next_run_at is None
    # Exponential back-off with jitter: 10-12.5 s, then 20-25 s.
    assert timedelta(seconds=10) <= delays[0] <= timedelta(seconds=12.5)
    assert timedelta(seconds=20) <= delays[1] <= timedelta(seconds=25)
    assert delays[1] > delays[0]
    # Every attempt is a result of the queue: two failed, one succeeded.
    statuses = sorted(DBTaskResult.objects.values_list("status", flat=True))
    assert statuses == ["FAILED", "FAILED", "SUCCESSFUL"]


def test_a_job_that_always_fails_stays_failed_after_its_attempts(db: None) -> None:
    with time_machine.travel(START, tick=False) as clock:
        run = enqueue_job("tests.broken")
        for _attempt in range(3):
            work_once()
            run.refresh_from_db()
            if run.next_run_at is not None:
                clock.move_to(run.next_run_at + timedelta(seconds=1))
        work_once()  # nothing left on the queue
    run.refresh_from_db()
    assert run.status == JobStatus.FAILED
    assert run.attempts == run.max_attempts == 3
    assert run.next_run_at is None
    assert run.finished_at is not None
    assert "spleen index" in run.last_error
    assert DBTaskResult.objects.filter(status="FAILED").count() == 3
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_an_attempt_whose_worker_vanished_is_retried_by_the_sweep(db: None) -> None:
    with time_machine.travel(START, tick=False) as clock:
        run = enqueue_job("tests.echo", arguments={"text": "halo"})
        JobRun.objects.filter(pk=run.pk).update(status=JobStatus.RUNNING, attempts=1, started_at=START)
        assert recover_stalled() == 0  # not long enough yet
        clock.move_to(START + timedelta(hours=3))
        assert recover_stalled() == 1
        run.refresh_from_db()
        assert run.status == JobStatus.RETRY_WAITING
        assert run.last_error_class.endswith("WorkerLost")
        assert run.next_run_at is not None
        clock.move_to(run.next_run_at + timedelta(seconds=1))
        work_once()
    run.refresh_from_db()
    assert run.status == JobStatus.SUCCEEDED
    assert run.attempts == 2


def test_the_delays_grow_exponentially_and_stop_at_the_cap() -> None:
    policy = RetryPolicy(base_delay=timedelta(seconds=30), factor=2, max_delay=timedelta(minutes=5), jitter=0)
    delays = [policy.delay_after(n).total_seconds() for n in range(1, 7)]
    assert delays == [30, 60, 120, 240, 300, 300]
    assert POLICY.delay_after(1) >= timedelta(seconds=10)


def test_a_policy_without_attempts_is_refused() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


def test_old_successful_runs_are_pruned_and_failed_ones_kept(db: None) -> None:
    with time_machine.travel(START, tick=False) as clock:
        ok = enqueue_job("tests.echo", arguments={"text": "lama"})
        failed = enqueue_job("tests.broken")
        for _attempt in range(3):
            work_once()
            failed.refresh_from_db()
            if failed.next_run_at is not None:
                clock.move_to(failed.next_run_at + timedelta(seconds=1))
        assert prune_finished() == (0, 0)
        clock.move_to(START + timedelta(days=31))
        recent = enqueue_job("tests.echo", arguments={"text": "baru"})
        work_once()
        assert prune_finished() == (1, 1)
    assert not JobRun.objects.filter(pk=ok.pk).exists()
    assert JobRun.objects.get(pk=failed.pk).status == JobStatus.FAILED
    assert JobRun.objects.get(pk=recent.pk).status == JobStatus.SUCCEEDED
    assert DBTaskResult.objects.filter(status="FAILED").count() == 3
