"""The audit trail's hash chain: appending, ``audit_verify``, and PostgreSQL's trigger."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, connection, transaction

from nyeri.accounts.models import User
from nyeri.audit.chain import canonical_payload, canonical_payload_parts, row_hash
from nyeri.audit.context import RequestContext, reset_context, set_context
from nyeri.audit.models import GENESIS_HASH, AuditAction, AuditChainHead, AuditEvent, AuditOutcome
from nyeri.audit.services import payload_of, record_event
from nyeri.audit.verify import Anchor, ProblemKind, verify_chain
from nyeri.tenancy.models import Facility, Organization

pytestmark = pytest.mark.django_db

ON_POSTGRESQL = connection.vendor == "postgresql"
requires_postgresql = pytest.mark.skipif(not ON_POSTGRESQL, reason="the triggers exist on PostgreSQL only")


def record(n: int, organization: Organization, actor: User | None = None) -> list[AuditEvent]:
    return [
        record_event(
            actor=actor,
            action=AuditAction.READ,
            organization=organization,
            object_type="patient",
            object_id=i,
            reason=f"event {i}",
        )
        for i in range(1, n + 1)
    ]


def run(sql: str, params: tuple[object, ...] = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def disable_triggers() -> None:
    # The test's transaction still holds the new rows' deferred foreign-key checks, and
    # PostgreSQL alters no table with checks pending: run them now.
    run("SET CONSTRAINTS ALL IMMEDIATE")
    run("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")


@contextmanager
def tampering() -> Iterator[None]:
    """Raw writes as an attacker would make them; on PostgreSQL the triggers must go first
    (which only the tables' owner can do: production's role must not be it)."""
    if ON_POSTGRESQL:
        disable_triggers()
        run("ALTER TABLE audit_auditchainhead DISABLE TRIGGER audit_head_forward_only")
    try:
        yield
    finally:
        if ON_POSTGRESQL:
            run("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only")
            run("ALTER TABLE audit_auditchainhead ENABLE TRIGGER audit_head_forward_only")


def verify_command(*args: str) -> str:
    out = StringIO()
    call_command("audit_verify", *args, stdout=out)
    return out.getvalue()


# --- Appending --------------------------------------------------------------------------


def test_it_chains_each_event_to_the_one_before(org: Organization, facility: Facility) -> None:
    first, second = record(2, org)
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    head = AuditChainHead.objects.get()
    assert (head.seq, head.hash, head.prev_hash) == (2, second.hash, first.hash)


def test_the_stored_row_hashes_to_its_hash_on_either_database(org: Organization, facility: Facility) -> None:
    # On PostgreSQL the database computes the hash; Python must find the same one.
    user = User.objects.create_user(username="ani", password="x" * 12)
    token = set_context(RequestContext(request_id="req-1", client_address="2001:0db8:0000::0001"))
    try:
        event = record_event(
            actor=user,
            action=AuditAction.UPDATE,
            organization=org,
            facility=facility,
            patient_id=42,
            object_type="patient",
            object_id=42,
            reason='Nyeri kepala "berat" — 疼痛 \\ %s %(x)s',
        )
    finally:
        reset_context(token)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.hash == event.hash == row_hash(payload_of(stored))
    assert stored.client_address == "2001:db8::1"
    assert stored.actor_label == "ani"


def test_the_split_payload_reassembles_to_the_canonical_payload() -> None:
    fields = {
        "occurred_at": datetime(2026, 11, 25, 12, 30, 1, 123456, tzinfo=UTC),
        "actor_id": 7,
        "actor_label": '"prev_hash":"x" @prev-',
        "organization_id": None,
        "facility_id": 3,
        "patient_id": None,
        "action": "read",
        "object_type": "patient",
        "object_id": "12",
        "outcome": "success",
        "reason": 'seq":0} ünïcødé',
        "request_id": "r",
        "client_address": "10.0.0.1",
    }
    before, between, after = canonical_payload_parts(**fields)  # type: ignore[arg-type]
    prev = "ab" * 32
    assert before + prev + between + "1234" + after == canonical_payload(seq=1234, prev_hash=prev, **fields)  # type: ignore[arg-type]


def test_a_malformed_client_address_is_left_out_rather_than_failing_the_write(org: Organization) -> None:
    token = set_context(RequestContext(request_id="req-2", client_address="not-an-address, 10.0.0.1"))
    try:
        event = record_event(actor=None, action=AuditAction.LOGIN_FAILED, outcome=AuditOutcome.FAILURE)
    finally:
        reset_context(token)
    assert AuditEvent.objects.get(pk=event.pk).client_address is None
    assert verify_chain().ok


def test_a_failed_append_rolls_back_the_callers_whole_transaction(org: Organization) -> None:
    # An audited change must never commit without its audit row.
    def audited_create() -> None:
        with transaction.atomic():
            Organization.objects.create(name="Tanpa Audit", slug="tanpa-audit", kind=Organization.Kind.HOSPITAL)
            record_event(actor=None, action="no-such-action")  # type: ignore[arg-type]  # refused by a CHECK

    with pytest.raises(IntegrityError):
        audited_create()
    assert not Organization.objects.filter(slug="tanpa-audit").exists()


# --- audit_verify -----------------------------------------------------------------------


def test_it_reports_an_intact_trail_with_a_summary_line(org: Organization) -> None:
    events = record(3, org)
    output = verify_command()
    assert "audit trail intact: 3 events, seq 1..3" in output
    assert f"anchor 3:{events[-1].hash}" in output


def test_it_reports_an_empty_trail_as_intact(db: None) -> None:
    assert "audit trail intact: 0 events" in verify_command()


def test_it_streams_the_trail_in_chunks(org: Organization) -> None:
    record(7, org)
    result = verify_chain(chunk_size=2)
    assert result.ok
    assert (result.checked, result.last_seq) == (7, 7)


def test_it_names_the_row_whose_reason_was_changed(org: Organization) -> None:
    events = record(4, org)
    with tampering():
        run("UPDATE audit_auditevent SET reason = %s WHERE id = %s", ("nothing to see", events[1].pk))
    with pytest.raises(CommandError) as error:
        verify_command()
    assert f"altered at seq 2 (id {events[1].pk})" in str(error.value)


def test_it_names_the_row_after_a_deleted_middle_row(org: Organization) -> None:
    events = record(4, org)
    with tampering():
        run("DELETE FROM audit_auditevent WHERE id = %s", (events[1].pk,))
    with pytest.raises(CommandError) as error:
        verify_command()
    message = str(error.value)
    assert f"missing at seq 3 (id {events[2].pk})" in message
    assert "seq 2 missing before it" in message


def test_it_catches_a_deleted_last_row_through_the_chain_head(org: Organization) -> None:
    events = record(3, org)
    with tampering():
        run("DELETE FROM audit_auditevent WHERE id = %s", (events[-1].pk,))
    with pytest.raises(CommandError) as error:
        verify_command()
    message = str(error.value)
    assert f"head_mismatch at seq 2 (id {events[1].pk})" in message
    assert "records seq 3 but the trail ends at seq 2" in message


def test_it_catches_a_row_rewritten_with_its_hash_recomputed_at_the_next_link(org: Organization) -> None:
    events = record(3, org)
    forged = AuditEvent.objects.get(pk=events[1].pk)
    forged.reason = "rewritten"
    forged.hash = row_hash(payload_of(forged))
    with tampering():
        run("UPDATE audit_auditevent SET reason = %s, hash = %s WHERE id = %s", (forged.reason, forged.hash, forged.pk))
    result = verify_chain()
    assert result.problem is not None
    assert (result.problem.kind, result.problem.seq, result.problem.event_id) == (
        ProblemKind.BROKEN_LINK,
        3,
        events[2].pk,
    )


def test_an_anchor_kept_outside_the_database_catches_a_cut_that_the_head_hides(org: Organization) -> None:
    record(3, org)
    anchor = verify_chain().anchor
    assert anchor is not None
    assert "intact" in verify_command("--anchor", str(anchor))
    record(1, org)
    assert "intact: 4 events" in verify_command("--anchor", str(anchor))
    # Cut the last two rows and wind the head back to match: only the anchor can tell.
    second = AuditEvent.objects.get(seq=2)
    with tampering():
        run("DELETE FROM audit_auditevent WHERE seq >= 3")
        run("UPDATE audit_auditchainhead SET seq = 2, hash = %s", (second.hash,))
    assert verify_chain().ok
    with pytest.raises(CommandError, match="anchor_mismatch"):
        verify_command("--anchor", str(anchor))


def test_an_anchor_with_another_hash_is_a_rewritten_trail(org: Organization) -> None:
    record(2, org)
    with pytest.raises(CommandError, match=r"anchor_mismatch at seq 1 .*the trail was rewritten"):
        verify_command("--anchor", f"1:{'f' * 64}")


def test_a_malformed_anchor_is_refused(db: None) -> None:
    with pytest.raises(CommandError, match="SEQ:HASH"):
        verify_command("--anchor", "12")
    with pytest.raises(ValueError, match="SEQ:HASH"):
        Anchor.parse("0:" + "a" * 64)


def test_a_missing_chain_head_is_reported(org: Organization) -> None:
    record(2, org)
    with tampering():
        run("DELETE FROM audit_auditchainhead")
    with pytest.raises(CommandError, match=r"head_mismatch.*chain head is missing"):
        verify_command()


# --- PostgreSQL's trigger ---------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    ["UPDATE audit_auditevent SET reason = 'x'", "DELETE FROM audit_auditevent"],
    ids=["update", "delete"],
)
@pytest.mark.postgres_only
@requires_postgresql
def test_postgresql_refuses_to_change_or_delete_an_audit_event(sql: str, org: Organization) -> None:
    record(2, org)
    with pytest.raises(DatabaseError, match="audit events are append-only"), transaction.atomic():
        run(sql)
    assert AuditEvent.objects.filter(reason__startswith="event").count() == 2


@pytest.mark.parametrize(
    "sql",
    ["UPDATE audit_auditchainhead SET seq = 1", "DELETE FROM audit_auditchainhead"],
    ids=["rewind", "delete"],
)
@pytest.mark.postgres_only
@requires_postgresql
def test_postgresql_refuses_to_wind_back_or_delete_the_chain_head(sql: str, org: Organization) -> None:
    record(2, org)
    with pytest.raises(DatabaseError, match="only moves forward"), transaction.atomic():
        run(sql)
    assert AuditChainHead.objects.get().seq == 2


@pytest.mark.postgres_only
@requires_postgresql
def test_on_postgresql_tampering_needs_the_trigger_disabled_and_is_then_caught(org: Organization) -> None:
    events = record(3, org)
    with pytest.raises(DatabaseError), transaction.atomic():
        run("UPDATE audit_auditevent SET reason = 'x' WHERE id = %s", (events[0].pk,))
    disable_triggers()
    run("UPDATE audit_auditevent SET reason = 'x' WHERE id = %s", (events[0].pk,))
    run("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only")
    with pytest.raises(CommandError, match=rf"altered at seq 1 \(id {events[0].pk}\)"):
        verify_command()


@pytest.mark.postgres_only
@requires_postgresql
def test_the_trigger_migration_can_be_reversed_and_reapplied(org: Organization) -> None:
    migration = importlib.import_module("nyeri.audit.migrations.0002_append_only_trigger")

    def triggers() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'audit_%%' AND NOT tgisinternal")
            return {name for (name,) in cursor.fetchall()}

    assert triggers() == {"audit_event_append_only", "audit_head_forward_only"}
    with connection.schema_editor() as editor:
        migration.backward(None, editor)
    assert triggers() == set()
    record(1, org)
    run("UPDATE audit_auditevent SET reason = 'allowed without the trigger'")
    with connection.schema_editor() as editor:
        migration.forward(None, editor)
    assert triggers() == {"audit_event_append_only", "audit_head_forward_only"}
