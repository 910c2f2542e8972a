"""``manage.py audit_verify``: check the audit trail's hash chain; non-zero exit when broken.

Meant for a daily cron job. Its output is for operators and log files, so it stays in
English (like log messages) whatever the site's language.
"""

from __future__ import annotations

import time
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from nyeri.audit.verify import CHUNK_SIZE, Anchor, verify_chain


def _anchor(text: str) -> Anchor:
    try:
        return Anchor.parse(text)
    except ValueError as exc:
        raise ArgumentTypeError(str(exc)) from exc


class Command(BaseCommand):
    help = "Verify the audit trail: every row's hash, seq continuity, the links and the chain head."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--anchor",
            type=_anchor,
            default=None,
            metavar="SEQ:HASH",
            help=(
                "An anchor printed by an earlier run and kept outside the database: the trail "
                "must still contain that row with that hash (catches a trail rewritten wholesale)."
            ),
        )
        parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE, help="Rows fetched per round trip.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        result = verify_chain(anchor=options["anchor"], chunk_size=options["chunk_size"])
        elapsed = time.monotonic() - started
        if result.problem is not None:
            raise CommandError(f"audit trail BROKEN: {result.problem.describe()} ({result.checked} rows read)")
        if result.anchor is None:
            self.stdout.write(f"audit trail intact: 0 events ({elapsed:.1f}s)")
            return
        self.stdout.write(
            f"audit trail intact: {result.checked} events, seq 1..{result.last_seq} ({elapsed:.1f}s); "
            f"anchor {result.anchor}"
        )
