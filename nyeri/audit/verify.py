"""Checking the audit trail's hash chains end to end (``manage.py audit_verify``).

Each organization has its own chain (the platform chain, 0, holds events without an
organization). The check walks every chain, or the ones asked for, on its own: it streams
the chain's events in ``seq`` order (constant memory, whatever the size of the trail) and
stops at the chain's first row that is wrong:

- ``altered``: the row's stored hash is not the hash of its own fields (a field was changed);
- ``missing``: its ``seq`` is not the one expected (rows before it were deleted);
- ``broken_link``: its ``prev_hash`` is not the previous row's hash (the previous row was
  rewritten together with its hash, or the rows were reordered);
- ``wrong_chain``: the row is not in its organization's chain (it was moved there);
- ``head_mismatch``: the chain head (``AuditChainHead``) disagrees with the chain (rows were
  cut off the end, or the head itself was tampered with);
- ``anchor_mismatch``: the chain disagrees with an anchor (chain, seq and hash) saved
  outside the database by an earlier run, which catches a chain recomputed wholesale.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nyeri.audit.chain import canonical_payload, row_hash
from nyeri.audit.models import GENESIS_HASH, PLATFORM_CHAIN, AuditChainHead, AuditEvent

# Rows fetched per round trip: big enough to stream fast, small enough to stay flat in memory.
CHUNK_SIZE = 2000

_ANCHOR = re.compile(r"^(?P<chain>[0-9]+):(?P<seq>[1-9][0-9]*):(?P<hash>[0-9a-f]{64})$")

_FIELDS = (
    "id",
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


class ProblemKind(enum.StrEnum):
    ALTERED = "altered"
    MISSING = "missing"
    BROKEN_LINK = "broken_link"
    WRONG_CHAIN = "wrong_chain"
    HEAD_MISMATCH = "head_mismatch"
    ANCHOR_MISMATCH = "anchor_mismatch"


@dataclass(frozen=True)
class Anchor:
    """A chain's (seq, hash) noted by an earlier verification and kept outside the database."""

    chain: int
    seq: int
    hash: str

    @classmethod
    def parse(cls, text: str) -> Anchor:
        match = _ANCHOR.match(text.strip().lower())
        if match is None:
            raise ValueError("an anchor is CHAIN:SEQ:HASH, e.g. 12:1234:<64 hex digits>")
        return cls(chain=int(match["chain"]), seq=int(match["seq"]), hash=match["hash"])

    def __str__(self) -> str:
        return f"{self.chain}:{self.seq}:{self.hash}"


@dataclass(frozen=True)
class ChainProblem:
    kind: ProblemKind
    chain: int
    # The first bad row; None when the problem is not one row (an empty chain with a head).
    seq: int | None
    event_id: int | None
    detail: str

    def describe(self) -> str:
        where = f"seq {self.seq} (id {self.event_id})" if self.seq is not None else "its end"
        return f"chain {self.chain}: {self.kind.value} at {where}: {self.detail}"


@dataclass(frozen=True)
class ChainResult:
    """One chain's verification."""

    chain: int
    checked: int
    last_seq: int
    last_hash: str
    problem: ChainProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def anchor(self) -> Anchor | None:
        """The anchor to keep for the next run (None for an empty or broken chain)."""
        return Anchor(chain=self.chain, seq=self.last_seq, hash=self.last_hash) if self.last_seq and self.ok else None


@dataclass(frozen=True)
class VerifyResult:
    """Every verified chain, in chain order."""

    chains: tuple[ChainResult, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.chains)

    @property
    def checked(self) -> int:
        return sum(c.checked for c in self.chains)

    @property
    def problems(self) -> list[ChainProblem]:
        return [c.problem for c in self.chains if c.problem is not None]

    @property
    def problem(self) -> ChainProblem | None:
        """The first problem (of the lowest chain), if any."""
        return next(iter(self.problems), None)

    @property
    def anchors(self) -> list[Anchor]:
        return [a for c in self.chains if (a := c.anchor) is not None]

    def chain(self, key: int) -> ChainResult:
        return next(c for c in self.chains if c.chain == key)


def verify_chain(
    *, chains: Iterable[int] | None = None, anchors: Iterable[Anchor] = (), chunk_size: int = CHUNK_SIZE
) -> VerifyResult:
    """Recompute and link every event's hash, chain by chain; report each chain's first problem.

    ``chains``: the chain keys to verify (an organization's id, or 0 for the platform
    chain); all of them by default. ``anchors`` of chains not verified are not checked.
    """
    by_chain = {a.chain: a for a in anchors}
    if chains is None:
        # Every chain with a head or with events, and every anchored one (a chain that
        # vanished entirely is then an anchor mismatch, not silence).
        keys = set(AuditChainHead.objects.values_list("chain", flat=True))
        keys |= set(AuditEvent.objects.order_by().values_list("chain", flat=True).distinct())
        keys |= set(by_chain)
    else:
        keys = set(chains)
    return VerifyResult(
        chains=tuple(_verify_one(key, anchor=by_chain.get(key), chunk_size=chunk_size) for key in sorted(keys))
    )


def _verify_one(chain: int, *, anchor: Anchor | None, chunk_size: int) -> ChainResult:
    # The head is read before the events: rows appended while the check runs then come
    # after it in the stream and cannot make an intact chain look truncated.
    head = AuditChainHead.objects.filter(pk=chain).values_list("seq", "hash").first()
    return _walk(chain, _rows(chain, chunk_size), head=head, anchor=anchor)


def _rows(chain: int, chunk_size: int) -> Iterator[tuple[Any, ...]]:
    """The chain's events in seq order, one short query per chunk (keyset pagination).

    Not one long-running query: its snapshot would keep PostgreSQL from cleaning up the
    chain heads' dead row versions for the whole check, slowing every append meanwhile
    (and on SQLite keep the write-ahead log from being checkpointed). A chain's appends
    become visible in seq order (the next one waits for the previous commit), so a later
    chunk never skips a row.
    """
    after = 0
    seq_index = _FIELDS.index("seq")
    while True:
        chunk = list(
            AuditEvent.objects.filter(chain=chain, seq__gt=after).order_by("seq").values_list(*_FIELDS)[:chunk_size]
        )
        yield from chunk
        if len(chunk) < chunk_size:
            return
        after = chunk[-1][seq_index]


def _walk(
    chain: int, rows: Iterator[tuple[Any, ...]], *, head: tuple[int, str] | None, anchor: Anchor | None
) -> ChainResult:
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
            return ChainResult(
                chain=chain,
                checked=checked,
                last_seq=seq,
                last_hash=event["hash"],
                problem=ChainProblem(kind, chain, seq, event["id"], detail),
            )
        last = (seq, event["id"], event["hash"])
        if head is not None and seq == head[0]:
            head_row = last
        prev_hash = event["hash"]
        expected_seq = seq + 1

    last_seq, last_hash = (last[0], last[2]) if last is not None else (0, GENESIS_HASH)
    tail = _tail_problem(chain, last, head=head, head_row=head_row, anchor=anchor)
    return ChainResult(chain=chain, checked=checked, last_seq=last_seq, last_hash=last_hash, problem=tail)


def _row_problem(
    event: dict[str, Any], *, expected_seq: int, prev_hash: str, anchor: Anchor | None
) -> tuple[ProblemKind | None, str]:
    seq: int = event["seq"]
    # The row's own hash first: a changed field (seq and chain included) is "altered",
    # whatever else it then breaks.
    if row_hash(_payload(event)) != event["hash"]:
        return ProblemKind.ALTERED, "its hash does not match its contents (a field was changed)"
    # The hash covers both, so only a row forged with its hash recomputed gets here (the
    # database's CHECK constraint refuses such a row too, unless it was dropped).
    if event["chain"] != (event["organization_id"] or PLATFORM_CHAIN):
        return ProblemKind.WRONG_CHAIN, f"it belongs to organization {event['organization_id']}'s chain"
    if seq != expected_seq:
        gap = f"seq {expected_seq}" if seq == expected_seq + 1 else f"seq {expected_seq} to {seq - 1}"
        return ProblemKind.MISSING, f"{gap} missing before it (rows were deleted)"
    if event["prev_hash"] != prev_hash:
        return (
            ProblemKind.BROKEN_LINK,
            "its prev_hash is not the hash of the row before it (that row was rewritten, or rows reordered)",
        )
    if anchor is not None and seq == anchor.seq and event["hash"] != anchor.hash:
        return ProblemKind.ANCHOR_MISMATCH, f"its hash differs from the anchor {anchor} (the chain was rewritten)"
    return None, ""


def _tail_problem(
    chain: int,
    last: tuple[int, int, str] | None,
    *,
    head: tuple[int, str] | None,
    head_row: tuple[int, int, str] | None,
    anchor: Anchor | None,
) -> ChainProblem | None:
    """What is wrong with the end of an otherwise intact chain, if anything."""
    last_seq = last[0] if last is not None else 0
    seq, event_id = (last[0], last[1]) if last is not None else (None, None)
    if anchor is not None and last_seq < anchor.seq:
        return ChainProblem(
            ProblemKind.ANCHOR_MISMATCH,
            chain,
            seq,
            event_id,
            f"the chain ends at seq {last_seq} but the anchor {anchor} is later (rows were cut off the end)",
        )
    head_seq, head_hash = head if head is not None else (0, GENESIS_HASH)
    if head_seq > last_seq:
        return ChainProblem(
            ProblemKind.HEAD_MISMATCH,
            chain,
            seq,
            event_id,
            f"the chain head records seq {head_seq} but the chain ends at seq {last_seq} (rows were cut off the end)",
        )
    if head_seq == 0 and last is not None:
        # Every append moves the head, so a chain without one lost it -- unless its very
        # first events were written while this check ran: then the head exists by now.
        now = AuditChainHead.objects.filter(pk=chain).values_list("seq", flat=True).first()
        if not now:
            return ChainProblem(
                ProblemKind.HEAD_MISMATCH,
                chain,
                seq,
                event_id,
                "the chain has events but its head is missing or empty",
            )
    if head_row is not None and head_row[2] != head_hash:
        return ChainProblem(
            ProblemKind.HEAD_MISMATCH,
            chain,
            head_row[0],
            head_row[1],
            "the chain head's hash differs from this row's (the head or the row was rewritten)",
        )
    return None


def _payload(event: dict[str, Any]) -> str:
    occurred_at: datetime = event["occurred_at"]
    return canonical_payload(
        chain=event["chain"],
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
