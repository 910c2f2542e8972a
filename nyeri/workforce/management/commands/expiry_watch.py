"""``manage.py expiry_watch [--today YYYY-MM-DD]``: the daily credential expiry watch.

The background worker runs the watch daily (docs/background.md); this command runs it by
hand. Safe to run again the same day: nothing is notified twice. Its output is for
operators and log files, so it stays in English (like log messages); the notices
themselves are in each recipient's language.
"""

from __future__ import annotations

from argparse import ArgumentParser, ArgumentTypeError
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand

from nyeri.workforce.expiry.watch import run_expiry_watch


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


class Command(BaseCommand):
    help = "Mark lapsed credentials expired and notify people and credentialing officers 90, 30 and 7 days ahead."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--today", type=_day, default=None, metavar="YYYY-MM-DD", help="Run as of this day (default: today)."
        )
        parser.add_argument("--no-email", action="store_true", help="Create the in-app notices only; send no e-mail.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = run_expiry_watch(today=options["today"], send_email=not options["no_email"])
        self.stdout.write(
            f"expiry watch {report.today.isoformat()}: {report.organizations} organization(s), "
            f"{report.expired} credential(s) marked expired, {report.notifications} notice(s), "
            f"{report.emails} e-mail(s) sent"
        )
