"""``manage.py backup`` and ``restore`` round-trip the demo; ``audit_verify`` with the saved anchors passes.

On both databases the backup is restored into a *new* database (a new PostgreSQL database,
a new SQLite file), as in the quarterly restore test of docs/backups.md; the test then points
its connection at the copy and compares it with the original.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from nyeri.accounts.models import User
from nyeri.audit.models import AuditEvent
from nyeri.clinical.models import PainAssessment, Patient
from nyeri.prescriptions.models import Prescription

pytestmark = pytest.mark.django_db(transaction=True)


def snapshot() -> dict[str, Any]:
    return {
        "users": sorted(User.objects.values_list("username", flat=True)),
        "patients": sorted(Patient.objects.values_list("mrn", "full_name", "nik")),
        "assessments": PainAssessment.objects.count(),
        "prescriptions": Prescription.objects.count(),
        "audit": list(AuditEvent.objects.order_by("chain", "seq").values_list("chain", "seq", "hash")),
    }


@contextmanager
def connected_to(name: str) -> Iterator[None]:
    """The test's connection on another database for a while (the test database stays open:
    SQLite's in-memory one lives as long as a connection to it)."""
    saved, original = connection.connection, connection.settings_dict["NAME"]
    connection.connection = None
    connection.settings_dict["NAME"] = name
    try:
        yield
    finally:
        if connection.connection is not None:
            connection.connection.close()
        connection.connection = saved
        connection.settings_dict["NAME"] = original


@contextmanager
def new_database(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A new empty database: (its URL for ``restore --database-url``, its NAME)."""
    if connection.vendor == "sqlite":
        path = tmp_path / "restored.sqlite3"
        yield f"sqlite:///{path}", str(path)
        return
    import psycopg

    db = connection.settings_dict
    name = f"{db['NAME']}_restored"[:63]
    params = {k: v for k, v in {"host": db["HOST"], "port": db["PORT"], "user": db["USER"]}.items() if v}
    if db["PASSWORD"]:
        params["password"] = db["PASSWORD"]
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    try:
        yield f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}", name
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def private_root(tmp_path: Path, settings: Any) -> Path:
    root = tmp_path / "private"
    (root / "imports" / "1").mkdir(parents=True)
    (root / "imports" / "1" / "staff.upload").write_bytes(b"an uploaded spreadsheet")
    settings.PRIVATE_STORAGE_ROOT = root
    return root


def test_the_demo_backed_up_and_restored_into_a_new_database_is_whole_and_its_anchors_verify(
    tmp_path: Path, private_root: Path
) -> None:
    call_command("seed_demo", stdout=StringIO())
    before = snapshot()
    assert all(before[part] for part in ("patients", "assessments", "audit"))
    out = StringIO()
    call_command("backup", str(tmp_path / "backup"), stdout=out)
    anchors = [line.removeprefix("anchor ") for line in out.getvalue().splitlines() if line.startswith("anchor ")]
    assert anchors
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["engine"] == ("sqlite" if connection.vendor == "sqlite" else "postgresql")
    assert "private/imports/1/staff.upload" in manifest["sha256"]
    restored_files = tmp_path / "restored-private"
    with new_database(tmp_path) as (url, name):
        out = StringIO()
        target = ["--database-url", url, "--private-root", str(restored_files)]
        call_command("restore", str(tmp_path / "backup"), *target, stdout=out)
        assert "audit_verify --anchor" in out.getvalue()
        with connected_to(name):
            assert snapshot() == before
            verified = StringIO()
            call_command("audit_verify", *[f"--anchor={a}" for a in anchors], stdout=verified)
            assert "audit trail intact" in verified.getvalue()
    assert (restored_files / "imports" / "1" / "staff.upload").read_bytes() == b"an uploaded spreadsheet"


def test_an_altered_backup_is_not_restored(tmp_path: Path, private_root: Path) -> None:
    call_command("backup", str(tmp_path / "backup"), stdout=StringIO())
    (tmp_path / "backup" / "private" / "imports" / "1" / "staff.upload").write_bytes(b"tampered")
    with new_database(tmp_path) as (url, _name), pytest.raises(CommandError, match="altered since the backup"):
        call_command("restore", str(tmp_path / "backup"), "--database-url", url, "--private-root", str(tmp_path / "r"))


def test_a_restore_over_a_database_that_is_not_empty_needs_replace(tmp_path: Path, private_root: Path) -> None:
    call_command("backup", str(tmp_path / "backup"), stdout=StringIO())
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(tmp_path / "backup"), "--private-root", str(tmp_path / "r"))


def test_a_backup_goes_to_a_new_directory(tmp_path: Path, private_root: Path) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "something").write_text("x")
    with pytest.raises(CommandError, match="not empty"):
        call_command("backup", str(tmp_path / "used"))
