"""Patient registration fixtures: a registering nurse, an administrator, valid details."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from nyeri.accounts.models import User
from nyeri.accounts.services import create_api_token
from nyeri.clinical.models import Patient
from nyeri.clinical.services import register_patient
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope, resolve_scope
from tests.accounts_fixtures import give_second_factor, verify
from tests.conftest import MakeMember, log_in

# Kota Bandung (32.73), a woman (day 12 + 40) born 12 April 1961.
EUIS_NIK = "3273015204610001"
# Kota Bandung, a man born 15 May 1980.
ASEP_NIK = "3273011505800002"


def euis(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "full_name": "Euis Komariah",
        "birth_date": date(1961, 4, 12),
        "sex": "female",
        "nik": EUIS_NIK,
        "phone": "0812 3456 7890",
        "address": "Jl. Dago No. 12",
        "regency_code": "32.73",
    }
    fields.update(overrides)
    return fields


def asep(**overrides: Any) -> dict[str, Any]:
    return euis(full_name="Asep Sunandar", birth_date=date(1980, 5, 15), sex="male", nik=ASEP_NIK, **overrides)


def scope_of(user: User) -> Scope:
    scope = resolve_scope(user)
    assert scope is not None
    return scope


def register(scope: Scope, facility: Facility, **fields: Any) -> Patient:
    return register_patient(scope=scope, acting_user=scope.user, facility=facility, **fields)


@pytest.fixture
def scope(nurse: User) -> Scope:
    return scope_of(nurse)


@pytest.fixture
def admin(org: Organization, make_member: MakeMember) -> User:
    return make_member(org, Role.ADMINISTRATOR, username="admin")


@pytest.fixture
def admin_scope(admin: User) -> Scope:
    return scope_of(admin)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Services speak the active language: English here, so the messages read as written."""
    with translation.override("en"):
        yield


def client_of(user: User, language: str = "en") -> Client:
    """A logged-in client; an administrator also passes the second factor, as at the clinic."""
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
