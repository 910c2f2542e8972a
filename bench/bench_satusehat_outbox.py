"""satusehat_outbox: RECORDS queued records drained against the local SATUSEHAT server by WORKERS workers.

The workers are processes running the real worker code (``nyeri.interop.satusehat.outbox.drain``:
claims with ``select_for_update(skip_locked=True)`` on PostgreSQL, the send, the receipt and
its audit row), each with its own database connection and token, all started together. The
local server (``fake_server.FakeSatusehat``) runs in a process of its own on 127.0.0.1, so
that the clients and the server do not share one interpreter.

Two phases, each on its own organization and RECORDS fresh records:

- ``clean``: the server answers every request;
- ``faulty``: the server fails 10 % of the FHIR requests at random (500, seeded); a failed
  record is retried after its back-off (here 20 ms doubling to 200 ms, instead of the
  production 30 s to 30 min: the benchmark measures the machinery, not the waiting).

After each phase: every record must be sent (zero lost) and the server must hold exactly
one resource per record, told apart by an identifier carrying the record's key (zero
duplicates); otherwise the benchmark fails.

Floor, in the same run: the same number of bare HTTP POSTs (one token, a kept-alive
connection as the client's, WORKERS processes) to the same server: what the network part
alone costs.

Target: at least 200 records/s in both phases, on PostgreSQL and SQLite.
Environment: BENCH_SATUSEHAT_RECORDS (10000; smoke 40), BENCH_SATUSEHAT_WORKERS (4; smoke 2),
BENCH_SATUSEHAT_DEADLINE_S (600), BENCH_POSTGRES_URL, BENCH_SKIP_POSTGRES=1.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing as mp
import os
import time
import urllib.request
from datetime import timedelta
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Barrier
from typing import Any
from urllib.parse import urlencode, urlsplit

from databases import on_both_databases
from sizes import size

RECORDS = size("BENCH_SATUSEHAT_RECORDS", 10_000, 40)
WORKERS = size("BENCH_SATUSEHAT_WORKERS", 4, 2)
DEADLINE_S = float(os.environ.get("BENCH_SATUSEHAT_DEADLINE_S", "600"))
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/nyeri_bench")
TARGET_PER_S = 200.0
FAILURE_RATE = 0.10
SEED = 2026
PATIENT_NIK, PATIENT_IHS = "3273010101700001", "P02478375538"
KEY_SYSTEM = "https://nyeri.example/bench/outbox"
PHASES = {"clean": 0.0, "faulty": FAILURE_RATE}


# --- the server's process -----------------------------------------------------------------
def _serve(commands: Connection) -> None:
    from nyeri.interop.satusehat.fake_server import FakeSatusehat

    server = FakeSatusehat(patients={PATIENT_NIK: PATIENT_IHS}, seed=SEED).start()
    commands.send(server.base_url)
    while True:
        command, argument = commands.recv()
        if command == "failure_rate":
            with server._lock:
                server.failure_rate = float(argument)
            commands.send(None)
        elif command == "keys":
            keys = [
                identifier["value"]
                for (kind, _id), resource in list(server.resources.items())
                if kind == "Condition"
                for identifier in resource.get("identifier") or []
                if identifier.get("system") == KEY_SYSTEM and str(identifier.get("value", "")).startswith(argument)
            ]
            commands.send(keys)
        else:
            server.stop()
            commands.send(None)
            return


# --- the workers' processes ---------------------------------------------------------------
def _setup_django(url: str, base_url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["SATUSEHAT_STAGING_URL"] = base_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nyeri.test_settings")
    import django

    django.setup()


def _drain_worker(url: str, base_url: str, organization_id: int, barrier: Barrier, results: Any) -> None:
    _setup_django(url, base_url)
    from django.db import connection

    from nyeri.background.registry import RetryPolicy
    from nyeri.interop.models import OutboxStatus, SatusehatOutboxEntry
    from nyeri.interop.satusehat.outbox import drain

    fast = RetryPolicy(max_attempts=1, base_delay=timedelta(milliseconds=20), max_delay=timedelta(milliseconds=200))
    sent = retried = 0
    barrier.wait()
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        report = drain(organization_id=organization_id, batch=10, retry=fast, deadline=deadline)
        sent += report.sent
        retried += report.retried
        if report.handled == 0:
            pending = SatusehatOutboxEntry.objects.filter(organization_id=organization_id, status=OutboxStatus.PENDING)
            if not pending.exists():
                break
            time.sleep(0.02)  # the others' claims, or back-offs, still running
    connection.close()
    results.put({"sent": sent, "retried": retried, "finished": time.monotonic()})


def _post_worker(base_url: str, count: int, barrier: Barrier, results: Any) -> None:
    form = urlencode({"client_id": "nyeri-client", "client_secret": "nyeri-secret"}).encode()
    token_request = urllib.request.Request(  # noqa: S310 - the local server
        base_url + "/oauth2/v1/accesstoken?grant_type=client_credentials", data=form, method="POST"
    )
    with urllib.request.urlopen(token_request, timeout=10) as answer:  # noqa: S310
        token = json.loads(answer.read())["access_token"]
    body = json.dumps(
        {"resourceType": "Condition", "subject": {"reference": f"Patient/{PATIENT_IHS}"}, "code": {"text": "floor"}}
    ).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"}
    parts = urlsplit(base_url)
    kept = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)  # kept alive, as the client does
    barrier.wait()
    for _n in range(count):
        kept.request("POST", "/fhir-r4/v1/Condition", body=body, headers=headers)
        answer = kept.getresponse()
        answer.read()
        if answer.status != 201:
            raise RuntimeError(f"the floor's POST answered {answer.status}")
    kept.close()
    results.put({"finished": time.monotonic()})


def _together(ctx: Any, target: Any, args_for: list[tuple[Any, ...]]) -> tuple[float, list[dict[str, Any]]]:
    """Run the processes, released together by a barrier; (seconds from release to the last finish, results)."""
    barrier = ctx.Barrier(len(args_for) + 1)
    results = ctx.Queue()
    processes = [ctx.Process(target=target, args=(*args, barrier, results)) for args in args_for]
    for process in processes:
        process.start()
    barrier.wait()
    started = time.monotonic()
    out = [results.get(timeout=DEADLINE_S + 120) for _ in processes]
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise RuntimeError(f"a benchmark process failed with status {process.exitcode}")
    return max(r["finished"] for r in out) - started, out


# --- one database -------------------------------------------------------------------------
def _queue(organization_id: int, prefix: str) -> None:
    from django.utils import timezone

    from nyeri.interop.models import SatusehatOutboxEntry

    now = timezone.now()
    rows = (
        SatusehatOutboxEntry(
            organization_id=organization_id,
            local_key=f"{prefix}:{n}",
            resource_type="Condition",
            payload={
                "resourceType": "Condition",
                "identifier": [{"system": KEY_SYSTEM, "value": f"{prefix}:{n}"}],
                "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "M54.5"}]},
                "subject": {"reference": f"Patient/{PATIENT_IHS}"},
            },
            queued_at=now,
        )
        for n in range(RECORDS)
    )
    SatusehatOutboxEntry.objects.bulk_create(rows, batch_size=1000)


def _measure(url: str) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=_serve, args=(child,))
    server.start()
    base_url = parent.recv()
    try:
        _setup_django(url, base_url)
        from django.core.management import call_command
        from django.db import connection

        from nyeri.interop.models import OutboxStatus, SatusehatOutboxEntry, SatusehatSettings
        from nyeri.interop.satusehat import secrets
        from nyeri.tenancy.models import Organization

        call_command("migrate", verbosity=0, interactive=False)
        measured: dict[str, Any] = {"load_before": os.getloadavg()[0]}
        for phase, rate in PHASES.items():
            org = Organization.objects.create(
                name=f"Bench {phase}", slug=f"bench-{phase}", kind=Organization.Kind.CLINIC_OPERATOR
            )
            SatusehatSettings.objects.create(
                organization=org,
                environment="staging",
                satusehat_organization_id="100026342",
                client_id="nyeri-client",
                client_secret_encrypted=secrets.encrypt("nyeri-secret"),
            )
            _queue(org.pk, phase)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            connection.close()
            parent.send(("failure_rate", rate))
            parent.recv()
            seconds, results = _together(ctx, _drain_worker, [(url, base_url, org.pk)] * WORKERS)
            parent.send(("failure_rate", 0.0))
            parent.recv()
            parent.send(("keys", f"{phase}:"))
            keys = parent.recv()
            sent = SatusehatOutboxEntry.objects.filter(organization=org, status=OutboxStatus.SENT).count()
            measured[phase] = {
                "seconds": seconds,
                "sent": sent,
                "lost": RECORDS - sent,
                "duplicates": len(keys) - len(set(keys)),
                "on_server": len(set(keys)),
                "retried": sum(r["retried"] for r in results),
                "per_worker": [r["sent"] for r in results],
            }
            print(f"   {phase}: {sent} sent in {seconds:.1f}s, {measured[phase]['retried']} retried", flush=True)
        per_worker = [RECORDS // WORKERS + (1 if n < RECORDS % WORKERS else 0) for n in range(WORKERS)]
        floor_seconds, _results = _together(ctx, _post_worker, [(base_url, count) for count in per_worker])
        measured["floor_seconds"] = floor_seconds
        measured["load_after"] = os.getloadavg()[0]
        connection.close()
        return measured
    finally:
        parent.send(("stop", None))
        parent.recv()
        server.join()


def _measure_into(url: str, results: Any) -> None:
    try:
        results.put(("ok", _measure(url)))
    except BaseException as error:
        results.put(("error", repr(error)))
        raise


def _in_child(url: str) -> dict[str, Any]:
    # A fresh process per database: Django's settings (and connection) are chosen once. Not
    # a Pool's (daemonic) process: this one starts the server and the workers.
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    child = ctx.Process(target=_measure_into, args=(url, results))
    child.start()
    status, measured = results.get(timeout=4 * DEADLINE_S + 600)
    child.join()
    if status != "ok":
        raise RuntimeError(f"the benchmark failed: {measured}")
    return measured  # type: ignore[no-any-return]


def _rows(database: str, m: dict[str, Any]) -> list[dict[str, Any]]:
    common = {"name": "satusehat_outbox", "database": database, "records": RECORDS, "workers": WORKERS}
    rows: list[dict[str, Any]] = []
    for phase in PHASES:
        result = m[phase]
        if result["lost"] or result["duplicates"] or result["on_server"] != RECORDS:
            raise AssertionError(f"{database} {phase}: {result}")  # a wrong outbox is a failed benchmark
        rate = RECORDS / result["seconds"]
        rows += [
            {
                **common,
                "metric": f"{phase}_records_per_s",
                "value": round(rate, 1),
                "unit": "records/s",
                "target": TARGET_PER_S,
                "met": rate >= TARGET_PER_S,
                "note": f"{result['seconds']:.1f} s; {result['retried']} failed attempts retried; "
                f"records per worker {result['per_worker']}",
            },
            {
                **common,
                "metric": f"{phase}_duplicates",
                "value": result["duplicates"],
                "unit": "records",
                "target": 0,
                "met": True,
            },
            {**common, "metric": f"{phase}_lost", "value": result["lost"], "unit": "records", "target": 0, "met": True},
        ]
    rows += [
        {
            **common,
            "metric": "floor_bare_posts_per_s",
            "value": round(RECORDS / m["floor_seconds"], 1),
            "unit": "requests/s",
            "target": None,
            "met": True,
            "note": "the same number of bare HTTP POSTs to the same server, same number of processes",
        },
        {
            **common,
            "metric": "load_average",
            "value": round(m["load_after"], 2),
            "unit": "1-min load",
            "target": None,
            "met": True,
            "note": f"before {m['load_before']:.2f}, after {m['load_after']:.2f} (2 cores, shared)",
        },
    ]
    return rows


def run() -> list[dict[str, Any]]:
    return on_both_databases(POSTGRES_URL, measure=_in_child, rows=_rows, what=f"{RECORDS} records, {WORKERS} workers")
