"""The interop app's background jobs (registered when the app is ready)."""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from nyeri.background.registry import RetryPolicy, background_job
from nyeri.interop.satusehat import services


@background_job(
    name=services.SEND_JOB,
    label=_("Sending to SATUSEHAT"),
    retry=RetryPolicy(max_attempts=6, base_delay=timedelta(minutes=1), max_delay=timedelta(hours=2)),
)
def satusehat_send(*, entry_id: int) -> dict[str, str]:
    """Send one SATUSEHAT outbox entry; network and server failures are retried with back-off."""
    return {"outcome": services.send_outbox_entry(entry_id=entry_id)}
