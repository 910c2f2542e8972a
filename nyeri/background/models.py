"""One row per logical background job run, whatever the queue backend.

A ``JobRun`` is what an administrator sees: which job, for which organization (none for
the installation-wide jobs), its status, how many attempts it had and may have, the last
error and when it runs next. Each attempt is one task result of the queue backend
(``task_result_id`` names the latest; on the database queue the rows of
``django_tasks_db`` keep every attempt with its traceback).

A run made by the scheduler carries its ``schedule_slot``: the unique constraint on
(job, slot) is what keeps two schedulers (two worker processes) from enqueueing the same
periodic run twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    RETRY_WAITING = "retry_waiting", _("Waiting to retry")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", pgettext_lazy("job status", "Failed")


# Statuses in which a run still has work ahead of it.
PENDING_STATUSES = (JobStatus.QUEUED, JobStatus.RETRY_WAITING)


class JobRun(models.Model):
    job = models.CharField(_("job"), max_length=100)
    # The organization the run works for; empty for the installation-wide jobs.
    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    arguments = models.JSONField(_("arguments"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveIntegerField(_("maximum attempts"))
    enqueued_at = models.DateTimeField(_("enqueued at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True)
    # The exception class of the last failed attempt, and its message (shown only to the
    # run's own organization: installation-wide runs show the class alone).
    last_error_class = models.CharField(_("last error"), max_length=200, blank=True)
    last_error = models.TextField(_("last error message"), blank=True)
    task_result_id = models.CharField(max_length=64, blank=True)
    schedule_slot = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    # A failed run retried by hand: the new run points at it (once: one retry per failure).
    retry_of = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="retried_by_run"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-enqueued_at", "-pk"]
        indexes = [models.Index(fields=["enqueued_at"], name="background_run_enqueued")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=JobStatus.values), name="background_run_status_valid"),
            models.CheckConstraint(condition=Q(max_attempts__gte=1), name="background_run_max_attempts_positive"),
            models.CheckConstraint(
                condition=Q(attempts__lte=F("max_attempts")), name="background_run_attempts_within_max"
            ),
            models.UniqueConstraint(
                fields=["job", "schedule_slot"],
                condition=Q(schedule_slot__isnull=False),
                name="background_run_one_per_slot",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job} #{self.pk}"
