"""``manage.py restore SRC``: a backup of ``manage.py backup`` into an empty database and private directory.

Stop Nyeri (gunicorn and the workers) before restoring over the configured database. For a
restore test, ``--database-url`` names a new scratch database instead. Then the audit trail is
verified against the backup's anchors (for the configured database; for another, the command
prints the ``audit_verify`` line to run against it). See docs/backups.md.
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from nyeri.backups.archive import BackupError, restore_backup


class Command(BaseCommand):
    help = "Restore a backup written by `manage.py backup` into an empty database (or --replace) and verify it."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("src", type=Path, help="The backup directory.")
        parser.add_argument(
            "--database-url",
            default="",
            help="Restore into this database instead of the configured one (postgres://... or sqlite:///path).",
        )
        parser.add_argument(
            "--private-root",
            type=Path,
            default=None,
            help="Restore the private files here (default: PRIVATE_STORAGE_ROOT).",
        )
        parser.add_argument(
            "--replace", action="store_true", help="Overwrite a database and private directory that are not empty."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            restored = restore_backup(
                options["src"],
                database_url=options["database_url"],
                private_root=options["private_root"],
                replace=options["replace"],
            )
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"restored the {restored.vendor} database and {restored.files} private file(s)")
        anchors = " ".join(f"--anchor {a}" for a in restored.anchors)
        if restored.verified is None:
            self.stdout.write(f"now verify it: DATABASE_URL=<the restored database> manage.py audit_verify {anchors}")
            return
        if not restored.verified.ok:
            problems = "\n".join(f"  {p.describe()}" for p in restored.verified.problems)
            raise CommandError(f"restored, but the audit trail does NOT match the backup's anchors:\n{problems}")
        self.stdout.write(
            f"audit trail intact against the backup's anchors: {restored.verified.checked} events, "
            f"{len(restored.anchors)} anchor(s)"
        )
