"""Reads for SATUSEHAT: the organization's settings, shown without their secret."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.conf import settings

from nyeri.interop.models import OutboxStatus, SatusehatOutboxEntry, SatusehatSettings
from nyeri.interop.satusehat import secrets
from nyeri.interop.satusehat.client import Connection
from nyeri.tenancy.access import require_organization_administrator

if TYPE_CHECKING:
    from nyeri.tenancy.models import Organization
    from nyeri.tenancy.scope import Scope


@dataclass(frozen=True)
class SettingsView:
    environment: str
    satusehat_organization_id: str
    client_id: str
    client_secret_masked: str
    base_url: str
    send_visits_from: date | None = None
    # SATUSEHAT refused the credentials: nothing is sent until they are corrected.
    paused_reason: str = ""
    paused_at: datetime | None = None


def satusehat_settings(scope: Scope) -> SettingsView | None:
    """The scope's organization's settings, the secret masked (one query; administrators only)."""
    require_organization_administrator(scope, object_type="satusehat_settings", reason="open the SATUSEHAT settings")
    row = SatusehatSettings.objects.filter(organization=scope.organization).first()
    if row is None:
        return None
    return SettingsView(
        environment=row.environment,
        satusehat_organization_id=row.satusehat_organization_id,
        client_id=row.client_id,
        client_secret_masked=secrets.masked(secrets.decrypt(row.client_secret_encrypted)),
        base_url=settings.SATUSEHAT_BASE_URLS[row.environment],
        send_visits_from=row.send_visits_from,
        paused_reason=row.paused_reason,
        paused_at=row.paused_at,
    )


def connection_for(organization: Organization) -> Connection | None:
    """How to connect for ``organization`` (for the client and background jobs), or None."""
    row = SatusehatSettings.objects.filter(organization=organization).first()
    if row is None:
        return None
    return Connection(
        base_url=settings.SATUSEHAT_BASE_URLS[row.environment],
        client_id=row.client_id,
        client_secret=secrets.decrypt(row.client_secret_encrypted),
        key=f"{organization.pk}:{row.environment}",
        timeout=float(settings.SATUSEHAT_TIMEOUT_SECONDS),
    )


def outbox_entries(scope: Scope, *, status: str = "", limit: int = 200) -> list[SatusehatOutboxEntry]:
    """The organization's outbox, newest first (one query; administrators only, a refusal is audited)."""
    require_organization_administrator(scope, object_type="satusehat_outbox", reason="open the SATUSEHAT outbox")
    rows = SatusehatOutboxEntry.objects.filter(organization=scope.organization)
    if status in OutboxStatus.values:
        rows = rows.filter(status=status)
    return list(rows.order_by("-queued_at", "-pk")[:limit])
