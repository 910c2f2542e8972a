"""Import fixtures: an administrator of ``org`` and helpers writing spreadsheets in memory."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from openpyxl import Workbook

from nyeri.accounts.models import User
from nyeri.accounts.services import create_api_token
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope, resolve_scope
from tests.accounts_fixtures import give_second_factor, verify
from tests.conftest import MakeMember, log_in

STAFF_HEADERS = [
    "Full name",
    "NIK",
    "E-mail",
    "Phone",
    "Citizenship",
    "Roles",
    "Facilities",
    "Credential kind",
    "Credential number",
    "Issuer",
    "Issued on",
    "Expires on",
    "Credential facility",
    "Issuer regency code",
]
PATIENT_HEADERS = ["Record number", "NIK", "Full name", "Birth date", "Sex", "Facility", "Phone", "Address"]

# Valid NIKs of Kota Bandung (32.73.01): a man born 20 March 1985 and a woman born 5 July 1990.
NIK_MAN = "3273012003850002"
NIK_WOMAN = "3273014507900001"


def nik(n: int, *, female: bool = False) -> str:
    """A valid NIK of Kota Bandung, born 1 January 1980 (serial ``n``)."""
    return f"327301{41 if female else '01'}0180{n:04d}"


def xlsx(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(headers: Sequence[str], rows: Sequence[Sequence[Any]], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def staff_row(
    name: str = "Ns. Siti Aminah",
    nik_: str = NIK_WOMAN,
    *,
    roles: str = "nurse",
    facilities: str = "rs-sehat",
    kind: str = "",
    number: str = "",
    issuer: str = "",
    issued_on: Any = "",
    expires_on: Any = "",
    credential_facility: str = "",
    regency_code: str = "",
    citizenship: str = "citizen",
) -> list[Any]:
    return [
        name,
        nik_,
        "",
        "",
        citizenship,
        roles,
        facilities,
        kind,
        number,
        issuer,
        issued_on,
        expires_on,
        credential_facility,
        regency_code,
    ]


@pytest.fixture(autouse=True)
def private_storage(settings: Any, tmp_path: Path) -> Path:
    """Uploads go to a temporary private root."""
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    return Path(settings.PRIVATE_STORAGE_ROOT)


def scope_of(user: User) -> Scope:
    scope = resolve_scope(user)
    assert scope is not None
    return scope


def client_of(user: User, language: str = "en") -> Client:
    """A logged-in client; an administrator also passes the second factor."""
    client = log_in(Client(HTTP_ACCEPT_LANGUAGE=language), user)
    if Role.ADMINISTRATOR in scope_of(user).roles:
        device = user.totpdevice_set.first()
        if device is None:
            device, _codes = give_second_factor(user)
        verify(client, device)
    return client


def bearer(user: User) -> dict[str, str]:
    _token, secret = create_api_token(acting_user=user, name="tests", expires_in_days=None)
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def admin(org: Organization, facility: Facility, make_member: MakeMember) -> User:
    return make_member(org, Role.ADMINISTRATOR, username="admin", language="en")


@pytest.fixture
def admin_scope(admin: User) -> Scope:
    return scope_of(admin)
