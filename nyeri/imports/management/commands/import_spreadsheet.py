"""``manage.py import_spreadsheet {staff,patients} FILE --user USERNAME [--organization SLUG] [--commit]``.

The same import as the pages and the API, as the named user (their organization, roles and
audit trail): a dry run unless ``--commit``. Prints every problem as row, column and reason
(in the user's language) and exits 1 when there is one; nothing is written then.
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from nyeri.accounts.models import User
from nyeri.imports import services
from nyeri.tenancy.models import Organization
from nyeri.tenancy.scope import resolve_scope


class Command(BaseCommand):
    help = "Import staff (with credentials) or patients from an XLSX or CSV file; a dry run unless --commit."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("what", choices=[services.STAFF, services.PATIENTS])
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="Username of the member who imports (audited as them).")
        parser.add_argument("--organization", default=None, help="Slug of the organization (default: the user's).")
        parser.add_argument("--commit", action="store_true", help="Write when every row is valid (default: dry run).")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {options['user']!r}")
        organization_id = None
        if options["organization"]:
            organization = Organization.objects.filter(slug=options["organization"]).first()
            if organization is None:
                raise CommandError(f"no organization {options['organization']!r}")
            organization_id = organization.pk
        scope = resolve_scope(user, organization_id)
        if scope is None or (organization_id is not None and scope.organization.pk != organization_id):
            raise CommandError(f"{user.username} is not a member of that organization")
        path: Path = options["file"]
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        runner = services.import_staff if options["what"] == services.STAFF else services.import_patients
        with translation.override(user.language):
            try:
                report = runner(
                    scope=scope, acting_user=user, content=content, dry_run=not options["commit"], source=path.name
                )
            except PermissionDenied as exc:
                raise CommandError(f"{user.username} may not import {options['what']}") from exc
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
            for problem in report.problems:
                self.stdout.write(f"row {problem.row}\t{problem.column or '-'}\t{problem.reason}")
        state = "written" if report.written else ("dry run" if report.dry_run and report.ok else "nothing written")
        self.stdout.write(
            f"{options['what']} import of {path.name}: {report.rows} rows, {len(report.problems)} problems; "
            f"created {report.created}; unchanged {report.unchanged}; {state}"
        )
        if report.problems:
            raise SystemExit(1)
