"""Periodic jobs, as data, and the scheduler that enqueues them when due.

Each periodic job has slots: daily ones at a local time of day, others every so many
minutes. ``enqueue_due`` (called every minute by each worker's scheduler thread) enqueues
the current slot's run unless it exists already: the run carries its slot and the
database's unique (job, slot) constraint admits one run per slot, however many schedulers
race. A slot missed while no worker ran is caught up when one starts (only the latest
slot: the jobs are idempotent and look at the whole state, not at a day).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from nyeri.background.models import JobRun
from nyeri.background.services import enqueue_job

logger = logging.getLogger(__name__)

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class PeriodicJob:
    job: str
    # Exactly one of: a local time of day (daily), or an interval.
    daily_at: time | None = None
    every: timedelta | None = None

    def __post_init__(self) -> None:
        if (self.daily_at is None) == (self.every is None):
            raise ValueError("a periodic job runs either daily_at a time or every interval")

    def slot(self, now: datetime) -> datetime:
        """The start of the latest slot at or before ``now`` (aware)."""
        if self.daily_at is not None:
            # The platform's schedule, not a facility's: daily jobs run at the installation's
            # wall-clock time; each job asks clock.local_date for the facilities it handles.
            local = timezone.localtime(now)
            start = datetime.combine(local.date(), self.daily_at, tzinfo=local.tzinfo)
            if start > local:
                start = datetime.combine(local.date() - timedelta(days=1), self.daily_at, tzinfo=local.tzinfo)
            return start.astimezone(UTC)
        assert self.every is not None
        step = self.every.total_seconds()
        elapsed = (now - _EPOCH).total_seconds()
        return _EPOCH + timedelta(seconds=(elapsed // step) * step)

    def next_slot(self, now: datetime) -> datetime:
        """The start of the slot after the current one."""
        if self.daily_at is not None:
            local = timezone.localtime(self.slot(now))
            following = datetime.combine(local.date() + timedelta(days=1), self.daily_at, tzinfo=local.tzinfo)
            return following.astimezone(UTC)
        assert self.every is not None
        return self.slot(now) + self.every


PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    # Early in the morning, local time: notices are waiting when the clinics open.
    PeriodicJob("workforce.expiry_watch", daily_at=time(1, 0)),
    PeriodicJob("audit.verify", daily_at=time(2, 0)),
    PeriodicJob("background.prune", daily_at=time(3, 0)),
    PeriodicJob("background.recover_stalled", every=timedelta(minutes=15)),
    PeriodicJob("api.idempotency_prune", every=timedelta(hours=1)),
    # Repeated denied attempts by one account: a notification within a minute.
    PeriodicJob("audit.probe_watch", every=timedelta(minutes=1)),
    PeriodicJob("interop.fhir_export_prune", every=timedelta(hours=1)),
    # SATUSEHAT (nyeri/interop): finished visits queued and the outbox drained.
    PeriodicJob("interop.satusehat_collect", every=timedelta(minutes=1)),
    PeriodicJob("interop.satusehat_resync", every=timedelta(minutes=15)),
)


def enqueue_due(*, now: datetime | None = None, periodic: tuple[PeriodicJob, ...] = PERIODIC_JOBS) -> list[JobRun]:
    """Enqueue each periodic job whose current slot has no run yet; the runs enqueued."""
    moment = now or timezone.now()
    enqueued: list[JobRun] = []
    for entry in periodic:
        slot = entry.slot(moment)
        if JobRun.objects.filter(job=entry.job, schedule_slot=slot).exists():
            continue
        try:
            with transaction.atomic():
                enqueued.append(enqueue_job(entry.job, schedule_slot=slot))
        except IntegrityError:
            # Another scheduler enqueued this slot first.
            logger.info("periodic job %s for %s was enqueued by another scheduler", entry.job, slot.isoformat())
            continue
        logger.info("periodic job %s enqueued for %s", entry.job, slot.isoformat())
    return enqueued
