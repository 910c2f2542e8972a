"""Every write to the background-job table: enqueueing, attempts, retries.

A run and its queue entry are written together: on the database queue in the same
transaction (the run exists exactly when its task row does); on other queues (Redis) the
task is sent once the run is committed, so a worker never picks up a run it cannot see.
With the immediate backend (unit tests) each attempt runs on the spot, and a retry
follows at once (that backend cannot defer).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks.backends.immediate import ImmediateBackend
from django_tasks_db import DatabaseBackend

from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.background.models import PENDING_STATUSES, JobRun, JobStatus
from nyeri.background.registry import JobDefinition, definition

if TYPE_CHECKING:
    from nyeri.accounts.models import User
    from nyeri.tenancy.models import Organization
    from nyeri.tenancy.scope import Scope

logger = logging.getLogger(__name__)

# Stored error messages are cut to this length (the full traceback stays with the queue).
ERROR_MESSAGE_LIMIT = 2000


class WorkerLost(Exception):
    """The attempt's worker stopped (or vanished) before it finished."""


def enqueue_job(
    job: str,
    *,
    organization: Organization | None = None,
    arguments: dict[str, Any] | None = None,
    schedule_slot: datetime | None = None,
    requested_by: User | None = None,
    retry_of: JobRun | None = None,
) -> JobRun:
    """Create the run of ``job`` and put its first attempt on the queue."""
    job_definition = definition(job)
    if arguments and "job_run_id" in arguments:
        raise ValueError("job_run_id is the name the queue gives the run; choose another argument name")
    run = JobRun(
        job=job,
        organization=organization,
        arguments=arguments or {},
        status=JobStatus.QUEUED,
        max_attempts=job_definition.retry.max_attempts,
        schedule_slot=schedule_slot,
        requested_by=requested_by,
        retry_of=retry_of,
    )
    run.full_clean(
        exclude=["organization", "requested_by", "retry_of"], validate_unique=False, validate_constraints=False
    )
    with transaction.atomic():
        run.save(force_insert=True)
        _send(run, job_definition, run_after=None)
    return run


def _send(run: JobRun, job_definition: JobDefinition, *, run_after: datetime | None) -> None:
    """Put the run's next attempt on the queue (inside the caller's transaction)."""
    task = job_definition.task
    backend = task.get_backend()
    if run_after is not None and backend.supports_defer:
        task = task.using(run_after=run_after)
    attempts = run.attempts

    def send() -> None:
        result = task.enqueue(job_run_id=run.pk, **run.arguments)
        # Not when the run moved on meanwhile (a backend that runs tasks at once).
        if JobRun.objects.filter(pk=run.pk, attempts=attempts).update(task_result_id=str(result.id)[:64]):
            run.task_result_id = str(result.id)[:64]

    # The database queue writes in this transaction; the immediate backend (tests) runs
    # the task here and now. Any other queue (Redis) is sent once the run is committed.
    if isinstance(backend, DatabaseBackend | ImmediateBackend):
        send()
    else:
        transaction.on_commit(send)


def start_attempt(job_run_id: int) -> JobRun | None:
    """Mark the run as running its next attempt; None when it has nothing left to run."""
    with transaction.atomic():
        run = JobRun.objects.select_for_update().filter(pk=job_run_id).first()
        if run is None or run.status not in PENDING_STATUSES or run.attempts >= run.max_attempts:
            logger.warning("background job run %s is not pending: attempt skipped", job_run_id)
            return None
        run.status = JobStatus.RUNNING
        run.attempts += 1
        run.started_at = timezone.now()
        run.next_run_at = None
        run.save(update_fields=["status", "attempts", "started_at", "next_run_at"])
    return run


def record_success(run: JobRun) -> None:
    JobRun.objects.filter(pk=run.pk, status=JobStatus.RUNNING, attempts=run.attempts).update(
        status=JobStatus.SUCCEEDED, finished_at=timezone.now()
    )


def record_failure(run: JobRun, error: BaseException) -> JobRun:
    """A failed attempt: schedule the next one with back-off, or fail the run for good."""
    job_definition = definition(run.job)
    with transaction.atomic():
        locked = JobRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != JobStatus.RUNNING or locked.attempts != run.attempts:
            return locked  # someone else (the stalled-job sweep) dealt with this attempt already
        now = timezone.now()
        error_class = type(error)
        locked.last_error_class = f"{error_class.__module__}.{error_class.__qualname__}"[:200]
        locked.last_error = str(error)[:ERROR_MESSAGE_LIMIT]
        if locked.attempts < locked.max_attempts:
            locked.status = JobStatus.RETRY_WAITING
            locked.next_run_at = now + job_definition.retry.delay_after(locked.attempts)
        else:
            locked.status = JobStatus.FAILED
            locked.next_run_at = None
            locked.finished_at = now
        locked.save(update_fields=["status", "next_run_at", "finished_at", "last_error_class", "last_error"])
        if locked.status == JobStatus.RETRY_WAITING:
            _send(locked, job_definition, run_after=locked.next_run_at)
    if locked.status == JobStatus.FAILED:
        logger.error("background job %s (run %s) failed after %s attempts", run.job, run.pk, locked.attempts)
    return locked


def recover_stalled(*, now: datetime | None = None) -> int:
    """Runs that have been running too long lost their worker: a failed attempt each (retried as usual)."""
    cutoff = (now or timezone.now()) - timedelta(minutes=settings.JOB_STALLED_MINUTES)
    stalled = list(JobRun.objects.filter(status=JobStatus.RUNNING, started_at__lt=cutoff).order_by("pk"))
    for run in stalled:
        record_failure(run, WorkerLost("the worker stopped before the attempt finished"))
    return len(stalled)


def prune_finished(*, now: datetime | None = None) -> tuple[int, int]:
    """Delete successful runs and finished queue rows older than JOB_KEEP_DAYS: (runs, queue rows)."""
    from django_tasks_db.models import DBTaskResult

    cutoff = (now or timezone.now()) - timedelta(days=settings.JOB_KEEP_DAYS)
    with transaction.atomic():
        # A successful run that retried a failed one goes too; the failed one stays.
        runs, _by_model = JobRun.objects.filter(status=JobStatus.SUCCEEDED, finished_at__lt=cutoff).delete()
        results, _by_model = DBTaskResult.objects.filter(status="SUCCESSFUL", finished_at__lt=cutoff).delete()
    return runs, results


def retry_by_hand(*, scope: Scope, acting_user: User, job_run_id: int) -> JobRun:
    """An administrator retries a failed run: a new run with a fresh set of attempts (audited)."""
    from nyeri.background.selectors import access_job_run

    failed = access_job_run(scope, job_run_id)
    if failed.status != JobStatus.FAILED:
        raise ValidationError({"status": _("Only a failed job can be retried.")})
    if JobRun.objects.filter(retry_of=failed).exists():
        raise ValidationError({"status": _("This job has already been retried.")})
    try:
        with transaction.atomic():
            run = enqueue_job(
                failed.job,
                organization=failed.organization,
                arguments=failed.arguments,
                requested_by=acting_user,
                retry_of=failed,
            )
            record_event(
                actor=acting_user,
                action=AuditAction.CREATE,
                organization=scope.organization,
                object_type="job_run",
                object_id=run.pk,
                reason=f"retry by hand of failed background job {failed.job} (run {failed.pk})",
            )
    except IntegrityError as exc:  # two administrators at once: one retry only
        raise ValidationError({"status": _("This job has already been retried.")}) from exc
    return run
