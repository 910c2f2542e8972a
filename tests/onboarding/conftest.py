"""People administration fixtures: an administrator who passed the second factor, invitations."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import translation

from nyeri.accounts.models import User
from nyeri.accounts.services import create_api_token
from nyeri.onboarding import services
from nyeri.onboarding.models import Invitation
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope, resolve_scope
from tests.accounts_fixtures import give_second_factor, verify
from tests.conftest import MakeMember, log_in

NEW_PASSWORD = "Nyeri-staf-baru-2026!"
LINK = re.compile(r"/invitation/([A-Za-z0-9_-]+)/")


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Services speak the active language: English here, so messages read as written."""
    with translation.override("en"):
        yield


def scope_of(user: User) -> Scope:
    scope = resolve_scope(user)
    assert scope is not None
    return scope


def client_of(user: User, language: str = "en") -> Client:
    """A client logged in through the login page; an administrator also passes the second factor."""
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


def link_secret(message_index: int = -1) -> str:
    """The secret of the invitation link in an e-mail of the outbox (the last one by default)."""
    found = LINK.search(mail.outbox[message_index].body)
    assert found is not None, mail.outbox[message_index].body
    return found.group(1)


@pytest.fixture
def second_facility(org: Organization) -> Facility:
    return Facility.objects.create(
        organization=org,
        name="Klinik Nyeri Cimahi",
        code="cimahi",
        kind=Facility.Kind.PAIN_CLINIC,
        province="Jawa Barat",
        regency="Kota Cimahi",
        regency_code="32.77",
    )


@pytest.fixture
def admin(org: Organization, facility: Facility, make_member: MakeMember) -> User:
    user = make_member(org, Role.ADMINISTRATOR, username="admin_rina", language="en")
    user.email = "rina@sehat.example"
    user.save(update_fields=["email"])
    return user


@pytest.fixture
def admin_client(admin: User) -> Client:
    return client_of(admin)


@pytest.fixture
def other_admin(other_org: Organization, other_facility: Facility, make_member: MakeMember) -> User:
    return make_member(other_org, Role.ADMINISTRATOR, username="admin_lain", language="en")


Invite = Callable[..., Invitation]


@pytest.fixture
def invite(admin: User, django_capture_on_commit_callbacks: Any) -> Invite:
    """Invite someone as the administrator, with the e-mail sent (on commit) into the outbox."""

    def make(
        email: str = "budi@sehat.example",
        roles: tuple[Role, ...] = (Role.NURSE,),
        facilities: tuple[Facility, ...] = (),
        **fields: Any,
    ) -> Invitation:
        values: dict[str, Any] = {"full_name": "Budi Santoso", "nik": "", "language": "en"}
        values.update(fields)
        with django_capture_on_commit_callbacks(execute=True):
            return services.invite_member(
                scope=scope_of(admin),
                acting_user=admin,
                email=email,
                roles=roles,
                facilities=facilities,
                **values,
            )

    return make
