"""The hash that links each audit row to the one before it."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any


def canonical_payload(
    *,
    chain: int,
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
    """A stable text form of every field: the same row always gives the same text.

    ``chain`` is in it so that a row copied into another organization's chain (with its
    hash) does not hash to its hash there.
    """
    data: dict[str, Any] = {
        "chain": chain,
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


_SEQ_END = ',"seq":0}'


def canonical_payload_parts(
    *,
    chain: int,
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
) -> tuple[str, str, str]:
    """``canonical_payload`` without the two fields the chain head supplies (seq, prev_hash).

    Returned as (before, between, after).

    ``before + prev_hash + between + str(seq) + after`` is exactly the canonical payload:
    PostgreSQL completes it inside the single statement that appends the row, once it
    holds the chain head (see ``services._append_postgresql``).
    """
    # A marker that cannot occur in the other fields: a fresh random value each time.
    marker = "@prev-" + uuid.uuid4().hex
    text = canonical_payload(
        chain=chain,
        seq=0,
        occurred_at=occurred_at,
        actor_id=actor_id,
        actor_label=actor_label,
        organization_id=organization_id,
        facility_id=facility_id,
        patient_id=patient_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        outcome=outcome,
        reason=reason,
        request_id=request_id,
        client_address=client_address,
        prev_hash=marker,
    )
    before, rest = text.split(marker)
    # Keys are sorted, so "seq" is the last one; the check guards a future new field.
    if not rest.endswith(_SEQ_END):
        raise AssertionError("canonical payload: seq is no longer the last key")
    return before, rest[: -len("0}")], "}"


def _utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_hash(payload: str) -> str:
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
