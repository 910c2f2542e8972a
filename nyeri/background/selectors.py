"""Reading background-job runs for the administrators' page.

An administrator sees the runs of their own organization and the installation-wide runs
(the platform's periodic jobs), never another organization's. The error message of an
installation-wide run is not shown (it could name any organization's data): its
exception class is; the message and traceback are in the worker's log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from nyeri.background.models import JobRun, JobStatus
from nyeri.background.registry import REGISTRY
from nyeri.background.schedule import PERIODIC_JOBS
from nyeri.tenancy.access import require_organization_administrator
from nyeri.tenancy.scope import Scope


@dataclass(frozen=True)
class JobRunRow:
    id: int
    job: str
    label: str
    installation_wide: bool
    status: str
    status_label: str
    attempts: int
    max_attempts: int
    enqueued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    next_run_at: datetime | None
    error_class: str
    error_message: str
    scheduled: bool
    retried: bool
    retry_of_id: int | None
    requested_by: str

    @property
    def can_retry(self) -> bool:
        return self.status == JobStatus.FAILED and not self.retried


def require_jobs_administrator(scope: Scope, *, object_id: int | str = "", reason: str) -> None:
    require_organization_administrator(scope, object_type="job_run", object_id=object_id, reason=reason)


def _visible(scope: Scope) -> QuerySet[JobRun]:
    return JobRun.objects.filter(Q(organization=scope.organization) | Q(organization__isnull=True))


def access_job_run(scope: Scope, job_run_id: int) -> JobRun:
    """A run the administrator may see (403 audited for others; 404 for another organization's)."""
    require_jobs_administrator(scope, object_id=job_run_id, reason="retry a background job")
    run = _visible(scope).filter(pk=job_run_id).first()
    if run is None:
        raise Http404("No such job run")
    return run


def recent_job_runs(
    scope: Scope, *, status: str = "", days: int | None = None, now: datetime | None = None, limit: int = 500
) -> list[JobRunRow]:
    """The runs of the last days (every unfinished run, whatever its age), newest first: two queries."""
    require_jobs_administrator(scope, reason="open the background jobs page")
    since = (now or timezone.now()) - timedelta(days=days or settings.JOB_HISTORY_DAYS)
    runs = _visible(scope).filter(
        Q(enqueued_at__gte=since) | Q(status__in=[JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.RETRY_WAITING])
    )
    if status in JobStatus.values:
        runs = runs.filter(status=status)
    quiet = [name for name, definition in REGISTRY.items() if definition.quiet]
    runs = runs.exclude(job__in=quiet, status=JobStatus.SUCCEEDED)
    page = list(runs.select_related("requested_by").order_by("-enqueued_at", "-pk")[:limit])
    retried = set(
        JobRun.objects.filter(retry_of_id__in=[r.pk for r in page if r.status == JobStatus.FAILED]).values_list(
            "retry_of_id", flat=True
        )
    )
    rows = []
    for run in page:
        definition = REGISTRY.get(run.job)
        installation_wide = run.organization_id is None
        rows.append(
            JobRunRow(
                id=run.pk,
                job=run.job,
                label=str(definition.label) if definition is not None else run.job,
                installation_wide=installation_wide,
                status=run.status,
                status_label=str(JobStatus(run.status).label),
                attempts=run.attempts,
                max_attempts=run.max_attempts,
                enqueued_at=run.enqueued_at,
                started_at=run.started_at,
                finished_at=run.finished_at,
                next_run_at=run.next_run_at,
                error_class=run.last_error_class.rsplit(".", 1)[-1],
                error_message="" if installation_wide else run.last_error,
                scheduled=run.schedule_slot is not None,
                retried=run.pk in retried,
                retry_of_id=run.retry_of_id,
                requested_by=run.requested_by.get_username() if run.requested_by is not None else "",
            )
        )
    return rows


@dataclass(frozen=True)
class ScheduleRow:
    job: str
    label: str
    daily_at: time | None
    every_minutes: int | None
    next_run_at: datetime
    due_now: bool


def schedule_overview(scope: Scope, *, now: datetime | None = None) -> list[ScheduleRow]:
    """The periodic jobs and when each runs next (one query)."""
    require_jobs_administrator(scope, reason="open the background jobs page")
    moment = now or timezone.now()
    slots = {entry.job: entry.slot(moment) for entry in PERIODIC_JOBS}
    enqueued = set(
        JobRun.objects.filter(job__in=list(slots), schedule_slot__in=list(slots.values())).values_list(
            "job", "schedule_slot"
        )
    )
    rows = []
    for entry in PERIODIC_JOBS:
        due_now = (entry.job, slots[entry.job]) not in enqueued
        definition = REGISTRY.get(entry.job)
        rows.append(
            ScheduleRow(
                job=entry.job,
                label=str(definition.label) if definition is not None else entry.job,
                daily_at=entry.daily_at,
                every_minutes=int(entry.every.total_seconds() // 60) if entry.every is not None else None,
                next_run_at=slots[entry.job] if due_now else entry.next_slot(moment),
                due_now=due_now,
            )
        )
    return rows
