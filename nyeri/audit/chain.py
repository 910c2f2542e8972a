"""The hash that links each audit row to the one before it."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any


def canonical_payload(
    *,
    seq: int,
    occurred_at: datetime,
    actor_id: int | None,
    actor_label: str,
    organization_id: int | None,
    facility_id: int | None,
    patient_id: int | None,
    action: str,
    object_type: str,
    object_id: str,
    outcome: str,
    reason: str,
    request_id: str,
    client_address: str | None,
    prev_hash: str,
) -> str:
    """A stable text form of every field: the same row always gives the same text."""
    data: dict[str, Any] = {
        "seq": seq,
        # Microsecond UTC timestamps: both databases store them exactly.
        "occurred_at": _utc_iso(occurred_at),
        "actor_id": actor_id,
        "actor_label": actor_label,
        "organization_id": organization_id,
        "facility_id": facility_id,
        "patient_id": patient_id,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "outcome": outcome,
        "reason": reason,
        "request_id": request_id,
        "client_address": client_address,
        "prev_hash": prev_hash,
    }
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_hash(payload: str) -> str:
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
