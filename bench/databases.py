"""What every benchmark does around its measurement: a throw-away PostgreSQL database and a
throw-away SQLite file, the same measurement on each, rows for both (see bench/run.py).

``measure(url)`` runs in the benchmark's own child process (Django's settings and connection
are chosen once per process); ``rows(database, measured)`` turns its result into table rows.
``BENCH_SKIP_POSTGRES=1`` leaves PostgreSQL out; an unreachable PostgreSQL is said loudly and
its rows are missing, never invented.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from nyeri.lib import migrated_db

Measured = TypeVar("Measured")
Rows = list[dict[str, Any]]


def postgres_admin_url(url: str) -> tuple[str, str]:
    """(the URL of the ``postgres`` maintenance database on the same server, the database name)."""
    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"BENCH_POSTGRES_URL must name a plain database, got {name!r}")
    return urllib.parse.urlunsplit(parts._replace(path="/postgres")), name


def on_postgres(
    postgres_url: str, measure: Callable[[str], Measured], rows: Callable[[str, Measured], Rows], what: str
) -> Rows:
    """``measure`` on a fresh PostgreSQL database (dropped afterwards); its rows."""
    import psycopg

    admin_url, name = postgres_admin_url(postgres_url)
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        print(f"!! PostgreSQL is not reachable ({exc}); its rows are missing from this run.", file=sys.stderr)
        return []
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            print(f"-- postgresql ({name}): {what}", flush=True)
            measured = measure(postgres_url)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return rows("postgresql", measured)


def fresh_sqlite(path: Path) -> str:
    """The URL of a new SQLite file at ``path``: a copy of the migrated template
    (nyeri/lib/migrated_db.py), so that the benchmark's own ``migrate`` finds nothing to do."""
    if migrated_db.enabled():
        migrated_db.copy_to_file(path)
    return f"sqlite:///{path}"


def _on_sqlite(measure: Callable[[str], Measured], rows: Callable[[str, Measured], Rows], what: str) -> Rows:
    with tempfile.TemporaryDirectory(prefix="nyeri-bench-") as tmp:
        url = fresh_sqlite(Path(tmp) / "bench.sqlite3")
        print(f"-- sqlite (temporary file): {what}", flush=True)
        measured = measure(url)
    return rows("sqlite", measured)


def on_both_databases(
    postgres_url: str, *, measure: Callable[[str], Measured], rows: Callable[[str, Measured], Rows], what: str
) -> Rows:
    """``measure`` on a fresh PostgreSQL database, then on a fresh SQLite file; the rows of both."""
    print(f"   load average before: {os.getloadavg()[0]:.2f}", flush=True)
    out: Rows = []
    if os.environ.get("BENCH_SKIP_POSTGRES") != "1":
        out += on_postgres(postgres_url, measure, rows, what)
    out += _on_sqlite(measure, rows, what)
    print(f"   load average after: {os.getloadavg()[0]:.2f}", flush=True)
    return out
