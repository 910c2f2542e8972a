"""``manage.py satusehat_fake_server``: a local SATUSEHAT-shaped server for the demo and manual tests.

It listens on 127.0.0.1 only. Point an organization at it with
``SATUSEHAT_STAGING_URL=http://127.0.0.1:<port>`` and the client id and secret printed here.
Its output is for operators: English.
"""

from __future__ import annotations

import json
import signal
import time
from argparse import ArgumentParser
from pathlib import Path
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand

from nyeri.interop.satusehat.fake_server import FakeSatusehat, made_up_ihs_number


class Command(BaseCommand):
    help = "Serve a local SATUSEHAT-shaped server (token, Patient/Practitioner by NIK, resource writes)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--port", type=int, default=8787, help="Port on 127.0.0.1 (default 8787).")
        parser.add_argument(
            "--patient", action="append", default=[], metavar="NIK=IHS", help="A patient the index knows (repeat)."
        )
        parser.add_argument(
            "--practitioner", action="append", default=[], metavar="NIK=IHS", help="A practitioner (repeat)."
        )
        parser.add_argument(
            "--from-database",
            action="store_true",
            help="Also know every patient and practitioner with a NIK in this installation's database (the demo).",
        )
        parser.add_argument(
            "--state-file",
            default="",
            help="Keep what it received in this JSON file and read it back at start (the demo: ids survive a restart).",
        )
        parser.add_argument("--failure-rate", type=float, default=0.0, help="Share of requests answered 500.")
        parser.add_argument("--seed", type=int, default=0, help="Seed of the random failures.")

    def handle(self, *args: Any, **options: Any) -> None:
        patients: dict[str, str] = {}
        practitioners: dict[str, str] = {}
        if options["from_database"]:
            # Read once, at start: the demo's people (a patient registered later is unknown to it).
            from nyeri.clinical.models import Patient
            from nyeri.workforce.models import Person

            for nik in Patient.objects.exclude(nik="").values_list("nik", flat=True).iterator():
                patients[nik] = made_up_ihs_number(nik)
            for nik in Person.objects.exclude(nik="").values_list("nik", flat=True).iterator():
                practitioners[nik] = made_up_ihs_number(nik, practitioner=True)
        patients.update(item.split("=", 1) for item in options["patient"])
        practitioners.update(item.split("=", 1) for item in options["practitioner"])
        server = FakeSatusehat(
            port=options["port"],
            patients=patients,
            practitioners=practitioners,
            failure_rate=options["failure_rate"],
            seed=options["seed"],
        ).start()
        state = Path(options["state_file"]) if options["state_file"] else None
        if state is not None and state.exists():
            with server._lock:
                server.resources.update({(kind, ident): body for kind, ident, body in json.loads(state.read_text())})
        self.stdout.write(
            f"Fake SATUSEHAT at {server.base_url} (client id {server.client_id!r}, secret {server.client_secret!r}; "
            f"{len(patients)} patients, {len(practitioners)} practitioners). "
            "Ctrl-C stops it."
        )
        # SIGTERM (the demo launcher stopping it) ends the loop like Ctrl-C: the state is kept.
        signal.signal(signal.SIGTERM, _interrupt)
        saved = -1
        try:
            while True:
                time.sleep(2)
                saved = _save(server, state, saved)
        except KeyboardInterrupt:
            _save(server, state, -1)
            server.stop()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _save(server: FakeSatusehat, state: Path | None, saved: int) -> int:
    """Write the received resources to ``state`` when they changed; their count."""
    with server._lock:
        rows = [[kind, ident, body] for (kind, ident), body in server.resources.items()]
    if state is not None and len(rows) != saved:
        state.parent.mkdir(parents=True, exist_ok=True)
        temporary = state.with_suffix(".tmp")
        temporary.write_text(json.dumps(rows))
        temporary.replace(state)
    return len(rows)
