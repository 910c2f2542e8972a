"""Running one attempt of a job run (called by the worker through the job's task)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from nyeri.background import services

logger = logging.getLogger(__name__)


def run_attempt(job_run_id: int, body: Callable[..., Any], arguments: dict[str, Any]) -> Any:
    """Run ``body`` as the run's next attempt; a failure is recorded (and retried) and re-raised.

    Re-raised so that the queue backend marks this attempt's own result failed too (with
    its traceback, on the database queue).
    """
    run = services.start_attempt(job_run_id)
    if run is None:
        return None
    try:
        result = body(**arguments)
    except Exception as error:
        logger.warning("background job %s (run %s) attempt %s failed", run.job, run.pk, run.attempts)
        services.record_failure(run, error)
        raise
    services.record_success(run)
    return result
