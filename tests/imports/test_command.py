"""``manage.py import_spreadsheet``: the same import, as a named user, a dry run unless --commit."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from nyeri.accounts.models import User
from nyeri.workforce.models import Credential, Person
from tests.imports.conftest import NIK_WOMAN, STAFF_HEADERS, staff_row, xlsx


def _file(tmp_path: Path, *rows: list[object]) -> Path:
    path = tmp_path / "staf.xlsx"
    path.write_bytes(xlsx(STAFF_HEADERS, list(rows)))
    return path


def registration() -> list[object]:
    return staff_row(kind="registration", number="STR-1", issuer="KKI", issued_on="2020-01-15")


def test_a_dry_run_then_a_commit(admin: User, tmp_path: Path) -> None:
    path = _file(tmp_path, registration())
    out = StringIO()
    call_command("import_spreadsheet", "staff", str(path), "--user", admin.username, stdout=out)
    assert "dry run" in out.getvalue()
    assert not Person.objects.exists()
    out = StringIO()
    call_command("import_spreadsheet", "staff", str(path), "--user", admin.username, "--commit", stdout=out)
    assert "written" in out.getvalue()
    assert Person.objects.get().nik == NIK_WOMAN
    assert Credential.objects.get().status == "submitted"


def test_problems_are_printed_and_the_exit_status_is_1(admin: User, tmp_path: Path) -> None:
    path = _file(tmp_path, staff_row(roles="juggler"))
    out = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("import_spreadsheet", "staff", str(path), "--user", admin.username, "--commit", stdout=out)
    assert exited.value.code == 1
    assert out.getvalue().startswith("row 2\tRoles\tUnknown value “juggler”")
    assert not Person.objects.exists()


def test_a_user_without_the_role_is_refused(nurse: User, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="may not import staff"):
        call_command("import_spreadsheet", "staff", str(_file(tmp_path, registration())), "--user", nurse.username)
