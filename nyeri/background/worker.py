"""The scheduler thread that runs beside every worker (``manage.py run_worker``)."""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections, connection

from nyeri.background.schedule import enqueue_due

logger = logging.getLogger(__name__)


def schedule_once() -> int:
    """One scheduler round: enqueue the periodic jobs now due; never raises (logs instead)."""
    try:
        return len(enqueue_due())
    except Exception:
        logger.exception("the scheduler round failed; trying again at the next one")
        return 0


class SchedulerThread(threading.Thread):
    """Every ``interval`` seconds, enqueue the periodic jobs now due (until stopped)."""

    def __init__(self, *, interval: float) -> None:
        super().__init__(name="nyeri-scheduler", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        logger.info("scheduler started (every %s s)", self.interval)
        while not self.stopped.is_set():
            close_old_connections()
            try:
                schedule_once()
            finally:
                # This thread's own connection: not held open between rounds.
                connection.close()
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()
