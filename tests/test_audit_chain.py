"""The audit trail's hash chains (one per organization, plus the platform chain): appending,
``audit_verify``, concurrency, and PostgreSQL's triggers."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, OperationalError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from nyeri.accounts.models import User
from nyeri.audit.chain import canonical_payload, canonical_payload_parts, row_hash
from nyeri.audit.context import RequestContext, reset_context, set_context
from nyeri.audit.models import GENESIS_HASH, PLATFORM_CHAIN, AuditAction, AuditChainHead, AuditEvent, AuditOutcome
from nyeri.audit.services import appended_at_the_end, payload_of, record_event
from nyeri.audit.verify import Anchor, ProblemKind, verify_chain
from nyeri.tenancy.models import Facility, Organization

pytestmark = pytest.mark.django_db

ON_POSTGRESQL = connection.vendor == "postgresql"
requires_postgresql = pytest.mark.skipif(not ON_POSTGRESQL, reason="PostgreSQL only (its triggers, row locks)")


def record(n: int, organization: Organization | None, actor: User | None = None) -> list[AuditEvent]:
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


def run(sql: str, params: tuple[Any, ...] = ()) -> None:
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
    assert (first.chain, first.seq, second.seq) == (org.pk, 1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    head = AuditChainHead.objects.get()
    assert (head.chain, head.seq, head.hash, head.prev_hash) == (org.pk, 2, second.hash, first.hash)


def test_two_organizations_and_the_platform_each_have_a_chain_starting_at_seq_1(
    org: Organization, other_org: Organization
) -> None:
    ours = record(3, org)
    theirs = record(2, other_org)
    login = record_event(actor=None, action=AuditAction.LOGIN_FAILED, outcome=AuditOutcome.FAILURE)
    more = record(1, org)
    assert [(e.chain, e.seq) for e in ours + more] == [(org.pk, 1), (org.pk, 2), (org.pk, 3), (org.pk, 4)]
    assert [(e.chain, e.seq) for e in theirs] == [(other_org.pk, 1), (other_org.pk, 2)]
    assert (login.chain, login.seq, login.prev_hash) == (PLATFORM_CHAIN, 1, GENESIS_HASH)
    assert theirs[0].prev_hash == GENESIS_HASH
    assert more[0].prev_hash == ours[-1].hash
    heads = dict(AuditChainHead.objects.values_list("chain", "seq"))
    assert heads == {org.pk: 4, other_org.pk: 2, PLATFORM_CHAIN: 1}
    result = verify_chain()
    assert result.ok
    assert [(c.chain, c.checked, c.last_seq) for c in result.chains] == sorted(
        [(PLATFORM_CHAIN, 1, 1), (org.pk, 4, 4), (other_org.pk, 2, 2)]
    )


def test_the_chain_key_is_part_of_the_hashed_payload(org: Organization) -> None:
    (event,) = record(1, org)
    moved = AuditEvent.objects.get(pk=event.pk)
    moved.chain = org.pk + 1
    assert row_hash(payload_of(moved)) != event.hash


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
        "chain": 12,
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
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.client_address, stored.chain) == (None, PLATFORM_CHAIN)
    assert verify_chain().ok


def test_a_writes_two_events_are_chained_one_after_the_other_on_the_head(org: Organization) -> None:
    (before,) = record(1, org)
    with CaptureQueriesContext(connection) as queries, transaction.atomic(), appended_at_the_end():
        first, second = record(2, org)
        assert first.pk is None  # appended when the write ends
    assert [(e.seq, e.prev_hash) for e in (first, second)] == [(2, before.hash), (3, first.hash)]
    for event in (first, second):
        stored = AuditEvent.objects.get(pk=event.pk)
        assert (stored.seq, stored.prev_hash, stored.hash) == (event.seq, event.prev_hash, event.hash)
        assert row_hash(payload_of(stored)) == stored.hash
    head = AuditChainHead.objects.get(chain=org.pk)
    assert (head.seq, head.prev_hash, head.hash) == (3, first.hash, second.hash)
    if ON_POSTGRESQL:
        # One statement for both rows (PostgreSQL hashes the second on the first).
        appends = [q["sql"] for q in queries.captured_queries if "audit_auditevent" in q["sql"]]
        assert len(appends) == 1
    assert verify_chain().ok


def test_a_writes_two_events_start_a_chain_that_has_no_head_yet(org: Organization) -> None:
    with transaction.atomic(), appended_at_the_end():
        first, second = record(2, org)
    assert [(e.seq, e.prev_hash) for e in (first, second)] == [(1, GENESIS_HASH), (2, first.hash)]
    assert AuditChainHead.objects.get(chain=org.pk).hash == second.hash
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


@pytest.mark.skipif(ON_POSTGRESQL, reason="PostgreSQL reads and moves the head in the append's one statement")
def test_a_transaction_that_appends_twice_reads_the_chain_head_once(org: Organization) -> None:
    with transaction.atomic():
        (first,) = record(1, org)
        with CaptureQueriesContext(connection) as second_append:
            (second,) = record(1, org)
    # The row and the head's move; the head as the first append left it is known.
    statements = [q["sql"] for q in second_append.captured_queries]
    assert [sql.split()[0] for sql in statements] == ["INSERT", "UPDATE"]
    assert not any("RETURNING seq" in sql for sql in statements)
    assert (second.seq, second.prev_hash) == (first.seq + 1, first.hash)
    assert verify_chain().ok


@pytest.mark.skipif(ON_POSTGRESQL, reason="PostgreSQL appends in one statement")
def test_on_sqlite_one_event_is_appended_in_two_statements(org: Organization) -> None:
    record(1, org)  # the chain's head exists
    with CaptureQueriesContext(connection) as append:
        (event,) = record(1, org)
    assert [q["sql"].split()[0] for q in append.captured_queries] == ["UPDATE", "INSERT"]
    assert event.hash == row_hash(payload_of(AuditEvent.objects.get(pk=event.pk)))
    assert verify_chain().ok


def test_the_chain_verifies_after_an_append_rolled_back_inside_the_transaction(org: Organization) -> None:
    class Undone(Exception):
        pass

    def append_then_roll_back() -> None:
        with transaction.atomic():
            record(1, org)  # moves the head, then is rolled back with its savepoint
            raise Undone

    with transaction.atomic():
        (first,) = record(1, org)
        with pytest.raises(Undone):
            append_then_roll_back()
        (last,) = record(1, org)
    # The append after the rollback links to the head as the rollback left it.
    assert (last.seq, last.prev_hash) == (first.seq + 1, first.hash)
    assert AuditEvent.objects.filter(chain=org.pk).count() == 2
    assert verify_chain().ok
    assert f"chain {org.pk} intact: 2 events, seq 1..2" in verify_command()


# --- audit_verify -----------------------------------------------------------------------


def test_it_reports_an_intact_trail_with_a_line_and_an_anchor_per_chain(
    org: Organization, other_org: Organization
) -> None:
    ours = record(3, org)
    theirs = record(1, other_org)
    output = verify_command()
    assert f"chain {org.pk} intact: 3 events, seq 1..3; anchor {org.pk}:3:{ours[-1].hash}" in output
    assert f"chain {other_org.pk} intact: 1 events, seq 1..1; anchor {other_org.pk}:1:{theirs[0].hash}" in output
    assert "audit trail intact: 2 chains, 4 events" in output


def test_it_reports_an_empty_trail_as_intact(db: None) -> None:
    assert "audit trail intact: 0 chains, 0 events" in verify_command()


def test_it_streams_each_chain_in_chunks(org: Organization, other_org: Organization) -> None:
    record(7, org)
    record(5, other_org)
    result = verify_chain(chunk_size=2)
    assert result.ok
    assert result.checked == 12
    assert (result.chain(org.pk).checked, result.chain(org.pk).last_seq) == (7, 7)
    assert (result.chain(other_org.pk).checked, result.chain(other_org.pk).last_seq) == (5, 5)


def test_it_names_the_chain_and_row_whose_reason_was_changed(org: Organization, other_org: Organization) -> None:
    events = record(4, org)
    record(2, other_org)
    with tampering():
        run("UPDATE audit_auditevent SET reason = %s WHERE id = %s", ("nothing to see", events[1].pk))
    with pytest.raises(CommandError) as error:
        verify_command()
    message = str(error.value)
    assert f"chain {org.pk}: altered at seq 2 (id {events[1].pk})" in message
    assert "BROKEN in 1 of 2 chains" in message
    # The other organization's chain is still intact, and verified on its own.
    result = verify_chain()
    assert result.chain(other_org.pk).ok
    assert not result.chain(org.pk).ok
    assert f"chain {other_org.pk} intact: 2 events" in verify_command("--organization", str(other_org.pk))


def test_it_names_the_row_after_a_deleted_middle_row(org: Organization) -> None:
    events = record(4, org)
    with tampering():
        run("DELETE FROM audit_auditevent WHERE id = %s", (events[1].pk,))
    with pytest.raises(CommandError) as error:
        verify_command()
    message = str(error.value)
    assert f"chain {org.pk}: missing at seq 3 (id {events[2].pk})" in message
    assert "seq 2 missing before it" in message


def test_it_catches_a_deleted_last_row_through_the_chain_head(org: Organization) -> None:
    events = record(3, org)
    with tampering():
        run("DELETE FROM audit_auditevent WHERE id = %s", (events[-1].pk,))
    with pytest.raises(CommandError) as error:
        verify_command()
    message = str(error.value)
    assert f"chain {org.pk}: head_mismatch at seq 2 (id {events[1].pk})" in message
    assert "records seq 3 but the chain ends at seq 2" in message


def test_a_row_copied_into_another_chain_is_detected(org: Organization, other_org: Organization) -> None:
    ours = record(2, org)
    theirs = record(2, other_org)
    # The copy fits the other chain (next seq, linked to its last row) and keeps its hash:
    # the hash covers the chain key (and the organization), so it no longer matches.
    copy = AuditEvent.objects.get(pk=ours[0].pk)
    copy.pk, copy.chain, copy.organization, copy.seq, copy.prev_hash = None, other_org.pk, other_org, 3, theirs[-1].hash
    copy.save(force_insert=True)
    result = verify_chain()
    assert result.chain(org.pk).ok
    problem = result.chain(other_org.pk).problem
    assert problem is not None
    assert (problem.kind, problem.chain, problem.seq, problem.event_id) == (
        ProblemKind.ALTERED,
        other_org.pk,
        3,
        copy.pk,
    )


def test_the_database_refuses_a_row_whose_chain_is_not_its_organizations(
    org: Organization, other_org: Organization
) -> None:
    (event,) = record(1, org)
    copy = AuditEvent.objects.get(pk=event.pk)
    copy.pk, copy.chain, copy.seq = None, other_org.pk, 1
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save(force_insert=True)


def test_a_seq_is_unique_within_a_chain_only(org: Organization, other_org: Organization) -> None:
    (event,) = record(1, org)
    duplicate = AuditEvent.objects.get(pk=event.pk)
    duplicate.pk, duplicate.hash = None, "f" * 64
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save(force_insert=True)
    assert record(1, other_org)[0].seq == 1


def test_one_organizations_chain_can_be_verified_alone(org: Organization, other_org: Organization) -> None:
    record(2, org)
    record(3, other_org)
    record(1, None)
    output = verify_command("--organization", str(org.pk))
    assert f"chain {org.pk} intact: 2 events" in output
    assert f"chain {other_org.pk}" not in output
    assert "audit trail intact: 1 chain, 2 events" in output
    assert "chain 0 intact: 1 events" in verify_command("--chain", "0")
    assert "2 chains, 4 events" in verify_command("--chain", "0", "--chain", str(other_org.pk))


def test_verifying_an_unknown_organization_is_an_error(db: None) -> None:
    with pytest.raises(CommandError, match="no organization 999"):
        verify_command("--organization", "999")


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


def test_anchors_kept_outside_the_database_catch_a_cut_that_the_head_hides(
    org: Organization, other_org: Organization
) -> None:
    record(3, org)
    record(2, other_org)
    anchors = [str(a) for a in verify_chain().anchors]
    assert len(anchors) == 2
    args = [arg for anchor in anchors for arg in ("--anchor", anchor)]
    assert "intact" in verify_command(*args)
    record(1, org)
    assert f"chain {org.pk} intact: 4 events" in verify_command(*args)
    # Cut the last two rows of one chain and wind its head back to match: only the anchor can tell.
    second = AuditEvent.objects.get(chain=org.pk, seq=2)
    with tampering():
        run("DELETE FROM audit_auditevent WHERE chain = %s AND seq >= 3", (org.pk,))
        run("UPDATE audit_auditchainhead SET seq = 2, hash = %s WHERE chain = %s", (second.hash, org.pk))
    assert verify_chain().ok
    with pytest.raises(CommandError, match=rf"chain {org.pk}: anchor_mismatch") as error:
        verify_command(*args)
    assert "BROKEN in 1 of 2 chains" in str(error.value)


def test_an_anchor_with_another_hash_is_a_rewritten_chain(org: Organization) -> None:
    record(2, org)
    with pytest.raises(CommandError, match=rf"chain {org.pk}: anchor_mismatch at seq 1 .*the chain was rewritten"):
        verify_command("--anchor", f"{org.pk}:1:{'f' * 64}")


def test_an_anchor_of_a_chain_that_vanished_is_reported(org: Organization) -> None:
    record(1, org)
    with pytest.raises(CommandError, match=r"chain 4242: anchor_mismatch at its end"):
        verify_command("--anchor", f"4242:3:{'a' * 64}")


def test_a_malformed_anchor_is_refused(db: None) -> None:
    with pytest.raises(CommandError, match="CHAIN:SEQ:HASH"):
        verify_command("--anchor", "12")
    with pytest.raises(CommandError, match="CHAIN:SEQ:HASH"):
        verify_command("--anchor", "12:" + "a" * 64)  # the single-chain format of old
    with pytest.raises(ValueError, match="CHAIN:SEQ:HASH"):
        Anchor.parse("3:0:" + "a" * 64)
    assert Anchor.parse("0:7:" + "A" * 64) == Anchor(chain=0, seq=7, hash="a" * 64)


def test_a_missing_chain_head_is_reported(org: Organization) -> None:
    record(2, org)
    with tampering():
        run("DELETE FROM audit_auditchainhead")
    with pytest.raises(CommandError, match=rf"chain {org.pk}: head_mismatch.*its head is missing"):
        verify_command()


# --- Concurrency (PostgreSQL: SQLite has one writer at a time by design) ----------------


class Appender(threading.Thread):
    """An audited write in its own thread, hence its own connection and transaction."""

    def __init__(
        self,
        organization: Organization | None,
        *,
        lock_timeout_ms: int | None = None,
        events: int = 1,
        per_write: int = 1,
    ):
        super().__init__(daemon=True)
        self.organization = organization
        self.per_write = per_write  # events appended together at the end of each write
        self.lock_timeout_ms = lock_timeout_ms
        self.events = events
        self.appended: list[AuditEvent] = []
        self.error: Exception | None = None
        self.before_each: Callable[[], object] = lambda: None

    def run(self) -> None:
        try:
            for _ in range(self.events):
                self.before_each()
                with transaction.atomic(), appended_at_the_end():
                    if self.lock_timeout_ms is not None:
                        run(f"SET LOCAL lock_timeout = '{int(self.lock_timeout_ms)}ms'")
                    self.appended += record(self.per_write, self.organization)
        except Exception as exc:  # handed to the test, which asserts on it
            self.error = exc
        finally:
            connections.close_all()  # this thread's own connections


def finished(thread: Appender, timeout: float = 10) -> Appender:
    """``thread`` run to its end (started here if need be)."""
    if thread.ident is None:
        thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "the append is still waiting"
    return thread


@pytest.mark.postgres_only
@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_appends_for_two_organizations_do_not_wait_for_each_other(
    org: Organization, other_org: Organization
) -> None:
    for organization in (org, other_org, None):
        record(1, organization)  # every chain has its head: the appends below update it
    with transaction.atomic():
        (ours,) = record(1, org)  # org's head is now locked until this block commits
        # With a global chain these would wait for us: the short lock_timeout proves they do not.
        theirs = finished(Appender(other_org, lock_timeout_ms=500))
        login = finished(Appender(None, lock_timeout_ms=500))
        assert theirs.error is None, theirs.error
        assert login.error is None, login.error
        assert ours.seq == 2
        assert [(e.chain, e.seq) for e in theirs.appended + login.appended] == [(other_org.pk, 2), (PLATFORM_CHAIN, 2)]
        # Committed while our transaction is still open.
        assert finished(Appender(other_org)).appended[0].seq == 3
    assert verify_chain().ok


@pytest.mark.postgres_only
@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_appends_for_the_same_organization_wait_and_stay_contiguous(org: Organization) -> None:
    record(1, org)
    with transaction.atomic():
        record(1, org)  # seq 2; the head stays locked until this block commits
        impatient = finished(Appender(org, lock_timeout_ms=200))
        assert isinstance(impatient.error, OperationalError)
        assert "lock timeout" in str(impatient.error)
        patient = Appender(org)
        patient.start()
        patient.join(0.5)
        assert patient.is_alive(), "an append for the same organization must wait for the open one"
    finished(patient)
    assert patient.error is None, patient.error
    assert patient.appended[0].seq == 3
    assert list(AuditEvent.objects.filter(chain=org.pk).values_list("seq", flat=True)) == [1, 2, 3]
    assert verify_chain().ok


@pytest.mark.postgres_only
@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_concurrent_first_appends_create_one_head_per_chain(
    org: Organization, other_org: Organization
) -> None:
    # Neither chain has a head yet: the first appenders race to create it.
    all_at_once([Appender(o, events=10) for o in (org, org, org, other_org, other_org, None)])
    for chain, count in ((org.pk, 30), (other_org.pk, 20), (PLATFORM_CHAIN, 10)):
        assert_contiguous(chain, count)
    assert verify_chain().ok


def all_at_once(threads: list[Appender]) -> None:
    """The ``threads`` started together, each write waiting for the others, and finished."""
    start = threading.Barrier(len(threads))
    for thread in threads:
        thread.before_each = lambda: start.wait(10) if not start.broken else None
        thread.start()
    for thread in threads:
        finished(thread, timeout=60)
        assert thread.error is None, thread.error


def assert_contiguous(chain: int, count: int) -> None:
    seqs = list(AuditEvent.objects.filter(chain=chain).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, count + 1))
    assert AuditChainHead.objects.get(chain=chain).seq == count


@pytest.mark.postgres_only
@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_concurrent_writes_of_one_and_two_events_keep_the_chain_contiguous(org: Organization) -> None:
    record(1, org)  # the head exists: two events go in one statement
    all_at_once([Appender(org, events=15, per_write=n) for n in (2, 2, 1, 2)])
    assert_contiguous(org.pk, 1 + 15 * (2 + 2 + 1 + 2))
    assert verify_chain().ok


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
    assert AuditChainHead.objects.get(chain=org.pk).seq == 2


@pytest.mark.postgres_only
@requires_postgresql
def test_on_postgresql_tampering_needs_the_trigger_disabled_and_is_then_caught(org: Organization) -> None:
    events = record(3, org)
    with pytest.raises(DatabaseError), transaction.atomic():
        run("UPDATE audit_auditevent SET reason = 'x' WHERE id = %s", (events[0].pk,))
    disable_triggers()
    run("UPDATE audit_auditevent SET reason = 'x' WHERE id = %s", (events[0].pk,))
    run("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only")
    with pytest.raises(CommandError, match=rf"chain {org.pk}: altered at seq 1 \(id {events[0].pk}\)"):
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
