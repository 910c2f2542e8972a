"""audit_write: what the audit trail costs a small service write under concurrency.

Each organization has its own audit chain, so two scenarios:

- ``multi_org`` (the target's): each client writes for its own organization, as the
  clinics of a multi-tenant platform do. Their appends go to different chains and do not
  wait for one another.
- ``one_org`` (information): all clients write for ONE organization, so their audited
  writes queue on that organization's chain head and commit one at a time: the worst case,
  a single very busy tenant.

Two kinds of write, each measured plain and audited:

- ``service``: what ``tenancy.services.create_facility`` does (``full_clean()`` with its
  validation queries, then the insert in a transaction). Audited = the service itself;
  plain = the same code without its ``record_event``. This is the target's write.
- ``bare``: one Facility insert in a transaction, audited = plus ``record_event``: the
  worst case for the audit trail's share of the cost.

CLIENTS client *processes* (not threads: with Python's GIL the clients' Python would be the
bottleneck and hide the database's behaviour), each with its own connection, run WRITES
writes each per phase. Plain and audited phases run back to back, in alternating order,
for ROUNDS rounds in the same run. Rates are total writes / total phase time; the ratio is
the median of the paired per-round ratios, which a change in the machine's load between
rounds (other processes, autovacuum) does not skew.

Target: on PostgreSQL, audited >= 50% of plain for both writes in the multi_org scenario
(enforced). The one_org scenario and SQLite (one writer at a time by design) are measured
for information. After the run ``audit_verify`` must find every chain intact (one per
client's organization, plus the shared one) and holding exactly one event per audited
write, or the benchmark fails.

Environment: BENCH_CLIENTS (8), BENCH_WRITES (100 per client per phase), BENCH_ROUNDS (8),
BENCH_DEADLINE_S (60, per phase), BENCH_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/nyeri_bench;
the database named there is dropped and re-created), BENCH_SKIP_POSTGRES=1.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from databases import fresh_sqlite
from sizes import size

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = size("BENCH_CLIENTS", 8, 2)
WRITES = size("BENCH_WRITES", 100, 5)
ROUNDS = size("BENCH_ROUNDS", 8, 1)
DEADLINE_S = float(os.environ.get("BENCH_DEADLINE_S", "60"))
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/nyeri_bench")
TARGET_RATIO = 0.5
MODES = ("plain", "audited")
VARIANTS = ("service", "bare")
SCENARIOS = ("multi_org", "one_org")
VARIANT_NOTES = {
    "service": "the write services.create_facility does (validation, insert)",
    "bare": "a bare one-row insert: the worst case for the audit trail's share",
}
SCENARIO_NOTES = {
    "multi_org": "each client writes for its own organization (own chain); enforced target",
    "one_org": (
        "all clients write for ONE organization: its audited writes queue on its one chain head "
        "and commit one at a time; information only"
    ),
}


# --- Worker processes -------------------------------------------------------------------


def _setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nyeri.test_settings")
    import django

    django.setup()


def _worker(url: str, client_no: int, commands: Queue[Any], results: Queue[Any], barrier: Barrier) -> None:
    try:
        _setup_django(url)
        from django.db import IntegrityError, connection, transaction

        from nyeri.accounts.models import User
        from nyeri.audit.context import RequestContext, set_context
        from nyeri.audit.models import AuditAction
        from nyeri.audit.services import record_event
        from nyeri.tenancy.models import Facility, Organization
        from nyeri.tenancy.services import create_facility

        own_org = Organization.objects.create(
            name=f"Bench {client_no}", slug=f"bench-{client_no}", kind=Organization.Kind.CLINIC_OPERATOR
        )
        try:
            with transaction.atomic():
                shared_org = Organization.objects.create(
                    name="Bench shared", slug="bench-shared", kind=Organization.Kind.CLINIC_OPERATOR
                )
        except IntegrityError:  # another client created it first
            shared_org = Organization.objects.get(slug="bench-shared")
        orgs = {"multi_org": own_org, "one_org": shared_org}
        org = own_org
        user = User.objects.create(username=f"bench{client_no}", full_name=f"Bench {client_no}")
        set_context(RequestContext(request_id=f"bench-{client_no}", client_address=f"10.0.0.{client_no + 1}"))

        def facility(code: str) -> Facility:
            return Facility(
                organization=org,
                name=f"Klinik {code}",
                code=code,
                kind=Facility.Kind.PAIN_CLINIC,
                province="Jawa Barat",
                regency="Kota Bandung",
                regency_code="32.73",
            )

        def bare_insert(code: str, *, audited: bool) -> None:
            row = facility(code)
            with transaction.atomic():
                row.save(force_insert=True)
                if audited:
                    record_event(
                        actor=user,
                        action=AuditAction.CREATE,
                        organization=org,
                        facility=row,
                        object_type="facility",
                        object_id=row.pk,
                    )

        def service_write(code: str, *, audited: bool) -> None:
            if audited:
                create_facility(
                    acting_user=user,
                    organization=org,
                    name=f"Klinik {code}",
                    code=code,
                    kind=Facility.Kind.PAIN_CLINIC,
                    province="Jawa Barat",
                    regency="Kota Bandung",
                    regency_code="32.73",
                )
                return
            # create_facility line for line, without its record_event.
            row = facility(code)
            row.full_clean()
            with transaction.atomic():
                row.save(force_insert=True)

        writers = {"service": service_write, "bare": bare_insert}

        results.put(("ready", client_no))
        while (command := commands.get()) is not None:
            scenario, variant, mode, round_no, writes, deadline = command
            write = writers[variant]
            # facility(), bare_insert() and service_write() read ``org`` when called.
            org = orgs[scenario]
            barrier.wait(timeout=120)
            started = time.monotonic()
            done = 0
            for i in range(writes):
                # Unique per organization, whichever clients share it.
                write(f"{scenario[0]}{variant[0]}{mode[0]}-{round_no}-{client_no}-{i}", audited=mode == "audited")
                done += 1
                if time.monotonic() - started > deadline:
                    break
            results.put(("done", client_no, scenario, variant, mode, started, time.monotonic(), done))
        connection.close()
    except Exception:
        barrier.abort()
        results.put(("error", client_no, traceback.format_exc()))


# --- Orchestration ----------------------------------------------------------------------


def _manage(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DATABASE_URL=url, NYERI_TESTING="1", HTTPS="0")
    env.setdefault("DJANGO_SETTINGS_MODULE", "nyeri.test_settings")
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


def _receive(results: Queue[Any], count: int, kind: str) -> list[tuple[Any, ...]]:
    messages: list[tuple[Any, ...]] = []
    while len(messages) < count:
        message = results.get(timeout=DEADLINE_S + 180)
        if message[0] == "error":
            raise RuntimeError(f"bench client {message[1]} failed:\n{message[2]}")
        assert message[0] == kind, message
        messages.append(message)
    return messages


@dataclass
class Phase:
    scenario: str
    variant: str
    mode: str
    round_no: int
    writes: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.writes / self.seconds


def _measure(url: str) -> list[Phase]:
    """Every phase run: ROUNDS rounds of (variant x plain/audited)."""
    migrated = _manage(url, "migrate", "--noinput", "-v", "0")
    if migrated.returncode != 0:
        raise RuntimeError(f"migrate failed:\n{migrated.stdout}{migrated.stderr}")
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(CLIENTS)
    results: Queue[Any] = ctx.Queue()
    commands: list[Queue[Any]] = [ctx.Queue() for _ in range(CLIENTS)]
    procs = [
        ctx.Process(target=_worker, args=(url, n, commands[n], results, barrier), daemon=True) for n in range(CLIENTS)
    ]
    for p in procs:
        p.start()
    phases: list[Phase] = []
    try:
        _receive(results, CLIENTS, "ready")
        # Short plain and audited phases run back to back, in alternating order, so that
        # changes in the machine's load (other processes, autovacuum, checkpoints) hit
        # both alike; each round gives one paired ratio.
        for round_no in range(ROUNDS):
            for scenario in SCENARIOS:
                for variant in VARIANTS:
                    for mode in MODES if round_no % 2 == 0 else MODES[::-1]:
                        for q in commands:
                            q.put((scenario, variant, mode, round_no, WRITES, DEADLINE_S))
                        done = _receive(results, CLIENTS, "done")
                        # Wall time of the phase: from the first client's start to the last one's end.
                        phase = Phase(
                            scenario=scenario,
                            variant=variant,
                            mode=mode,
                            round_no=round_no,
                            writes=sum(m[7] for m in done),
                            seconds=max(m[6] for m in done) - min(m[5] for m in done),
                        )
                        phases.append(phase)
                        print(
                            f"   round {round_no + 1} {scenario:9} {variant:7} {mode:7}: {phase.writes} writes"
                            f" in {phase.seconds:.2f}s = {phase.rate:,.0f}/s"
                        )
    finally:
        for q in commands:
            q.put(None)
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.terminate()
    return phases


def _audited_writes(phases: list[Phase]) -> int:
    return sum(p.writes for p in phases if p.mode == "audited")


def _verify(url: str, expected_events: int) -> None:
    """Fail loudly unless every chain is intact and they hold exactly the audited writes."""
    verified = _manage(url, "audit_verify")
    output = verified.stdout + verified.stderr
    if verified.returncode != 0:
        raise RuntimeError(f"audit_verify FAILED after the benchmark:\n{output}")
    match = re.search(r"intact: (\d+) chains?, (\d+) events", output)
    chains, found = (int(match[1]), int(match[2])) if match else (0, 0)
    # One chain per client's own organization, plus the shared one.
    if (chains, found) != (CLIENTS + 1, expected_events):
        raise RuntimeError(
            f"audit_verify counted {found} events in {chains} chains, "
            f"expected {expected_events} in {CLIENTS + 1}:\n{output}"
        )
    print(f"   {output.strip().splitlines()[-1]}")


def _rows(database: str, phases: list[Phase], *, enforced: bool) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for scenario in SCENARIOS:
        for variant in VARIANTS:
            rows += _variant_rows(database, scenario, variant, phases, enforced=enforced)
    return rows


def _variant_rows(
    database: str, scenario: str, variant: str, phases: list[Phase], *, enforced: bool
) -> list[dict[str, Any]]:
    mine = [p for p in phases if p.variant == variant and p.scenario == scenario]

    def rate(mode: str) -> float:
        picked = [p for p in mine if p.mode == mode]
        return sum(p.writes for p in picked) / sum(p.seconds for p in picked)

    by_round = {(p.round_no, p.mode): p.rate for p in mine}
    ratios = [by_round[(r, "audited")] / by_round[(r, "plain")] for r in range(ROUNDS)]
    # The median of the paired per-round ratios: robust to the machine's load changing
    # between rounds, which moves both rates of a round together.
    ratio = statistics.median(ratios)
    plain, audited = rate("plain"), rate("audited")
    # The target is about a multi-tenant platform: clients of different organizations, on
    # PostgreSQL. One busy organization and SQLite are information only.
    gate = enforced and scenario == "multi_org"
    # The multi-organization rows keep the metric names of the single-chain era.
    prefix = "" if scenario == "multi_org" else "one_org_"
    common = {
        "name": "audit_write",
        "database": database,
        "scenario": scenario,
        "organizations": CLIENTS if scenario == "multi_org" else 1,
        "write": variant,
        "clients": CLIENTS,
        "writes": WRITES,
        "rounds": ROUNDS,
    }
    if enforced:
        note = f"{SCENARIO_NOTES[scenario]}; {VARIANT_NOTES[variant]}"
    else:
        note = "information only: SQLite writes one transaction at a time"
    note += f"; per-round ratios {', '.join(f'{r:.2f}' for r in ratios)}"
    return [
        {
            **common,
            "metric": f"{prefix}{variant}_plain_writes_per_s",
            "value": round(plain, 1),
            "unit": "writes/s",
            "target": None,
            "met": True,
        },
        {
            **common,
            "metric": f"{prefix}{variant}_audited_writes_per_s",
            "value": round(audited, 1),
            "unit": "writes/s",
            "target": round(plain * TARGET_RATIO, 1),
            "met": audited >= plain * TARGET_RATIO,
            "enforced": False,
        },
        {
            **common,
            "metric": f"{prefix}{variant}_audited_to_plain",
            "value": round(ratio, 3),
            "unit": "ratio",
            "target": TARGET_RATIO,
            "met": ratio >= TARGET_RATIO,
            "enforced": gate,
            "note": note,
            "per_round": [round(r, 3) for r in ratios],
        },
    ]


def _postgres_admin_url(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"BENCH_POSTGRES_URL must name a plain database, got {name!r}")
    return urllib.parse.urlunsplit(parts._replace(path="/postgres")), name


def _run_postgres() -> list[dict[str, Any]]:
    import psycopg

    admin_url, name = _postgres_admin_url(POSTGRES_URL)
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        print(f"!! PostgreSQL is not reachable ({exc}); its rows are missing from this run.", file=sys.stderr)
        return []
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            print(f"-- postgresql ({name}): {CLIENTS} clients x {WRITES} writes x {ROUNDS} rounds")
            phases = _measure(POSTGRES_URL)
            _verify(POSTGRES_URL, _audited_writes(phases))
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return _rows("postgresql", phases, enforced=True)


def _run_sqlite() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="nyeri-bench-") as tmp:
        url = fresh_sqlite(Path(tmp) / "bench.sqlite3")
        print(f"-- sqlite (temporary file): {CLIENTS} clients x {WRITES} writes x {ROUNDS} rounds")
        phases = _measure(url)
        _verify(url, _audited_writes(phases))
    return _rows("sqlite", phases, enforced=False)


def run() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    if os.environ.get("BENCH_SKIP_POSTGRES") != "1":
        rows += _run_postgres()
    rows += _run_sqlite()
    return rows
