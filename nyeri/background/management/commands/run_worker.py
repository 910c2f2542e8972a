"""``manage.py run_worker``: run background jobs and the scheduler of periodic jobs in one process.

With the database queue (``TASKS_BACKEND=database``) it runs django-tasks-db's worker; with
Redis (``TASKS_BACKEND=redis``) an RQ worker. Beside it, a scheduler thread enqueues the
periodic jobs each minute (``nyeri/background/schedule.py``); several workers may run at
once, a periodic run is enqueued once. ``--batch`` runs one scheduler round, then every
job that is due, and exits. Its output is for operators and log files: English.
"""

from __future__ import annotations

import logging
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_db import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Worker

from nyeri.background.worker import SchedulerThread, schedule_once

logger = logging.getLogger("nyeri.background")


class Command(BaseCommand):
    help = "Run the background-job worker and the scheduler of periodic jobs (expiry watch, audit verification)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--batch", action="store_true", help="Run what is due now, then exit.")
        parser.add_argument("--no-scheduler", action="store_true", help="Run jobs only; enqueue no periodic job.")
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between looks at an empty queue (default 1)."
        )
        parser.add_argument(
            "--scheduler-interval", type=float, default=60.0, help="Seconds between scheduler rounds (default 60)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch: bool = options["batch"]
        scheduler = not options["no_scheduler"]
        if options["interval"] < 0 or options["scheduler_interval"] <= 0:
            raise CommandError("the intervals must be positive")
        if scheduler and batch:
            enqueued = schedule_once()
            self.stdout.write(f"scheduler: {enqueued} periodic job(s) enqueued")
        thread: SchedulerThread | None = None
        if scheduler and not batch:
            thread = SchedulerThread(interval=options["scheduler_interval"])
            thread.start()
        try:
            backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
            if isinstance(backend, DatabaseBackend):
                self._database_worker(batch=batch, interval=options["interval"])
            else:
                self._rq_worker(batch=batch)
        finally:
            if thread is not None:
                thread.stop()

    def _database_worker(self, *, batch: bool, interval: float) -> None:
        worker = Worker(
            queue_names=["*"],
            interval=interval,
            batch=batch,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=not batch,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        if not batch:
            worker.configure_signals()
        logger.info("worker started on the database queue")
        worker.run()

    def _rq_worker(self, *, batch: bool) -> None:
        if "django_rq" not in settings.INSTALLED_APPS:
            raise CommandError("the default task backend is neither the database queue nor RQ (TASKS_BACKEND)")
        # RQ's own scheduler moves retries whose run_after has come back onto the queue.
        call_command("rqworker", "default", burst=batch, with_scheduler=True, job_class="django_tasks_rq.Job")
