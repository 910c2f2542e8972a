"""Checking the audit trail's hash chain end to end (``manage.py audit_verify``).

The check streams every event in ``seq`` order (constant memory, whatever the size of the
trail) and stops at the first row that is wrong:

- ``altered``: the row's stored hash is not the hash of its own fields (a field was changed);
- ``missing``: its ``seq`` is not the one expected (rows before it were deleted);
- ``broken_link``: its ``prev_hash`` is not the previous row's hash (the previous row was
  rewritten together with its hash, or the rows were reordered);
- ``head_mismatch``: the chain head (``AuditChainHead``) disagrees with the trail (rows were
  cut off the end, or the head itself was tampered with);
- ``anchor_mismatch``: the trail disagrees with an anchor (seq and hash) saved outside the
  database by an earlier run, which catches a trail recomputed wholesale.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nyeri.audit.chain import canonical_payload, row_hash
from nyeri.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent

# Rows fetched per round trip: big enough to stream fast, small enough to stay flat in memory.
CHUNK_SIZE = 2000

_ANCHOR = re.compile(r"^(?P<seq>[1-9][0-9]*):(?P<hash>[0-9a-f]{64})$")

_FIELDS = (
    "id",
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


class ProblemKind(enum.StrEnum):
    ALTERED = "altered"
    MISSING = "missing"
    BROKEN_LINK = "broken_link"
    HEAD_MISMATCH = "head_mismatch"
    ANCHOR_MISMATCH = "anchor_mismatch"


@dataclass(frozen=True)
class Anchor:
    """A (seq, hash) pair noted by an earlier verification and kept outside the database."""

    seq: int
    hash: str

    @classmethod
    def parse(cls, text: str) -> Anchor:
        match = _ANCHOR.match(text.strip().lower())
        if match is None:
            raise ValueError("an anchor is SEQ:HASH, e.g. 1234:<64 hex digits>")
        return cls(seq=int(match["seq"]), hash=match["hash"])

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


@dataclass(frozen=True)
class ChainProblem:
    kind: ProblemKind
    # The first bad row; None when the problem is not one row (an empty trail with a head).
    seq: int | None
    event_id: int | None
    detail: str

    def describe(self) -> str:
        where = f"seq {self.seq} (id {self.event_id})" if self.seq is not None else "the trail"
        return f"{self.kind.value} at {where}: {self.detail}"


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    last_seq: int
    last_hash: str
    problem: ChainProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def anchor(self) -> Anchor | None:
        """The anchor to keep for the next run (None for an empty or broken trail)."""
        return Anchor(seq=self.last_seq, hash=self.last_hash) if self.last_seq and self.ok else None


def verify_chain(*, anchor: Anchor | None = None, chunk_size: int = CHUNK_SIZE) -> VerifyResult:
    """Recompute and link every event's hash; report the first problem found."""
    # The head is read before the events: rows appended while the check runs then come
    # after it in the stream and cannot make an intact trail look truncated.
    head = AuditChainHead.objects.filter(pk=1).values_list("seq", "hash").first()
    return _walk(_rows(chunk_size), head=head, anchor=anchor)


def _rows(chunk_size: int) -> Iterator[tuple[Any, ...]]:
    """Every event in seq order, one short query per chunk (keyset pagination).

    Not one long-running query: its snapshot would keep PostgreSQL from cleaning up the
    chain head's dead row versions for the whole check, slowing every append meanwhile
    (and on SQLite keep the write-ahead log from being checkpointed). Appends become
    visible in seq order (the next one waits for the previous commit), so a later chunk
    never skips a row.
    """
    after = 0
    seq_index = _FIELDS.index("seq")
    while True:
        chunk = list(AuditEvent.objects.filter(seq__gt=after).order_by("seq").values_list(*_FIELDS)[:chunk_size])
        yield from chunk
        if len(chunk) < chunk_size:
            return
        after = chunk[-1][seq_index]


def _walk(rows: Iterator[tuple[Any, ...]], *, head: tuple[int, str] | None, anchor: Anchor | None) -> VerifyResult:
    checked = 0
    expected_seq = 1
    prev_hash = GENESIS_HASH
    last: tuple[int, int, str] | None = None  # (seq, id, hash) of the last good row
    head_row: tuple[int, int, str] | None = None  # the row the head points at
    for row in rows:
        event = dict(zip(_FIELDS, row, strict=True))
        seq: int = event["seq"]
        checked += 1
        kind, detail = _row_problem(event, expected_seq=expected_seq, prev_hash=prev_hash, anchor=anchor)
        if kind is not None:
            return VerifyResult(
                checked=checked,
                last_seq=seq,
                last_hash=event["hash"],
                problem=ChainProblem(kind, seq, event["id"], detail),
            )
        last = (seq, event["id"], event["hash"])
        if head is not None and seq == head[0]:
            head_row = last
        prev_hash = event["hash"]
        expected_seq = seq + 1

    last_seq, last_hash = (last[0], last[2]) if last is not None else (0, GENESIS_HASH)
    tail = _tail_problem(last, head=head, head_row=head_row, anchor=anchor)
    return VerifyResult(checked=checked, last_seq=last_seq, last_hash=last_hash, problem=tail)


def _row_problem(
    event: dict[str, Any], *, expected_seq: int, prev_hash: str, anchor: Anchor | None
) -> tuple[ProblemKind | None, str]:
    seq: int = event["seq"]
    # The row's own hash first: a changed field (seq included) is "altered", whatever
    # else it then breaks.
    if row_hash(_payload(event)) != event["hash"]:
        return ProblemKind.ALTERED, "its hash does not match its contents (a field was changed)"
    if seq != expected_seq:
        gap = f"seq {expected_seq}" if seq == expected_seq + 1 else f"seq {expected_seq} to {seq - 1}"
        return ProblemKind.MISSING, f"{gap} missing before it (rows were deleted)"
    if event["prev_hash"] != prev_hash:
        return (
            ProblemKind.BROKEN_LINK,
            "its prev_hash is not the hash of the row before it (that row was rewritten, or rows reordered)",
        )
    if anchor is not None and seq == anchor.seq and event["hash"] != anchor.hash:
        return ProblemKind.ANCHOR_MISMATCH, f"its hash differs from the anchor {anchor} (the trail was rewritten)"
    return None, ""


def _tail_problem(
    last: tuple[int, int, str] | None,
    *,
    head: tuple[int, str] | None,
    head_row: tuple[int, int, str] | None,
    anchor: Anchor | None,
) -> ChainProblem | None:
    """What is wrong with the end of an otherwise intact trail, if anything."""
    last_seq = last[0] if last is not None else 0
    seq, event_id = (last[0], last[1]) if last is not None else (None, None)
    if anchor is not None and last_seq < anchor.seq:
        return ChainProblem(
            ProblemKind.ANCHOR_MISMATCH,
            seq,
            event_id,
            f"the trail ends at seq {last_seq} but the anchor {anchor} is later (rows were cut off the end)",
        )
    head_seq, head_hash = head if head is not None else (0, GENESIS_HASH)
    if head_seq > last_seq:
        return ChainProblem(
            ProblemKind.HEAD_MISMATCH,
            seq,
            event_id,
            f"the chain head records seq {head_seq} but the trail ends at seq {last_seq} (rows were cut off the end)",
        )
    if head_seq == 0 and last is not None:
        # Every append moves the head, so a trail without one lost it -- unless the very
        # first events were written while this check ran: then the head exists by now.
        now = AuditChainHead.objects.filter(pk=1).values_list("seq", flat=True).first()
        if not now:
            return ChainProblem(
                ProblemKind.HEAD_MISMATCH, seq, event_id, "the trail has events but the chain head is missing or empty"
            )
    if head_row is not None and head_row[2] != head_hash:
        return ChainProblem(
            ProblemKind.HEAD_MISMATCH,
            head_row[0],
            head_row[1],
            "the chain head's hash differs from this row's (the head or the row was rewritten)",
        )
    return None


def _payload(event: dict[str, Any]) -> str:
    occurred_at: datetime = event["occurred_at"]
    return canonical_payload(
        seq=event["seq"],
        occurred_at=occurred_at,
        actor_id=event["actor_id"],
        actor_label=event["actor_label"],
        organization_id=event["organization_id"],
        facility_id=event["facility_id"],
        patient_id=event["patient_id"],
        action=event["action"],
        object_type=event["object_type"],
        object_id=event["object_id"],
        outcome=event["outcome"],
        reason=event["reason"],
        request_id=event["request_id"],
        client_address=event["client_address"],
        prev_hash=event["prev_hash"],
    )
