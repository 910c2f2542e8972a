"""The platform's own jobs: installation-wide, run by the scheduler (``schedule.py``)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _

from nyeri.api.idempotency import prune_expired
from nyeri.audit.verify import verify_chain
from nyeri.background import services
from nyeri.background.registry import RetryPolicy, background_job
from nyeri.notifications.services import notify_probing
from nyeri.workforce.expiry.watch import run_expiry_watch

logger = logging.getLogger(__name__)


class AuditTrailBroken(Exception):
    """The daily verification found an altered audit trail."""


@background_job(
    name="workforce.expiry_watch",
    label=_("Credential expiry watch"),
    retry=RetryPolicy(max_attempts=5, base_delay=timedelta(minutes=1), max_delay=timedelta(hours=1)),
)
def expiry_watch() -> dict[str, Any]:
    """Mark lapsed credentials expired and send the expiry notices (docs/hours-and-expiry.md)."""
    report = run_expiry_watch()
    return {
        "today": report.today.isoformat(),
        "organizations": report.organizations,
        "expired": report.expired,
        "notifications": report.notifications,
        "emails": report.emails,
    }


@background_job(
    name="audit.verify",
    label=_("Audit trail verification"),
    # A broken trail stays broken: a few attempts rule out a passing database hiccup.
    retry=RetryPolicy(max_attempts=3, base_delay=timedelta(minutes=5), max_delay=timedelta(hours=1)),
)
def audit_verify() -> dict[str, Any]:
    """Verify every chain of the audit trail; a broken trail fails the job (and is logged)."""
    result = verify_chain()
    if not result.ok:
        for problem in result.problems:
            logger.error("audit trail broken: %s", problem.describe())
        # No chain numbers (organization ids) in the message: every administrator sees it.
        raise AuditTrailBroken(f"the audit trail is broken in {len(result.problems)} chain(s)")
    return {"chains": len(result.chains), "events": result.checked}


@background_job(
    name="audit.probe_watch",
    label=_("Watch for repeated denied attempts"),
    retry=RetryPolicy(max_attempts=2, base_delay=timedelta(minutes=1)),
    quiet=True,
)
def probe_watch() -> dict[str, Any]:
    """Notify compliance officers and administrators of accounts probing (docs/audit.md)."""
    return {"accounts": len(notify_probing())}


@background_job(
    name="background.recover_stalled",
    label=_("Recovery of interrupted jobs"),
    retry=RetryPolicy(max_attempts=2, base_delay=timedelta(minutes=1)),
    quiet=True,
)
def recover_stalled() -> dict[str, Any]:
    """Retry the attempts whose worker stopped before they finished."""
    return {"recovered": services.recover_stalled()}


@background_job(
    name="background.prune",
    label=_("Clean-up of old job records"),
    retry=RetryPolicy(max_attempts=3, base_delay=timedelta(minutes=5)),
    quiet=True,
)
def prune() -> dict[str, Any]:
    """Forget the successful runs (and queue rows) older than JOB_KEEP_DAYS; failed ones stay."""
    runs, results = services.prune_finished()
    return {"runs": runs, "results": results}


@background_job(
    name="api.idempotency_prune",
    label=_("Clean-up of expired idempotency keys"),
    retry=RetryPolicy(max_attempts=3, base_delay=timedelta(minutes=5)),
    quiet=True,
)
def idempotency_prune() -> dict[str, Any]:
    """Forget the answers kept for API retries once their keys expired (IDEMPOTENCY_KEY_HOURS)."""
    return {"deleted": prune_expired()}
