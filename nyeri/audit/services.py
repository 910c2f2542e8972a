"""Writing the audit trail.

``record_event`` is called by every service inside the transaction of the change it
records, so the change and its audit row are committed together or not at all.

Each organization has its own chain (events without an organization go to the platform
chain, 0). Appends to one chain are serialised by its head row, which stays locked until
the caller's transaction ends: call ``record_event`` as the last statement of a
transaction, so that the lock is held as briefly as possible (every other audited write of
the same organization waits for it; other organizations' writes do not).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.transaction import Atomic
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from nyeri.audit.chain import canonical_payload, canonical_payload_parts, row_hash
from nyeri.audit.context import current_context, note_denial
from nyeri.audit.models import (
    DENIED_OUTCOMES,
    GENESIS_HASH,
    PLATFORM_CHAIN,
    AuditAction,
    AuditChainHead,
    AuditEvent,
    AuditOutcome,
)
from nyeri.lib.sql import statement_cursor

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from nyeri.accounts.models import User
    from nyeri.audit.selectors import AuditFilters
    from nyeri.tenancy.models import Facility, Organization
    from nyeri.tenancy.scope import Scope


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
    """Append one event to its organization's hash chain, inside the caller's transaction."""
    ctx = current_context()
    real_actor = actor if actor is not None and actor.is_authenticated else None
    label = actor_label or (real_actor.get_username() if real_actor is not None else "")
    event = AuditEvent(
        chain=chain_of(organization),
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
        client_address=normalised_address(ctx.client_address),
    )
    batch = _batch.get()
    if batch is not None:
        batch.append(event)
    elif connection.vendor == "postgresql":
        _append_postgresql(event)
    else:
        _append_locked([event])
    return event


# The events of the write in progress (``appended_at_the_end``), or None.
_batch: ContextVar[list[AuditEvent] | None] = ContextVar("audit_batch", default=None)


@contextmanager
def appended_at_the_end(*, refusals: list[AuditEvent] | None = None) -> Iterator[None]:
    """Inside a write's transaction: its audit rows are appended to the chain when it ends.

    A write that opens a patient and records something has two rows (the READ and the
    CREATE); appended together as the transaction's last statements, the chain's head is
    locked once and only for the end of the transaction, however long the write took.
    Nothing is appended if the block raises (the transaction rolls back anyway), except the
    refusals recorded inside (``permission_denied``, outcome denied): they go to
    ``refusals``, for the caller to append after the rollback (``append_after_rollback``).
    The events returned by ``record_event`` inside have no id or hash until then.
    """
    if _batch.get() is not None:
        yield  # the outermost block appends
        return
    batch: list[AuditEvent] = []
    token = _batch.set(batch)
    try:
        yield
    except BaseException:
        if refusals is not None:
            refusals.extend(e for e in batch if e.outcome == AuditOutcome.DENIED)
        raise
    finally:
        _batch.reset(token)
    _append(batch)


def append_after_rollback(events: list[AuditEvent]) -> None:
    """Append the refusals of a write that was rolled back, in their own transaction."""
    if events:
        with transaction.atomic():
            _append(events)


def _append(events: list[AuditEvent]) -> None:
    if connection.vendor == "postgresql":
        if len(events) == 2 and events[0].chain == events[1].chain and _append_postgresql_pair(*events):
            return
        for event in events:
            _append_postgresql(event)
    elif events:
        _append_locked(events)


def chain_of(organization: Organization | None) -> int:
    """The chain an event of ``organization`` belongs to: the organization's id, or the platform's."""
    return organization.pk if organization is not None else PLATFORM_CHAIN


# The columns an append writes, in the order of ``_row_values``.
_EVENT_COLUMNS = (
    "chain",
    "seq",
    "occurred_at",
    "actor_id",
    "actor_label",
    "organization_id",
    "facility_id",
    "patient_id",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "reason",
    "request_id",
    "client_address",
    "prev_hash",
    "hash",
)


def _row_values(event: AuditEvent) -> list[Any]:
    ops = connection.ops
    return [
        event.chain,
        event.seq,
        ops.adapt_datetimefield_value(event.occurred_at),
        event.actor_id,
        event.actor_label,
        event.organization_id,
        event.facility_id,
        event.patient_id,
        str(event.action),
        event.object_type,
        event.object_id,
        str(event.outcome),
        event.reason,
        event.request_id,
        ops.adapt_ipaddressfield_value(event.client_address),
        event.prev_hash,
        event.hash,
    ]


def _append_locked(events: list[AuditEvent]) -> None:
    """SQLite's append: per chain, the rows inserted and the head moved (two statements when
    one event is appended, or its transaction has moved the head already; three otherwise:
    read the head, insert the rows, move the head).

    Plain SQL, not the ORM: every audited write ends here, and building the model
    statements cost more CPU than running them. No lock is taken: SQLite's IMMEDIATE
    transaction (settings) already holds the database's single write lock. (PostgreSQL
    appends with ``_append_postgresql``, which locks the head row.)
    """
    # No savepoint: if the append fails, the caller's whole transaction must roll back
    # (a change must not commit without its audit row).
    q = connection.ops.quote_name
    head_table, event_table = q(AuditChainHead._meta.db_table), q(AuditEvent._meta.db_table)
    chains = dict.fromkeys(e.chain for e in events)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        moved = _heads_moved()
        for chain in chains:
            mine = [e for e in events if e.chain == chain]
            head = moved.get(chain)
            if head is None and len(mine) == 1 and _move_head(cursor, head_table, mine[0]):
                _insert_events(cursor, event_table, mine)
            else:
                _append_to_head(cursor, head_table, event_table, chain, mine, head)
            moved[chain] = (mine[-1].seq, mine[-1].hash)
            for event in mine:
                _noted(event)
        _note_heads_moved(moved)


def _append_to_head(
    cursor: CursorWrapper,
    head_table: str,
    event_table: str,
    chain: int,
    events: list[AuditEvent],
    head: tuple[int, str] | None,
) -> None:
    """Hash ``events`` after the chain's ``head`` (read here when not known) and move it."""
    if head is None:
        cursor.execute(f"SELECT seq, hash FROM {head_table} WHERE chain = %s", [chain])  # noqa: S608  # nosec B608
        head = cursor.fetchone()
    seq, prev_hash = head if head is not None else (0, GENESIS_HASH)
    for event in events:
        seq += 1
        event.seq = seq
        event.occurred_at = timezone.now()
        event.prev_hash = prev_hash
        event.hash = prev_hash = row_hash(payload_of(event))
    _insert_events(cursor, event_table, events)
    if head is None:
        # The chain's first event: its head is created here, moved by every later one.
        cursor.execute(
            f"INSERT INTO {head_table} (chain, seq, prev_hash, hash) VALUES (%s, %s, %s, %s)",  # noqa: S608  # nosec B608
            [chain, seq, events[-1].prev_hash, prev_hash],
        )
    else:
        cursor.execute(
            f"UPDATE {head_table} SET seq = %s, prev_hash = %s, hash = %s WHERE chain = %s",  # noqa: S608  # nosec B608
            [seq, events[-1].prev_hash, prev_hash, chain],
        )


def _insert_events(cursor: CursorWrapper, event_table: str, events: list[AuditEvent]) -> None:
    q = connection.ops.quote_name
    values: list[Any] = []
    for event in events:
        values.extend(_row_values(event))
    one_row = "(" + ", ".join(["%s"] * len(_EVENT_COLUMNS)) + ")"
    cursor.execute(
        f"INSERT INTO {event_table} ({', '.join(q(c) for c in _EVENT_COLUMNS)}) "  # noqa: S608  # nosec B608
        f"VALUES {', '.join([one_row] * len(events))} RETURNING id",
        values,
    )
    for event, (pk,) in zip(events, cursor.fetchall(), strict=True):
        event.pk = pk
        event._state.adding = False
        event._state.db = connection.alias


def _move_head(cursor: CursorWrapper, head_table: str, event: AuditEvent) -> bool:
    """Move the chain's head past ``event`` and give the event its seq and hashes, in one
    statement (SQLite's SHA256, which Django registers, hashes the payload as
    ``row_hash`` does); False, with nothing done, when the chain has no head yet.

    One statement instead of a read and an update: what the home's audited read of the
    day's appointments costs, as every other single append.
    """
    event.occurred_at = timezone.now()
    before, between, after = _payload_parts(event)
    cursor.execute(
        f"UPDATE {head_table} SET seq = seq + 1, prev_hash = hash, "  # noqa: S608  # nosec B608
        "hash = SHA256(%s || hash || %s || (seq + 1) || %s) WHERE chain = %s RETURNING seq, prev_hash, hash",
        [before, between, after, event.chain],
    )
    row = cursor.fetchone()
    if row is None:
        return False
    event.seq, event.prev_hash, event.hash = row
    return True


@dataclass
class _HeadsMoved:
    """The chain heads a SQLite transaction has moved, so that its next append need not read
    them again: (seq, hash) by chain.

    Registered as an ``on_commit`` callback, which is how it learns that its transaction
    ended: a commit runs it (it forgets), and a rollback, of the transaction or of the
    savepoint it was registered in, removes it from the connection's callbacks (the heads it
    holds were rolled back with the rows). Nobody else writes a head in the meantime:
    SQLite's IMMEDIATE transaction holds the database's single write lock.
    """

    transaction: tuple[Atomic, tuple[str | None, ...]]
    registered_in: tuple[str | None, ...]  # the savepoints open when it was registered
    heads: dict[int, tuple[int, str]]

    def __call__(self) -> None:
        self.heads.clear()

    def registered(self) -> bool:
        return any(entry[1] is self for entry in reversed(connection.run_on_commit))


def _transaction() -> tuple[Atomic, tuple[str | None, ...]]:
    """The transaction in progress: its outermost atomic block that a test case did not open,
    and the savepoints up to that block's own."""
    # In a test, the test's own transaction never ends: each block inside it (a request's,
    # a service's) stands for the transaction it would be outside the test.
    index, block = next(
        (i, b) for i, b in enumerate(connection.atomic_blocks) if not getattr(b, "_from_testcase", False)
    )
    return block, tuple(connection.savepoint_ids[:index])


def _heads_moved() -> dict[int, tuple[int, str]]:
    """The heads moved so far by the transaction in progress ({} at its first append)."""
    known: _HeadsMoved | None = getattr(connection, "nyeri_audit_heads", None)
    if known is None or known.transaction != _transaction():
        return {}
    return dict(known.heads) if known.registered() else {}


def _note_heads_moved(heads: dict[int, tuple[int, str]]) -> None:
    here = tuple(connection.savepoint_ids)
    known: _HeadsMoved | None = getattr(connection, "nyeri_audit_heads", None)
    if known is not None and known.registered_in == here and known.transaction == _transaction() and known.registered():
        known.heads.update(heads)  # the same savepoints: rolled back (or not) together
        return
    # Registered anew in the current savepoint: rolling it back forgets these heads.
    record = _HeadsMoved(_transaction(), here, heads)
    connection.nyeri_audit_heads = record  # type: ignore[attr-defined]
    transaction.on_commit(record)


def _locked_head(chain: int) -> AuditChainHead:
    # SELECT ... FOR UPDATE makes the chain's next writer wait until this transaction
    # ends; on SQLite the IMMEDIATE transaction already holds the single write lock.
    head = AuditChainHead.objects.select_for_update().filter(pk=chain).first()
    if head is None:
        # The chain's first event. Two first appenders may race here: ON CONFLICT DO
        # NOTHING makes the second wait for the first's row instead of failing, and both
        # then lock the one head.
        AuditChainHead.objects.bulk_create(
            [AuditChainHead(chain=chain, seq=0, hash=GENESIS_HASH, prev_hash=GENESIS_HASH)], ignore_conflicts=True
        )
        head = AuditChainHead.objects.select_for_update().get(pk=chain)
    return head


def _payload_parts(event: AuditEvent) -> tuple[str, str, str]:
    """The event's canonical payload around the two fields its chain's head supplies."""
    return canonical_payload_parts(
        chain=event.chain,
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
    )


def _append_postgresql(event: AuditEvent) -> None:
    """Append in one statement: the chain's head is created or moved, and copied into the new row.

    The head stays locked from this statement to the caller's commit, and the
    organization's audited writes queue on it: one round trip under the lock instead of
    five (savepoint, lock, insert, update, release) more than doubled the audited write
    rate (docs/audit.md). PostgreSQL completes the canonical payload with the head's seq
    and hash and hashes it (``sha256``), so the stored hash is the one ``audit_verify``
    recomputes in Python.
    """
    event.occurred_at = timezone.now()
    before, between, after = _payload_parts(event)
    # A chain's first row, should its head not exist yet: hashed here, on the genesis hash.
    first_hash = row_hash(before + GENESIS_HASH + between + "1" + after)
    params: list[Any] = [
        event.chain,
        first_hash,
        before,
        between,
        after,
        event.chain,
        *_event_values(event),
    ]
    with statement_cursor() as cursor:  # prepared once per connection
        cursor.execute(_postgresql_append_sql(), params)
        row = cursor.fetchone()
    if row is None:
        raise RuntimeError("the audit chain head could not be created or moved")
    event.pk, event.seq, event.prev_hash, event.hash = row
    event._state.adding = False
    event._state.db = connection.alias
    _noted(event)


def _event_values(event: AuditEvent) -> list[Any]:
    """The values of ``_APPENDED_COLUMNS`` (the row's own, before the head's seq and hashes)."""
    return [
        event.occurred_at,
        event.actor_id,
        event.actor_label,
        event.organization_id,
        event.facility_id,
        event.patient_id,
        str(event.action),
        event.object_type,
        event.object_id,
        str(event.outcome),
        event.reason,
        event.request_id,
        event.client_address,
    ]


def _append_postgresql_pair(first: AuditEvent, second: AuditEvent) -> bool:
    """Append a write's two events of one chain (its READ and CREATE) in one statement.

    As ``_append_postgresql``, but the head is moved by two: PostgreSQL hashes the first
    event on the head's hash and the second on the first's. False (nothing written) when
    the chain has no head yet: its first append creates it (``_append_postgresql``).
    """
    parts = []
    for event in (first, second):
        event.occurred_at = timezone.now()
        parts.append(_payload_parts(event))
    params: list[Any] = [
        first.chain,
        *parts[0],
        *parts[1],
        first.chain,
        first.chain,
        *_event_values(first),
        second.chain,
        *_event_values(second),
    ]
    with statement_cursor() as cursor:  # prepared once per connection
        cursor.execute(_postgresql_append_pair_sql(), params)
        rows = sorted(cursor.fetchall(), key=lambda row: row[1])  # by seq
    if not rows:
        return False
    if len(rows) != 2:
        raise RuntimeError("the audit chain head moved without its two rows")
    for event, row in zip((first, second), rows, strict=True):
        event.pk, event.seq, event.prev_hash, event.hash = row
        event._state.adding = False
        event._state.db = connection.alias
        _noted(event)
    return True


def _noted(event: AuditEvent) -> None:
    # The request's denied-attempt row is written once: by whoever refused, else by the
    # middleware that sees the 403 or 404 (nyeri/audit/middleware.py), which asks this count.
    if event.outcome in DENIED_OUTCOMES:
        note_denial()


# The columns an append fills from the event itself (``_event_values``), with their types.
_APPENDED_COLUMNS = (
    ("occurred_at", "timestamptz"),
    ("actor_id", "bigint"),
    ("actor_label", "text"),
    ("organization_id", "bigint"),
    ("facility_id", "bigint"),
    ("patient_id", "bigint"),
    ("action", "text"),
    ("object_type", "text"),
    ("object_id", "text"),
    ("outcome", "text"),
    ("reason", "text"),
    ("request_id", "text"),
    ("client_address", "inet"),
)
# sha256 of the canonical payload: before || prev_hash || between || seq || after.
_HASHED = "encode(sha256(convert_to(%s || {prev} || %s || ({seq})::text || %s, 'UTF8')), 'hex')"


def _append_sql_names() -> tuple[str, str, str]:
    """The quoted names an append's SQL uses: the head table, the event table, the columns."""
    q = connection.ops.quote_name
    columns = ", ".join(q(column) for column, _type in _APPENDED_COLUMNS)
    return q(AuditChainHead._meta.db_table), q(AuditEvent._meta.db_table), columns


@cache
def _postgresql_append_pair_sql() -> str:
    head, events, columns = _append_sql_names()
    values = ", ".join(f"%s::{type_}" for _column, type_ in _APPENDED_COLUMNS)
    # The head is locked (FOR UPDATE waits for the chain's previous appender to commit and
    # then reads the head as it committed it), the two rows hashed on it in turn, the head
    # moved to the second; the UPDATE sets the values computed from the locked head, which
    # nobody else can move in between. Only quoted names are interpolated; every value is
    # a parameter.
    return f"""
        WITH old AS (
            SELECT seq, hash FROM {head} WHERE chain = %s FOR UPDATE
        ), e1 AS (
            SELECT old.seq + 1 AS seq, old.hash AS prev_hash,
                   {_HASHED.format(prev="old.hash", seq="old.seq + 1")} AS hash
              FROM old
        ), e2 AS (
            SELECT e1.seq + 1 AS seq, e1.hash AS prev_hash, {_HASHED.format(prev="e1.hash", seq="e1.seq + 1")} AS hash
              FROM e1
        ), moved AS (
            UPDATE {head} AS h SET seq = e2.seq, prev_hash = e2.prev_hash, hash = e2.hash
              FROM e2 WHERE h.chain = %s
        )
        INSERT INTO {events} (chain, seq, {columns}, prev_hash, hash)
        SELECT %s::bigint, e1.seq, {values}, e1.prev_hash, e1.hash FROM e1
        UNION ALL
        SELECT %s::bigint, e2.seq, {values}, e2.prev_hash, e2.hash FROM e2
        RETURNING id, seq, prev_hash, hash
    """  # noqa: S608 - only quoted names and fixed fragments  # nosec B608


@cache
def _postgresql_append_sql() -> str:
    head, events, columns = _append_sql_names()
    # The chain's first append inserts its head at seq 1; every later one conflicts and
    # updates it instead. INSERT ... ON CONFLICT DO UPDATE never fails on a concurrent
    # first append: the second waits for the first's head, then updates it. Every SET
    # expression reads the head as it was before this update (after waiting for the
    # chain's previous appender to commit), so seq, prev_hash and hash move together.
    # Only quoted model names are interpolated; every value is a parameter.
    return f"""
        WITH head AS (
            INSERT INTO {head} AS h (chain, seq, prev_hash, hash)
            VALUES (%s, 1, '{GENESIS_HASH}', %s)
            ON CONFLICT (chain) DO UPDATE
               SET seq = h.seq + 1,
                   prev_hash = h.hash,
                   hash = encode(sha256(convert_to(%s || h.hash || %s || (h.seq + 1)::text || %s, 'UTF8')), 'hex')
         RETURNING seq, prev_hash, hash
        )
        INSERT INTO {events} (chain, seq, {columns}, prev_hash, hash)
        SELECT %s::bigint, head.seq, %s::timestamptz, %s::bigint, %s::text, %s::bigint, %s::bigint, %s::bigint,
               %s::text, %s::text, %s::text, %s::text, %s::text, %s::text, %s::inet, head.prev_hash, head.hash
          FROM head
        RETURNING id, seq, prev_hash, hash
    """  # noqa: S608 - only quoted names and fixed fragments  # nosec B608


def normalised_address(value: str | None) -> str | None:
    """The address exactly as the database will store and return it (None if not one).

    The hash is computed before the insert, so it must cover the stored form: the
    database (and Django) compress IPv6 addresses, and PostgreSQL rejects a malformed one,
    which would fail the whole audited write over a bad X-Forwarded-For header.
    """
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if address.version == 6:
        return clean_ipv6_address(str(address))
    return str(address)


def payload_of(event: AuditEvent) -> str:
    occurred_at: datetime = event.occurred_at
    return canonical_payload(
        chain=event.chain,
        seq=event.seq,
        occurred_at=occurred_at,
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


# --- Denied attempts ---------------------------------------------------------------------

# What a "not found" answer was asked to do, by HTTP method (the row's action).
_NOT_FOUND_ACTIONS = {
    "GET": AuditAction.READ,
    "HEAD": AuditAction.READ,
    "OPTIONS": AuditAction.READ,
    "POST": AuditAction.CREATE,
    "PUT": AuditAction.UPDATE,
    "PATCH": AuditAction.UPDATE,
    "DELETE": AuditAction.CANCEL,
}


def record_denied_attempt(
    *,
    actor: User | AnonymousUser | None,
    organization: Organization | None,
    status: int,
    method: str,
    path: str,
    object_type: str,
    object_id: str,
    identifiers: str = "",
) -> AuditEvent:
    """One row for a 403 or a 404 that no refusal recorded: who asked, for what, the outcome.

    A 404 row reads the same whether the object exists in another organization or nowhere
    (nothing is looked up to write it). Written in autocommit, after the request's
    transactions have ended (committed or rolled back): on PostgreSQL one INSERT statement,
    elsewhere the chain's three (lock the head, insert, move the head) in one transaction.
    """
    if status == 404:
        action, outcome = _NOT_FOUND_ACTIONS.get(method, AuditAction.READ), AuditOutcome.NOT_FOUND
    else:
        action, outcome = AuditAction.PERMISSION_DENIED, AuditOutcome.DENIED
    reason = f"{status} {method} {path}"[:500]
    if identifiers:
        reason = f"{reason} ({identifiers})"
    return record_event(
        actor=actor,
        action=action,
        outcome=outcome,
        organization=organization,
        object_type=object_type[:64],
        object_id=object_id[:64],
        reason=reason,
    )


# --- The audit report's own audit rows --------------------------------------------------


def record_access_denied(
    *, actor: User | AnonymousUser | None, organization: Organization | None, object_type: str, reason: str = ""
) -> AuditEvent:
    """Someone was refused a page: a PERMISSION_DENIED row (probing is worth knowing about)."""
    with transaction.atomic():
        return record_event(
            actor=actor,
            action=AuditAction.PERMISSION_DENIED,
            outcome=AuditOutcome.DENIED,
            organization=organization,
            object_type=object_type,
            reason=reason,
        )


def record_report_read(*, scope: Scope, filters: AuditFilters, sort: str, page: int) -> AuditEvent:
    """Reading the audit trail is itself a security-relevant read: a READ row per page shown.

    A patient filter makes it a read about that patient, so the row carries the patient
    (their access history then shows who looked at their audit trail).
    """
    with transaction.atomic():
        return record_event(
            actor=scope.user,
            action=AuditAction.READ,
            organization=scope.organization,
            patient_id=filters.patient_id,
            object_type="audit_report",
            reason=f"{filters.describe()}; sort {sort}; page {page}",
        )


def record_security_report_read(*, actor: User, filters: AuditFilters, sort: str, page: int) -> AuditEvent:
    """A READ row (platform chain) per page of the installation's security report shown."""
    with transaction.atomic():
        return record_event(
            actor=actor,
            action=AuditAction.READ,
            object_type="security_report",
            reason=f"{filters.describe()}; sort {sort}; page {page}",
        )


def record_report_export(*, scope: Scope, filters: AuditFilters, sort: str) -> AuditEvent:
    """An EXPORT row, committed before the first byte of the export is sent."""
    with transaction.atomic():
        return record_event(
            actor=scope.user,
            action=AuditAction.EXPORT,
            organization=scope.organization,
            patient_id=filters.patient_id,
            object_type="audit_report",
            reason=f"csv; {filters.describe()}; sort {sort}",
        )


# --- Many events at once (imports) ------------------------------------------------------


def record_events(
    *,
    actor: User | AnonymousUser | None,
    organization: Organization,
    events: list[dict[str, Any]],
    action: AuditAction = AuditAction.CREATE,
    outcome: AuditOutcome = AuditOutcome.SUCCESS,
) -> int:
    """Append many events of one actor to ``organization``'s chain, inside the caller's transaction.

    Each item of ``events`` gives the per-event fields (``object_type``, ``object_id`` and
    optionally ``facility``, ``patient_id``, ``reason``). The chain's head is locked once,
    each row is hashed on the one before it exactly as ``record_event`` would have, and the
    rows are inserted in batches: an import of ten thousand rows costs a handful of
    statements instead of ten thousand. Returns the number of events appended.
    """
    if not events:
        return 0
    ctx = current_context()
    real_actor = actor if actor is not None and actor.is_authenticated else None
    label = (real_actor.get_username() if real_actor is not None else "")[:150]
    address = normalised_address(ctx.client_address)
    chain = chain_of(organization)
    rows: list[AuditEvent] = []
    with transaction.atomic(savepoint=False):
        head = _locked_head(chain)
        seq, prev_hash = head.seq, head.hash
        occurred_at = timezone.now()
        for item in events:
            facility = item.get("facility")
            seq += 1
            event = AuditEvent(
                chain=chain,
                seq=seq,
                occurred_at=occurred_at,
                actor=real_actor,
                actor_label=label,
                organization=organization,
                facility=facility,
                patient_id=item.get("patient_id"),
                action=action,
                object_type=str(item.get("object_type", "")),
                object_id=str(item.get("object_id", "")),
                outcome=outcome,
                reason=str(item.get("reason", "")),
                request_id=ctx.request_id,
                client_address=address,
                prev_hash=prev_hash,
            )
            event.hash = row_hash(payload_of(event))
            prev_hash = event.hash
            rows.append(event)
        AuditEvent.objects.bulk_create(rows, batch_size=1000)
        AuditChainHead.objects.filter(pk=chain).update(seq=seq, prev_hash=rows[-1].prev_hash, hash=prev_hash)
    return len(rows)
