"""The interop app's background jobs (registered when the app is ready)."""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from nyeri.background.registry import RetryPolicy, background_job
from nyeri.interop.fhir import export
from nyeri.interop.satusehat import outbox, services


@background_job(
    name=services.SEND_JOB,
    label=_("Sending to SATUSEHAT"),
    # The records' own failures are retried by the outbox (each with its back-off); a
    # failed run is a failure of the job itself (the database), retried like any job.
    retry=RetryPolicy(max_attempts=3, base_delay=timedelta(minutes=1), max_delay=timedelta(minutes=10)),
    quiet=True,
)
def satusehat_send(*, organization_id: int) -> dict[str, int]:
    """Send the organization's due SATUSEHAT outbox entries."""
    return services.send_outbox(organization_id=organization_id)


@background_job(
    name=services.COLLECT_JOB,
    label=_("SATUSEHAT: queue finished visits and send"),
    retry=RetryPolicy(max_attempts=2, base_delay=timedelta(minutes=1)),
    quiet=True,
)
def satusehat_collect() -> dict[str, int]:
    """Every minute: queue the finished visits of connected organizations, then send what is due."""
    return outbox.collect_and_drain()


@background_job(
    name=services.RESYNC_JOB,
    label=_("SATUSEHAT: records added or changed after a visit was sent"),
    retry=RetryPolicy(max_attempts=2, base_delay=timedelta(minutes=5)),
    quiet=True,
)
def satusehat_resync() -> dict[str, int]:
    """Every quarter hour: the recent visits built again; new records queued, changed ones re-sent."""
    return outbox.resync()


@background_job(
    name=export.EXPORT_JOB,
    label=_("FHIR bulk export"),
    retry=RetryPolicy(max_attempts=3, base_delay=timedelta(minutes=1), max_delay=timedelta(minutes=30)),
)
def fhir_export(*, export_id: str) -> dict[str, object]:
    """Write one FHIR bulk export's NDJSON files (a retried attempt starts again)."""
    return export.run_export(export_id=export_id)


@background_job(
    name=export.PRUNE_JOB,
    label=_("Clean-up of old FHIR exports"),
    retry=RetryPolicy(max_attempts=3, base_delay=timedelta(minutes=5)),
    quiet=True,
)
def fhir_export_prune() -> dict[str, int]:
    """Delete the FHIR exports (and their files) kept past FHIR_EXPORT_KEEP_HOURS."""
    return {"pruned": export.prune_exports()}
