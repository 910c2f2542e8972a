"""Writing the audit trail.

``record_event`` is called by every service inside the transaction of the change it
records, so the change and its audit row are committed together or not at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from nyeri.audit.chain import canonical_payload, row_hash
from nyeri.audit.context import current_context
from nyeri.audit.models import GENESIS_HASH, AuditAction, AuditChainHead, AuditEvent, AuditOutcome

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from nyeri.accounts.models import User
    from nyeri.tenancy.models import Facility, Organization


def _locked_head() -> AuditChainHead:
    # The head row serialises appends: on PostgreSQL SELECT ... FOR UPDATE makes the
    # next writer wait until this transaction commits; on SQLite the IMMEDIATE
    # transaction already holds the database's single write lock.
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        # First event ever (or a freshly flushed test database).
        AuditChainHead.objects.bulk_create([AuditChainHead(pk=1, seq=0, hash=GENESIS_HASH)], ignore_conflicts=True)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def record_event(
    *,
    actor: User | AnonymousUser | None,
    action: AuditAction,
    outcome: AuditOutcome = AuditOutcome.SUCCESS,
    organization: Organization | None = None,
    facility: Facility | None = None,
    patient_id: int | None = None,
    object_type: str = "",
    object_id: str | int = "",
    reason: str = "",
    actor_label: str = "",
) -> AuditEvent:
    """Append one event to the hash chain, inside the caller's transaction."""
    ctx = current_context()
    real_actor = actor if actor is not None and actor.is_authenticated else None
    label = actor_label or (real_actor.get_username() if real_actor is not None else "")
    with transaction.atomic():
        head = _locked_head()
        event = AuditEvent(
            seq=head.seq + 1,
            occurred_at=timezone.now(),
            actor=real_actor,
            actor_label=label[:150],
            organization=organization,
            facility=facility,
            patient_id=patient_id,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            outcome=outcome,
            reason=reason,
            request_id=ctx.request_id,
            client_address=ctx.client_address,
            prev_hash=head.hash,
        )
        event.hash = row_hash(payload_of(event))
        event.save(force_insert=True)
        AuditChainHead.objects.filter(pk=1).update(seq=event.seq, hash=event.hash)
    return event


def payload_of(event: AuditEvent) -> str:
    return canonical_payload(
        seq=event.seq,
        occurred_at=event.occurred_at,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        organization_id=event.organization_id,
        facility_id=event.facility_id,
        patient_id=event.patient_id,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        outcome=event.outcome,
        reason=event.reason,
        request_id=event.request_id,
        client_address=event.client_address,
        prev_hash=event.prev_hash,
    )
