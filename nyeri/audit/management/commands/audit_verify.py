"""``manage.py audit_verify``: check the audit trail's hash chains; non-zero exit when broken.

The background worker verifies every chain daily (docs/background.md); this command is for a run
by hand with anchors (every chain), or for one organization's compliance check
(``--organization ID``). Its output is for operators and log files, so it stays in English
(like log messages) whatever the site's language.
"""

from __future__ import annotations

import time
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from nyeri.audit.models import PLATFORM_CHAIN
from nyeri.audit.verify import CHUNK_SIZE, Anchor, verify_chain
from nyeri.tenancy.models import Organization


def _anchor(text: str) -> Anchor:
    try:
        return Anchor.parse(text)
    except ValueError as exc:
        raise ArgumentTypeError(str(exc)) from exc


def _chain_key(text: str) -> int:
    if not text.isdigit():
        raise ArgumentTypeError("a chain is a number: an organization's id, or 0 for the platform chain")
    return int(text)


class Command(BaseCommand):
    help = (
        "Verify the audit trail's hash chains (one per organization, plus the platform chain 0): "
        "every row's hash, seq continuity, the links and each chain's head."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--chain",
            type=_chain_key,
            action="append",
            metavar="N",
            help="Verify this chain only (repeatable): an organization's id, or 0 for the platform chain.",
        )
        which.add_argument(
            "--organization",
            type=_chain_key,
            metavar="ID",
            help="Verify this organization's chain only (its compliance check).",
        )
        parser.add_argument(
            "--anchor",
            type=_anchor,
            action="append",
            default=[],
            metavar="CHAIN:SEQ:HASH",
            help=(
                "An anchor printed by an earlier run and kept outside the database (repeatable, one per "
                "chain): the chain must still contain that row with that hash (catches a chain rewritten "
                "wholesale). Anchors of chains not verified in this run are ignored."
            ),
        )
        parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE, help="Rows fetched per round trip.")

    def handle(self, *args: Any, **options: Any) -> None:
        keys: list[int] | None = options["chain"]
        organization_id: int | None = options["organization"]
        if organization_id is not None:
            if organization_id == PLATFORM_CHAIN or not Organization.objects.filter(pk=organization_id).exists():
                raise CommandError(f"no organization {organization_id}")
            keys = [organization_id]
        started = time.monotonic()
        result = verify_chain(chains=keys, anchors=options["anchor"], chunk_size=options["chunk_size"])
        elapsed = time.monotonic() - started
        # One line per intact chain, with the anchor to keep for the next run.
        for chain in result.chains:
            if chain.ok:
                what = f"{chain.checked} events, seq 1..{chain.last_seq}" if chain.checked else "0 events"
                anchor = f"; anchor {chain.anchor}" if chain.anchor is not None else ""
                self.stdout.write(f"chain {chain.chain} intact: {what}{anchor}")
        if not result.ok:
            broken = "\n".join(f"  {problem.describe()}" for problem in result.problems)
            raise CommandError(
                f"audit trail BROKEN in {len(result.problems)} of {len(result.chains)} chains "
                f"({result.checked} rows read):\n{broken}"
            )
        chains = f"{len(result.chains)} chain{'' if len(result.chains) == 1 else 's'}"
        self.stdout.write(f"audit trail intact: {chains}, {result.checked} events ({elapsed:.1f}s)")
