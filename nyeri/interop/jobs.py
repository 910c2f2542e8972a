"""The interop app's background jobs (registered when the app is ready)."""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from nyeri.background.registry import RetryPolicy, background_job
from nyeri.interop.fhir import export
from nyeri.interop.satusehat import services


@background_job(
    name=services.SEND_JOB,
    label=_("Sending to SATUSEHAT"),
    retry=RetryPolicy(max_attempts=6, base_delay=timedelta(minutes=1), max_delay=timedelta(hours=2)),
)
def satusehat_send(*, entry_id: int) -> dict[str, str]:
    """Send one SATUSEHAT outbox entry; network and server failures are retried with back-off."""
    return {"outcome": services.send_outbox_entry(entry_id=entry_id)}


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
