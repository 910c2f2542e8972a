"""api_throughput: the pain-score write under concurrent clients, on the production server set-up.

The server is the one the README describes: gunicorn with ``gunicorn.conf.py`` (its default
worker kind and count), PostgreSQL, persistent connections, on the loopback address, in a
fresh throw-away database. CLIENTS concurrent clients (client *processes* of four threads
each; connections kept alive where the server keeps them, gthread but not sync) each record
NRS scores for their own patient:

- ``write``: ``POST /api/patients/{id}/assessments`` with an API token: token, scope,
  privilege decision, validation, the three INSERTs, the audit row, the response;
- ``floor``: a bare view in the same server (bench/floor_urls.py) doing the same three
  INSERTs through the ORM in one transaction, without token, privilege or audit.

The two alternate, ROUNDS rounds of SECONDS / ROUNDS seconds each, in the same run. Server
CPU per request is read from /proc/PID/stat of the gunicorn master and workers (user +
system) before and after each phase; the load average is reported.

Before that, unless BENCH_COMPARE_SECONDS=0, each candidate set-up of ``CANDIDATES`` (worker
kind, workers, threads) is started in turn and measured with the same clients for
BENCH_COMPARE_SECONDS per kind: information rows, from which gunicorn.conf.py's default
was chosen (README "Serving").

Rows (PostgreSQL): ``write_rps`` (target >= 50 % of ``floor_rps``, enforced), ``write_p99_ms``
(target <= 3x ``floor_p99_ms``, enforced), ``errors`` (target 0, enforced: any non-2xx answer
or failed connection, both kinds), ``write_cpu_ms`` and ``floor_cpu_ms`` per request,
``write_database_cpu_ms`` and ``floor_database_cpu_ms`` (PostgreSQL's backends of the server's
connections, from /proc, when PostgreSQL runs on this machine: on two cores its work competes
with gunicorn's), ``load_average``, and per candidate ``<kind>_<workers>x<threads>_write_rps`` / ``..._floor_rps``.

Environment: BENCH_CLIENTS (16), BENCH_SECONDS (20 per kind), BENCH_ROUNDS (2),
BENCH_COMPARE_SECONDS (5), BENCH_PORT (a free one), BENCH_POSTGRES_URL
(postgres://postgres@127.0.0.1:5432/nyeri_bench_api_throughput; dropped and re-created),
BENCH_SKIP_POSTGRES=1 (no rows).
SQLite is not measured: the production set-up is PostgreSQL, and SQLite writes one at a time.
"""

from __future__ import annotations

import http.client
import json
import math
import multiprocessing as mp
import os
import statistics
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

from clinic import CLOCK_TICKS, start_server
from databases import on_postgres
from sizes import size

CLIENTS = size("BENCH_CLIENTS", 16, 2)
SECONDS = size("BENCH_SECONDS", 20, 2)
ROUNDS = size("BENCH_ROUNDS", 2, 1)
COMPARE_SECONDS = size("BENCH_COMPARE_SECONDS", 5, 0)
PORT = int(os.environ.get("BENCH_PORT", "0"))  # 0: a free port
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/nyeri_bench_api_throughput")
THREADS_PER_CLIENT_PROCESS = 4
# (worker class, workers, threads): the set-ups compared on two cores.
CANDIDATES = [("sync", 2, 1), ("sync", 4, 1), ("gthread", 2, 4), ("gthread", 4, 4), ("gthread", 4, 8)]
PRODUCTION = ("sync", os.cpu_count() or 1, 1)  # gunicorn.conf.py's defaults


# --- Data (in a child process with Django) ----------------------------------------------------


def _build(url: str) -> dict[str, Any]:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "floor_settings"
    import django

    django.setup()
    from clinic import build_clinic, new_patient
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    clinic = build_clinic("bench-api-throughput")
    patients = [new_patient(clinic, n).pk for n in range(CLIENTS)]
    return {
        "token": clinic.token,
        "organization_id": clinic.organization.pk,
        "facility_id": clinic.facility.pk,
        "nurse_id": clinic.nurse.pk,
        "patients": patients,
    }


def _count_written(url: str) -> dict[str, int]:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "floor_settings"
    import django

    django.setup()
    from nyeri.audit.models import AuditEvent
    from nyeri.clinical.models import PainAssessment

    return {
        "assessments": PainAssessment.objects.count(),
        "audited_creates": AuditEvent.objects.filter(action="create", object_type="pain_assessment").count(),
    }


def _in_django_child(fn: Any, url: str) -> Any:
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(fn, (url,))


# --- Clients ----------------------------------------------------------------------------------


def _request(kind: str, data: dict[str, Any], patient: int, n: int) -> tuple[str, bytes, dict[str, str]]:
    answers = {"intensity": n % 11}
    headers = {"Content-Type": "application/json"}
    if kind == "write":
        headers["Authorization"] = f"Bearer {data['token']}"
        body = {"instrument": "nrs", "answers": answers, "facility_id": data["facility_id"]}
        return f"/api/patients/{patient}/assessments", json.dumps(body).encode(), headers
    body = {
        "answers": answers,
        "organization_id": data["organization_id"],
        "facility_id": data["facility_id"],
        "recorded_by_id": data["nurse_id"],
    }
    return f"/floor/patients/{patient}/assessments", json.dumps(body).encode(), headers


def _client_process(
    kind: str, data: dict[str, Any], patients: list[int], port: int, start_at: float, seconds: float, out: Queue[Any]
) -> None:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(patient: int) -> None:
        mine: list[float] = []
        failed: list[str] = []
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.time() < start_at:
            time.sleep(0.001)
        deadline, n = start_at + seconds, 0
        while time.time() < deadline:
            path, body, headers = _request(kind, data, patient, n)
            n += 1
            started = time.perf_counter()
            try:
                connection.request("POST", path, body, headers)
                response = connection.getresponse()
                response.read()
                if response.status != 201:
                    failed.append(f"HTTP {response.status}")
                else:
                    mine.append((time.perf_counter() - started) * 1000)
                if response.will_close:
                    connection.close()
            except (OSError, http.client.HTTPException) as exc:
                failed.append(type(exc).__name__)
                connection.close()
        connection.close()
        with lock:
            latencies.extend(mine)
            errors.extend(failed)

    threads = [threading.Thread(target=client, args=(p,)) for p in patients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put((latencies, errors))


@dataclass
class Phase:
    kind: str
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cpu_seconds: float = 0.0
    database_cpu_seconds: float | None = None

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu_seconds / max(1, len(self.latencies) + len(self.errors))

    @property
    def database_cpu_ms(self) -> float | None:
        if self.database_cpu_seconds is None:
            return None
        return 1000 * self.database_cpu_seconds / max(1, len(self.latencies) + len(self.errors))


def _database_cpu_seconds(url: str) -> float | None:
    """CPU time so far of PostgreSQL's backend processes serving the benchmark's database
    (the server's connections), from /proc when PostgreSQL runs on this machine and its
    processes are readable; None otherwise."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        pids = [
            row[0]
            for row in connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ]
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # a connection that just closed
            continue
        except OSError:
            return None
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def _phase(kind: str, data: dict[str, Any], server: Any, seconds: float, url: str) -> Phase:
    ctx = mp.get_context("spawn")
    out: Queue[Any] = ctx.Queue()
    patients = data["patients"][:CLIENTS]
    groups = [patients[i : i + THREADS_PER_CLIENT_PROCESS] for i in range(0, len(patients), THREADS_PER_CLIENT_PROCESS)]
    start_at = time.time() + 1.5  # every client process is up before the clock starts
    processes = [
        ctx.Process(target=_client_process, args=(kind, data, group, server.port, start_at, seconds, out))
        for group in groups
    ]
    for p in processes:
        p.start()
    while time.time() < start_at:
        time.sleep(0.005)
    cpu_before, database_before = server.cpu_seconds(), _database_cpu_seconds(url)
    phase = Phase(kind, seconds)
    for _ in processes:
        latencies, errors = out.get(timeout=seconds + 120)
        phase.latencies += latencies
        phase.errors += errors
    phase.cpu_seconds = server.cpu_seconds() - cpu_before
    database_after = _database_cpu_seconds(url)
    if database_before is not None and database_after is not None:
        phase.database_cpu_seconds = database_after - database_before
    for p in processes:
        p.join()
    return phase


def _p99(values: list[float]) -> float:
    ordered = sorted(values) or [math.nan]
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


def _measure(url: str) -> dict[str, Any]:
    data = _in_django_child(_build, url)
    compared: dict[str, dict[str, Phase]] = {}
    if COMPARE_SECONDS:
        for worker_class, workers, threads in CANDIDATES:
            server = start_server(url, port=PORT, worker_class=worker_class, workers=workers, threads=threads)
            try:
                _phase("write", data, server, 1, url)  # warm-up: imports, connections, caches
                _phase("floor", data, server, 1, url)
                compared[server.label] = {k: _phase(k, data, server, COMPARE_SECONDS, url) for k in ("write", "floor")}
            finally:
                server.stop()
            w, f = compared[server.label]["write"], compared[server.label]["floor"]
            print(f"   {server.label}: write {w.rps:.0f}/s, floor {f.rps:.0f}/s", flush=True)
    worker_class, workers, threads = PRODUCTION
    server = start_server(url, port=PORT, worker_class=worker_class, workers=workers, threads=threads)
    rounds: list[Phase] = []
    load_before = os.getloadavg()[0]
    try:
        _phase("write", data, server, 1, url)
        _phase("floor", data, server, 1, url)
        for n in range(ROUNDS):
            order = ("write", "floor") if n % 2 == 0 else ("floor", "write")
            rounds += [_phase(k, data, server, SECONDS / ROUNDS, url) for k in order]
    finally:
        server.stop()
    written = _in_django_child(_count_written, url)
    # Every write that answered 201 is in the database with its audit row.
    writes = sum(len(p.latencies) for k in compared.values() for p in k.values() if p.kind == "write")
    writes += sum(len(p.latencies) for p in rounds if p.kind == "write")
    assert written["audited_creates"] >= writes, (written, writes)
    return {
        "production": server.label,
        "rounds": rounds,
        "compared": compared,
        "load": (load_before, os.getloadavg()[0]),
        "written": written,
    }


def _merge(phases: list[Phase], kind: str) -> Phase:
    chosen = [p for p in phases if p.kind == kind]
    merged = Phase(kind, sum(p.seconds for p in chosen))
    for p in chosen:
        merged.latencies += p.latencies
        merged.errors += p.errors
        merged.cpu_seconds += p.cpu_seconds
        if p.database_cpu_seconds is not None:
            merged.database_cpu_seconds = (merged.database_cpu_seconds or 0.0) + p.database_cpu_seconds
    return merged


def _rows(database: str, m: dict[str, Any]) -> list[dict[str, Any]]:
    common = {"name": "api_throughput", "database": database, "clients": CLIENTS, "seconds": SECONDS}
    write, floor = _merge(m["rounds"], "write"), _merge(m["rounds"], "floor")
    load_before, load_after = m["load"]
    setup = f"gunicorn {m['production']} (gunicorn.conf.py), {ROUNDS} alternating rounds"
    errors = write.errors + floor.errors
    rows = [
        {
            **common,
            "metric": "write_rps",
            "value": round(write.rps, 1),
            "unit": "requests/s",
            "target": round(0.5 * floor.rps, 1),
            "met": write.rps >= 0.5 * floor.rps,
            "note": f"{setup}; {100 * write.rps / floor.rps:.0f} % of the floor; "
            f"load average {load_before:.2f} before, {load_after:.2f} after",
        },
        {
            **common,
            "metric": "floor_rps",
            "value": round(floor.rps, 1),
            "unit": "requests/s",
            "target": None,
            "met": True,
        },
        {
            **common,
            "metric": "write_p99_ms",
            "value": round(_p99(write.latencies), 1),
            "unit": "ms",
            "target": round(3 * _p99(floor.latencies), 1),
            "met": _p99(write.latencies) <= 3 * _p99(floor.latencies),
            "note": f"median {statistics.median(write.latencies or [math.nan]):.1f} ms",
        },
        {
            **common,
            "metric": "floor_p99_ms",
            "value": round(_p99(floor.latencies), 1),
            "unit": "ms",
            "target": None,
            "met": True,
            "note": f"median {statistics.median(floor.latencies or [math.nan]):.1f} ms",
        },
        {
            **common,
            "metric": "errors",
            "value": len(errors),
            "unit": "requests",
            "target": 0,
            "met": not errors,
            "note": ", ".join(sorted(set(errors))) or None,
        },
        {
            **common,
            "metric": "write_cpu_ms",
            "value": round(write.cpu_ms, 2),
            "unit": "ms/request",
            "target": None,
            "met": True,
            "note": "gunicorn master and workers, /proc/PID/stat",
        },
        {
            **common,
            "metric": "floor_cpu_ms",
            "value": round(floor.cpu_ms, 2),
            "unit": "ms/request",
            "target": None,
            "met": True,
        },
        *(
            {
                **common,
                "metric": f"{phase.kind}_database_cpu_ms",
                "value": round(ms, 2),
                "unit": "ms/request",
                "target": None,
                "met": True,
                "note": "PostgreSQL's backends of the server's connections, /proc/PID/stat",
            }
            for phase in (write, floor)
            if (ms := phase.database_cpu_ms) is not None
        ),
        {**common, "metric": "load_average", "value": round(load_after, 2), "unit": "", "target": None, "met": True},
    ]
    for label, phases in m["compared"].items():
        w, f = phases["write"], phases["floor"]
        slug = label.replace(" ", "_")
        for kind, phase in (("write", w), ("floor", f)):
            rows.append(
                {
                    **common,
                    "metric": f"{slug}_{kind}_rps",
                    "value": round(phase.rps, 1),
                    "unit": "requests/s",
                    "target": None,
                    "met": True,
                    "note": f"candidate set-up, {COMPARE_SECONDS} s; p99 {_p99(phase.latencies):.0f} ms; "
                    f"{phase.cpu_ms:.1f} ms CPU/request"
                    + (f" (+ {db:.1f} ms PostgreSQL)" if (db := phase.database_cpu_ms) is not None else "")
                    + f"; {len(phase.errors)} errors",
                }
            )
    return rows


def run() -> list[dict[str, Any]]:
    if os.environ.get("BENCH_SKIP_POSTGRES") == "1":
        print("   BENCH_SKIP_POSTGRES=1: api_throughput measures PostgreSQL only; no rows.", flush=True)
        return []
    print(f"   load average before: {os.getloadavg()[0]:.2f}", flush=True)
    return on_postgres(POSTGRES_URL, _measure, _rows, f"{CLIENTS} clients, {SECONDS} s per kind")
