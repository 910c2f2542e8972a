"""Backups of a Nyeri installation, and their restore (``manage.py backup`` / ``restore``).

A backup is one directory:

- ``database.dump`` (PostgreSQL: ``pg_dump --format=custom``, one consistent snapshot taken
  while Nyeri runs) or ``database.sqlite3`` (SQLite: the online backup API, also consistent
  while Nyeri runs);
- ``private/``: a copy of ``PRIVATE_STORAGE_ROOT`` (uploaded evidence, imports, exports);
- ``anchors.txt``: the audit trail's anchors (``audit_verify --anchor``), one per chain,
  taken just *before* the database: the chains only grow, so every row an anchor names is in
  the dump, and ``audit_verify`` with these anchors passes on a faithful restore;
- ``manifest.json``: the format, the database engine, when, and each file's SHA-256, checked
  before anything is restored.

``restore`` puts a backup into an empty database (the configured one, or ``--database-url``
for a scratch copy: the quarterly restore test of docs/backups.md) and an empty private
directory; ``--replace`` overwrites non-empty ones. Then, for the configured database, it
verifies the audit trail against the backup's anchors.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess  # nosec B404
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.db import connection
from django.utils import timezone

from nyeri.audit.verify import Anchor, VerifyResult, verify_chain

FORMAT = 1
MANIFEST = "manifest.json"
ANCHORS = "anchors.txt"
PRIVATE = "private"
DUMP = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the operator."""


@dataclass(frozen=True)
class Target:
    """A database to dump or restore into: its engine and how to reach it."""

    vendor: str  # "postgresql" or "sqlite"
    name: str  # a database name, or an SQLite file path
    host: str = ""
    port: str = ""
    user: str = ""
    password: str = ""

    @classmethod
    def configured(cls) -> Target:
        db = settings.DATABASES["default"]
        vendor = "sqlite" if db["ENGINE"].endswith("sqlite3") else "postgresql"
        # Inside the test suite the connection points at the test database, not at NAME.
        name = str(connection.settings_dict["NAME"])
        return cls(
            vendor,
            name,
            str(db.get("HOST") or ""),
            str(db.get("PORT") or ""),
            str(db.get("USER") or ""),
            str(db.get("PASSWORD") or ""),
        )

    @classmethod
    def from_url(cls, url: str) -> Target:
        parts = urlsplit(url)
        if parts.scheme == "sqlite":
            return cls("sqlite", unquote(parts.path[1:] if parts.path.startswith("//") else parts.path))
        if parts.scheme in ("postgres", "postgresql"):
            return cls(
                "postgresql",
                unquote(parts.path.lstrip("/")),
                parts.hostname or "",
                str(parts.port or ""),
                unquote(parts.username or ""),
                unquote(parts.password or ""),
            )
        raise BackupError(f"unsupported database URL scheme {parts.scheme!r}: use postgres:// or sqlite:///")

    @property
    def is_configured(self) -> bool:
        return self == Target.configured()

    def libpq(self) -> tuple[list[str], dict[str, str]]:
        """Connection arguments for pg_dump/pg_restore; the password goes in the environment."""
        args = ["--dbname", self.name]
        for flag, value in (("--host", self.host), ("--port", self.port), ("--username", self.user)):
            if value:
                args += [flag, value]
        env = dict(os.environ)
        if self.password:
            env["PGPASSWORD"] = self.password
        return args, env


@dataclass(frozen=True)
class Written:
    path: Path
    vendor: str
    anchors: tuple[Anchor, ...]
    events: int
    files: int


def take_backup(dest: Path) -> Written:
    """Write a backup of the configured database and private files into ``dest`` (new or empty)."""
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty: give a new directory")
    dest.mkdir(parents=True, exist_ok=True)
    target = Target.configured()
    # The anchors first: every row they name is then in the dump taken after.
    verified = verify_chain()
    anchors = tuple(verified.anchors)
    (dest / ANCHORS).write_text("".join(f"anchor {a}\n" for a in anchors), encoding="utf-8")
    dump = dest / DUMP[target.vendor]
    if target.vendor == "postgresql":
        _pg_dump(target, dump)
    else:
        _sqlite_copy(source=_django_sqlite(), path_to=dump)
    files = _copy_private(Path(settings.PRIVATE_STORAGE_ROOT), dest / PRIVATE)
    manifest = {
        "format": FORMAT,
        "engine": target.vendor,
        "created_at": timezone.now().isoformat(),
        "database": dump.name,
        "audit": {"events": verified.checked, "intact": verified.ok, "anchors": [str(a) for a in anchors]},
        "sha256": {str(p.relative_to(dest)): _sha256(p) for p in _files(dest)},
    }
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if not verified.ok:
        # Backed up all the same (the data matters more than the trail's state), but said.
        problems = "; ".join(p.describe() for p in verified.problems)
        raise BackupError(f"backup written to {dest}, but the audit trail is BROKEN: {problems}")
    return Written(dest, target.vendor, anchors, verified.checked, files)


@dataclass(frozen=True)
class Restored:
    vendor: str
    files: int
    anchors: tuple[Anchor, ...]
    verified: VerifyResult | None  # None: restored elsewhere than the configured database


def read_anchors(src: Path) -> tuple[Anchor, ...]:
    lines = (src / ANCHORS).read_text(encoding="utf-8").splitlines()
    return tuple(Anchor.parse(line.removeprefix("anchor ")) for line in lines if line.strip())


def restore_backup(
    src: Path, *, database_url: str = "", private_root: Path | None = None, replace: bool = False
) -> Restored:
    """Restore the backup in ``src`` into an empty database and private directory (or ``replace``)."""
    manifest = _checked_manifest(src)
    target = Target.from_url(database_url) if database_url else Target.configured()
    if manifest["engine"] != target.vendor:
        raise BackupError(f"this is a {manifest['engine']} backup; the target database is {target.vendor}")
    root = private_root or Path(settings.PRIVATE_STORAGE_ROOT)
    if not replace and root.exists() and any(root.iterdir()):
        raise BackupError(f"the private directory {root} is not empty (--replace to overwrite it)")
    dump = src / manifest["database"]
    if target.vendor == "postgresql":
        _pg_restore(target, dump, replace=replace)
    else:
        _sqlite_restore(target, dump, replace=replace)
    if root.exists() and replace:
        shutil.rmtree(root)
    files = _copy_private(src / PRIVATE, root)
    anchors = read_anchors(src)
    verified = verify_chain(anchors=list(anchors)) if target.is_configured else None
    return Restored(target.vendor, files, anchors, verified)


# --- PostgreSQL ------------------------------------------------------------------------------


def _run(command: list[str], env: dict[str, str]) -> None:
    # pg_dump/pg_restore found on PATH, given an argument list, no shell.
    done = subprocess.run(  # noqa: S603 - the two PostgreSQL client programs  # nosec B603
        command, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def _pg_dump(target: Target, dump: Path) -> None:
    args, env = target.libpq()
    # Custom format: compressed, and pg_restore can pick or reorder; no owner or grants, so
    # that it restores under another role (the scratch database of a restore test).
    _run([_binary("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--file", str(dump), *args], env)


def _pg_restore(target: Target, dump: Path, *, replace: bool) -> None:
    args, env = target.libpq()
    if not replace and _pg_has_tables(target):
        raise BackupError(f"the database {target.name} is not empty (--replace to overwrite it)")
    clean = ["--clean", "--if-exists"] if replace else []
    command = [_binary("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    _run([*command, *clean, *args, str(dump)], env)


def _pg_has_tables(target: Target) -> bool:
    import psycopg

    params: dict[str, Any] = {"dbname": target.name}
    for key, value in (
        ("host", target.host),
        ("port", target.port),
        ("user", target.user),
        ("password", target.password),
    ):
        if value:
            params[key] = value
    with psycopg.connect(**params) as conn:
        row = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
    return bool(row and row[0])


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


# --- SQLite ------------------------------------------------------------------------------------


def _django_sqlite() -> sqlite3.Connection:
    connection.ensure_connection()
    raw = connection.connection
    assert isinstance(raw, sqlite3.Connection)
    return raw


def _sqlite_copy(*, source: sqlite3.Connection, path_to: Path) -> None:
    """SQLite's online backup: a consistent copy even while others write."""
    copy = sqlite3.connect(path_to)
    try:
        source.backup(copy)
    finally:
        copy.close()


def _sqlite_restore(target: Target, dump: Path, *, replace: bool) -> None:
    backup = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    try:
        if target.is_configured:
            into = _django_sqlite()
            if not replace and _sqlite_has_tables(into):
                raise BackupError("the configured database is not empty (--replace to overwrite it)")
            backup.backup(into)
            return
        path = Path(target.name)
        if path.exists() and not replace and path.stat().st_size:
            raise BackupError(f"{path} exists (--replace to overwrite it)")
        path.parent.mkdir(parents=True, exist_ok=True)
        into = sqlite3.connect(path)
        try:
            backup.backup(into)
        finally:
            into.close()
    finally:
        backup.close()


def _sqlite_has_tables(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
    return bool(row and row[0])


# --- Files -------------------------------------------------------------------------------------


def _copy_private(source: Path, to: Path) -> int:
    if source.exists():
        shutil.copytree(source, to, dirs_exist_ok=True)
    else:
        to.mkdir(parents=True, exist_ok=True)
    return sum(1 for _ in _files(to))


def _files(root: Path) -> Iterator[Path]:
    return (p for p in sorted(root.rglob("*")) if p.is_file() and p.name != MANIFEST)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _checked_manifest(src: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"{src} is not a Nyeri backup: {error}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r} (this Nyeri reads {FORMAT})")
    for name, expected in manifest["sha256"].items():
        path = src / name
        if not path.is_file() or _sha256(path) != expected:
            raise BackupError(f"{name} is missing or altered since the backup (SHA-256 differs): not restored")
    return manifest
