"""A migrated SQLite database, built once per set of migrations, for tests and benchmarks.

Applying Nyeri's migrations to an empty database costs about 50 s of CPU: Django renders the
project's model state again for each schema operation, and every model points at the
organization, so each operation re-renders nearly all of them. `make test` needs a fresh
migrated SQLite database several times (the suite, each frozen clock day, each benchmark's
smoke run): instead of migrating each one, they copy this template (milliseconds) and then
run `migrate`, which finds nothing to apply and still checks that the copy is complete.

The template is keyed by everything that decides the schema: the text of every migration
file in the project, the locked third-party versions (their migrations) and Django's version.
A change to any of them builds a new one; concurrent builders wait on a file lock, so the
parts of `make test` that start together build it once. It lives under ``var/cache/``
(ignored by git); deleting it is always safe.

``NYERI_MIGRATED_TEMPLATE=0`` turns it off (every database is migrated from scratch).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
import subprocess  # nosec B404: runs this project's own manage.py
import sys
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = ROOT / "var" / "cache"
# Project code that migrations import and run (a trigger's SQL, a validator's path): part of
# the key too (tests/test_migrated_template.py fails when a migration imports another).
MIGRATION_IMPORTS = ("nyeri/clinical/merge_triggers.py", "nyeri/clinical/validators.py")


def enabled() -> bool:
    return os.environ.get("NYERI_MIGRATED_TEMPLATE", "1") != "0"


def schema_key() -> str:
    """A digest of what decides the migrated schema (see the module's docstring)."""
    digest = hashlib.sha256(django.__version__.encode())
    sources = sorted((ROOT / "nyeri").glob("**/migrations/*.py"))
    sources += [ROOT / module for module in MIGRATION_IMPORTS]
    sources += sorted((ROOT / "requirements").glob("*.txt"))
    for path in sources:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def template_path() -> Path:
    """The migrated template's file, built first if this set of migrations has none yet."""
    path = CACHE_DIR / f"migrated-{schema_key()}.sqlite3"
    if path.exists():
        return path
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with (CACHE_DIR / "migrated.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another part of the run may be building it
        if not path.exists():
            _build(path)
    return path


def _build(path: Path) -> None:
    building = path.with_suffix(f".{os.getpid()}.building")
    env = {k: v for k, v in os.environ.items() if k != "NYERI_TEST_CLOCK"}
    env.update(
        DATABASE_URL=f"sqlite:///{building}",
        DJANGO_SETTINGS_MODULE="nyeri.test_settings",
        NYERI_TESTING="1",
    )
    subprocess.run(  # noqa: S603 - this project's own manage.py, fixed arguments  # nosec B603
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    # One self-contained file: the settings open SQLite in WAL mode, which keeps a side file.
    with sqlite3.connect(building) as db:
        db.execute("PRAGMA journal_mode=DELETE")
    building.replace(path)
    for old in CACHE_DIR.glob("migrated-*.sqlite3"):
        if old != path:
            old.unlink(missing_ok=True)


def copy_into(target: sqlite3.Connection) -> None:
    """Overwrite the database behind ``target`` (a file or an in-memory database) with the template."""
    source = sqlite3.connect(f"file:{template_path()}?mode=ro", uri=True)
    try:
        source.backup(target)
    finally:
        source.close()


def copy_to_file(destination: Path) -> None:
    """A migrated database at ``destination`` (which must not hold one yet)."""
    target = sqlite3.connect(destination)
    try:
        copy_into(target)
    finally:
        target.close()
