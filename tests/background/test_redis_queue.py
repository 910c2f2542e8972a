"""The production option: the RQ (Redis) backend, against the real Redis when it is reachable.

Run on PostgreSQL (the production database); skipped loudly when Redis cannot be reached.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings

from nyeri.background.models import JobRun, JobStatus
from nyeri.background.services import enqueue_job
from tests.background.jobs_for_tests import FAILURES_LEFT

# A database of its own, so that the tests never touch a real queue.
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
RQ_QUEUE = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}

CaptureOnCommit = Callable[..., AbstractContextManager[list[Callable[[], Any]]]]


@pytest.fixture
def rq_queue() -> Iterator[Any]:
    if connection.vendor != "postgresql":
        pytest.skip("the Redis queue is the production option: tested on PostgreSQL")
    import django_rq
    import redis

    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        message = f"!! Redis is not reachable at {REDIS_TEST_URL} ({error}): the RQ backend test did NOT run"
        warnings.warn(message, stacklevel=1)
        pytest.skip(message)
    with override_settings(TASKS=RQ_QUEUE, RQ_QUEUES={"default": {"URL": REDIS_TEST_URL}}):
        queue = django_rq.get_queue("default")
        # The tests' own Redis database: emptied before and after (queued and scheduled jobs).
        queue.connection.flushdb()
        yield queue
        queue.connection.flushdb()


def work_burst() -> None:
    import django_rq
    from django_tasks_rq import Job
    from rq import SimpleWorker

    # In this process and thread: the job sees the test's database transaction.
    django_rq.get_worker("default", job_class=Job, worker_class=SimpleWorker).work(burst=True)


def test_a_job_runs_through_redis(db: None, rq_queue: Any, django_capture_on_commit_callbacks: CaptureOnCommit) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        run = enqueue_job("tests.echo", arguments={"text": "lewat redis"})
    run.refresh_from_db()
    assert run.task_result_id
    assert rq_queue.count == 1
    work_burst()
    run.refresh_from_db()
    assert run.status == JobStatus.SUCCEEDED
    assert run.attempts == 1


def test_a_failed_attempt_is_scheduled_again_in_redis_with_its_delay(
    db: None, rq_queue: Any, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    from rq.registry import ScheduledJobRegistry

    FAILURES_LEFT["redis"] = 1
    with django_capture_on_commit_callbacks(execute=True):
        run = enqueue_job("tests.flaky", arguments={"token": "redis"})
    with django_capture_on_commit_callbacks(execute=True):
        work_burst()
    run = JobRun.objects.get(pk=run.pk)
    assert run.status == JobStatus.RETRY_WAITING
    assert run.attempts == 1
    scheduled = ScheduledJobRegistry(queue=rq_queue)
    assert run.task_result_id in scheduled.get_job_ids()
    when = scheduled.get_scheduled_time(run.task_result_id)
    assert run.next_run_at is not None
    assert abs((when - run.next_run_at).total_seconds()) < 1
