"""PostgreSQL killed and restarted under load: no acknowledged write lost, none duplicated.

The test starts its own throw-away PostgreSQL cluster (initdb and pg_ctl, as the ``postgres``
OS user, on another port, data in a temporary directory), fills it with the suite's migrated
database through ``manage.py backup`` / ``restore`` (migrating from scratch takes minutes on
a loaded two-core machine; the restored copy has the same schema and migration records),
and serves it with gunicorn (``gunicorn.conf.py``, one gthread worker) on loopback. Eight
clients post pain assessments, each with its own Idempotency-Key, retrying the same key until
it is acknowledged. Meanwhile the database is stopped hard (``pg_ctl -m immediate``) for 10 s
and started again. Then:

- every acknowledged assessment is in the database, and there is exactly one row per key;
- while the database was down the API answered 503 with ``Retry-After`` and the JSON
  envelope (``unavailable``), nothing else;
- the same gunicorn worker served writes again after the restart (no restart of the app).

PostgreSQL only (marker ``reliability``, run by ``make test-postgres``); skipped, saying why,
when the PostgreSQL server binaries or ``runuser`` are missing. Bounded: the drill itself
(first request to last) must end within 60 s (26-33 s measured on a loaded two-core machine);
setting up the cluster and gunicorn comes before and is waited for separately.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import socket
import subprocess  # nosec B404
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from nyeri.accounts.models import User
from nyeri.accounts.services import create_api_token
from nyeri.clinical.models import Patient
from nyeri.tenancy.models import Facility

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]

CLIENTS = 8
OUTAGE_SECONDS = 10
DEADLINE_SECONDS = 60  # the whole scenario, from the first request
REPO = Path(settings.BASE_DIR)


def _server_binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not found or shutil.which("runuser") is None:
        return None
    binaries = Path(found[-1])
    return binaries if (binaries / "initdb").exists() and (binaries / "pg_ctl").exists() else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_postgres(*command: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True, timeout=60)  # nosec B603


@dataclass
class Cluster:
    binaries: Path
    root: Path
    port: int

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def init(self) -> None:
        _as_postgres(
            str(self.binaries / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--locale=C", "--no-sync",
        )  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        _as_postgres(
            str(self.binaries / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options,
            "-w", "-t", "30", "start",
        )  # fmt: skip

    def stop_hard(self) -> None:
        # Like a crash: no checkpoint, no goodbye to the clients; recovery replays the WAL.
        _as_postgres(str(self.binaries / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def sql(self, database: str, statement: str) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            cursor = conn.execute(statement)  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL restart: run on PostgreSQL only (make test-postgres)")
    binaries = _server_binaries()
    if binaries is None:
        pytest.skip("PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb, pg_ctl) or runuser missing")
    root = Path(tempfile.mkdtemp(prefix="nyeri-restart-"))
    postgres = pwd.getpwnam("postgres")
    os.chown(root, postgres.pw_uid, postgres.pw_gid)
    made = Cluster(binaries, root, _free_port())
    made.init()
    made.start()
    try:
        yield made
    finally:
        subprocess.run(  # nosec B603
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                str(binaries / "pg_ctl"),
                "-D",
                str(made.data),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    acknowledged: dict[str, int] = field(default_factory=dict)  # key -> assessment id
    acknowledged_at: dict[str, float] = field(default_factory=dict)
    unavailable: list[tuple[str | None, str]] = field(default_factory=list)  # (Retry-After, envelope code)
    unexpected: list[tuple[int, str]] = field(default_factory=list)
    transport_errors: int = 0
    unfinished: list[str] = field(default_factory=list)


def _post(url: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(  # noqa: S310 - loopback http, built here
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as answer:  # noqa: S310  # nosec B310
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _client(
    number: int, url: str, token: str, facility_id: int, tally: Tally, stop: threading.Event, deadline: float
) -> None:
    for n in range(10_000):
        if stop.is_set():
            return
        key = f"restart-{number}-{n}"
        body = {"instrument": "nrs", "facility_id": facility_id, "answers": {"intensity": (number + n) % 11}}
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
        while True:  # the same key until it is acknowledged, as a careful client retries
            if time.monotonic() > deadline:
                with tally.lock:
                    tally.unfinished.append(key)
                return
            try:
                status, answer_headers, content = _post(url, body, headers)
            except OSError:  # refused or reset: retry the same key
                with tally.lock:
                    tally.transport_errors += 1
                time.sleep(0.5)
                continue
            if status in (200, 201):
                with tally.lock:
                    tally.acknowledged[key] = json.loads(content)["id"]
                    tally.acknowledged_at[key] = time.monotonic()
                break
            if status == 503:
                retry_after = answer_headers.get("Retry-After")
                try:
                    code = json.loads(content)["error"]["code"]
                except (ValueError, KeyError, TypeError):
                    code = content[:80].decode(errors="replace")
                with tally.lock:
                    tally.unavailable.append((retry_after, code))
                time.sleep(float(retry_after or 1))
                continue
            with tally.lock:
                tally.unexpected.append((status, content[:300].decode(errors="replace")))
            return
        time.sleep(0.2)


def _workers_of(master: int) -> set[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return {int(pid) for pid in children.read_text().split()} if children.exists() else set()


def _wait_for(condition: Any, timeout: float, step: float = 0.2) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(step)
    return False


def test_a_hard_database_restart_under_load_loses_no_acknowledged_write_and_duplicates_none(
    cluster: Cluster, clinician: User, patient: Patient, facility: Facility, tmp_path: Path
) -> None:
    _token, secret = create_api_token(acting_user=clinician, name="restart test", expires_in_days=1)
    # The suite's migrated database (with these rows) into the throw-away cluster.
    call_command("backup", str(tmp_path / "backup"), stdout=StringIO())
    cluster.sql("postgres", "CREATE DATABASE nyeri")
    call_command(
        "restore",
        str(tmp_path / "backup"),
        "--database-url",
        cluster.url("nyeri"),
        "--private-root",
        str(tmp_path / "private"),
        stdout=StringIO(),
    )
    web_port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": cluster.url("nyeri"),
        "DJANGO_SETTINGS_MODULE": "nyeri.settings",
        "NYERI_TESTING": "1",
        "HTTPS": "0",
        "GUNICORN_BIND": f"127.0.0.1:{web_port}",
        # One gthread worker (not the production default, sync): eight clients at once on
        # one worker, each waiting out the outage on its own thread.
        "GUNICORN_WORKER_CLASS": "gthread",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "4",
        "RETRY_AFTER_SECONDS": "1",
        "PRIVATE_STORAGE_ROOT": str(tmp_path / "private"),
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(  # nosec B603
        [str(gunicorn), "-c", "gunicorn.conf.py"], cwd=REPO, env=env, stdout=log, stderr=log
    )
    try:
        base = f"http://127.0.0.1:{web_port}"

        def healthy() -> bool:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=5) as answer:  # noqa: S310  # nosec B310
                    return bool(answer.status == 200)
            except OSError:
                return False

        # Start-up is set-up, not the drill: a loaded shared machine takes its time importing.
        assert _wait_for(healthy, 120), "gunicorn did not come up: " + (tmp_path / "gunicorn.log").read_text()[-2000:]
        workers = _workers_of(server.pid)
        assert len(workers) == 1

        tally, stop = Tally(), threading.Event()
        started = time.monotonic()
        deadline = started + DEADLINE_SECONDS
        url = f"{base}/api/patients/{patient.pk}/assessments"
        threads = [
            threading.Thread(target=_client, args=(n, url, secret, facility.pk, tally, stop, deadline))
            for n in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        assert _wait_for(lambda: len(tally.acknowledged) >= CLIENTS, 20), "no writes before the outage"
        cluster.stop_hard()
        time.sleep(OUTAGE_SECONDS)
        cluster.start()
        up_at = time.monotonic()
        after = lambda: sum(1 for t in tally.acknowledged_at.values() if t > up_at)  # noqa: E731
        assert _wait_for(lambda: after() >= CLIENTS, max(1.0, deadline - time.monotonic() - 2)), (
            f"no writes after the restart: {len(tally.acknowledged)} acknowledged, "
            f"{len(tally.unavailable)} x 503 {set(tally.unavailable)}, {tally.unexpected[:3]}, "
            f"{tally.transport_errors} transport errors; gunicorn: " + (tmp_path / "gunicorn.log").read_text()[-3000:]
        )
        stop.set()
        for thread in threads:
            thread.join(timeout=max(1.0, deadline - time.monotonic() + 5))
        elapsed = time.monotonic() - started
        first_after = min((t for t in tally.acknowledged_at.values() if t > up_at), default=up_at) - up_at
        # Shown with -s: what the drill did.
        print(
            f"restart drill: {len(tally.acknowledged)} writes acknowledged, {len(tally.unavailable)} x 503, "
            f"{tally.transport_errors} transport errors, first write {first_after:.1f} s after the restart, "
            f"{elapsed:.1f} s in all"
        )

        assert tally.unexpected == []
        assert tally.unfinished == []
        # The database was down while the clients kept writing: 503s, each with the envelope.
        assert tally.unavailable, "no 503 while the database was down"
        assert set(tally.unavailable) == {("1", "unavailable")}
        # Every acknowledged write is there, once; nothing else was written.
        rows = cluster.sql("nyeri", "SELECT id FROM clinical_painassessment")
        assert sorted(r[0] for r in rows) == sorted(tally.acknowledged.values())
        assert len(set(tally.acknowledged.values())) == len(tally.acknowledged)
        kept = cluster.sql("nyeri", "SELECT key FROM api_idempotentrequest")
        assert sorted(r[0] for r in kept) == sorted(tally.acknowledged)
        # Recovered without a restart: the same worker, still serving.
        assert server.poll() is None
        assert _workers_of(server.pid) == workers
        assert healthy()
        assert elapsed < DEADLINE_SECONDS
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
