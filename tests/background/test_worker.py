"""The worker command runs real queued tasks from the database, and the platform's jobs."""

from __future__ import annotations

import io
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.background.models import JobRun, JobStatus
from nyeri.background.schedule import PERIODIC_JOBS
from nyeri.background.services import enqueue_job
from tests.background.conftest import work_once


@pytest.mark.usefixtures("database_queue")
def test_the_worker_runs_a_queued_task_from_the_database(db: None) -> None:
    run = enqueue_job("tests.echo", arguments={"text": "halo"})
    assert DBTaskResult.objects.get(id=run.task_result_id).status == "READY"
    work_once()
    run.refresh_from_db()
    assert run.status == JobStatus.SUCCEEDED
    assert run.attempts == 1
    result = DBTaskResult.objects.get(id=run.task_result_id)
    assert result.status == "SUCCESSFUL"
    assert result.return_value == "halo"


@pytest.mark.usefixtures("database_queue")
def test_one_batch_round_enqueues_the_due_periodic_jobs_and_runs_them(db: None) -> None:
    with transaction.atomic():
        record_event(actor=None, action=AuditAction.LOGIN_FAILED, reason="a row to verify")
    out = io.StringIO()
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("run_worker", "--batch", stdout=out)
    assert f"{len(PERIODIC_JOBS)} periodic job(s) enqueued" in out.getvalue()
    runs = {run.job: run for run in JobRun.objects.all()}
    assert set(runs) == {
        "workforce.expiry_watch",
        "audit.verify",
        "audit.probe_watch",
        "background.recover_stalled",
        "background.prune",
        "api.idempotency_prune",
        "interop.fhir_export_prune",
        "interop.satusehat_collect",  # nothing to send: no organization is connected
        "interop.satusehat_resync",
    }
    assert all(run.status == JobStatus.SUCCEEDED for run in runs.values()), [
        (r.job, r.status, r.last_error) for r in runs.values()
    ]
    assert DBTaskResult.objects.get(id=runs["audit.verify"].task_result_id).return_value == {
        "chains": 1,
        "events": 1,
    }


def test_with_the_immediate_backend_a_job_body_runs_on_the_spot(db: None) -> None:
    run = enqueue_job("tests.echo", arguments={"text": "segera"})
    run.refresh_from_db()
    assert run.status == JobStatus.SUCCEEDED


def test_with_the_immediate_backend_retries_follow_at_once_until_success(db: None) -> None:
    from tests.background.jobs_for_tests import FAILURES_LEFT

    FAILURES_LEFT["immediate"] = 2
    run = enqueue_job("tests.flaky", arguments={"token": "immediate"})
    run.refresh_from_db()
    assert run.status == JobStatus.SUCCEEDED
    assert run.attempts == 3
