"""``manage.py backup DEST``: the database, the private files and the audit anchors, in one directory.

Safe while Nyeri runs (pg_dump's snapshot; SQLite's online backup). Output for operators and
log files, in English. See docs/backups.md.
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from nyeri.backups.archive import BackupError, take_backup


class Command(BaseCommand):
    help = "Back up the database, PRIVATE_STORAGE_ROOT and the audit trail's anchors into DEST (a new directory)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("dest", type=Path, help="A new (or empty) directory.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            written = take_backup(options["dest"])
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"backup written to {written.path}: {written.vendor} database, {written.files} private file(s), "
            f"{written.events} audit events"
        )
        for anchor in written.anchors:
            self.stdout.write(f"anchor {anchor}")
