"""Shared fixtures: two organizations, so that every test can check the tenant wall."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from nyeri.accounts.models import User
from nyeri.tenancy.models import Facility, Membership, MembershipFacility, MembershipRole, Organization
from nyeri.tenancy.roles import Role
from tests.queries import known_duplicate, no_duplicate_sql

pytest_plugins = ["tests.clock", "tests.migrated"]

PASSWORD = "correct-horse-battery-9"


@pytest.fixture
def org(db: None) -> Organization:
    return Organization.objects.create(name="RS Sehat Sentosa", slug="sehat", kind=Organization.Kind.HOSPITAL)


@pytest.fixture
def other_org(db: None) -> Organization:
    return Organization.objects.create(name="Klinik Lain", slug="lain", kind=Organization.Kind.CLINIC_OPERATOR)


@pytest.fixture
def facility(org: Organization) -> Facility:
    return Facility.objects.create(
        organization=org,
        name="Layanan Nyeri RS Sehat",
        code="rs-sehat",
        kind=Facility.Kind.HOSPITAL_PAIN_UNIT,
        province="Jawa Barat",
        regency="Kota Bandung",
        regency_code="32.73",
    )


@pytest.fixture
def other_facility(other_org: Organization) -> Facility:
    return Facility.objects.create(
        organization=other_org,
        name="Klinik Nyeri Lain",
        code="lain",
        kind=Facility.Kind.PAIN_CLINIC,
        province="Jawa Timur",
        regency="Kota Surabaya",
        regency_code="35.78",
    )


MakeMember = Callable[..., User]


@pytest.fixture
def make_member(db: None) -> MakeMember:
    """A user with a membership in ``organization`` holding ``roles``."""

    def make(
        organization: Organization,
        *roles: Role,
        username: str | None = None,
        facilities: tuple[Facility, ...] = (),
        language: str = "id",
    ) -> User:
        name = username or f"user{User.objects.count() + 1}"
        user = User.objects.create_user(username=name, password=PASSWORD, full_name=name.title(), language=language)
        membership = Membership.objects.create(organization=organization, user=user)
        MembershipRole.objects.bulk_create(
            [MembershipRole(organization=organization, membership=membership, role=r) for r in roles]
        )
        MembershipFacility.objects.bulk_create(
            [MembershipFacility(organization=organization, membership=membership, facility=f) for f in facilities]
        )
        return user

    return make


@pytest.fixture
def committee(make_member: MakeMember, org: Organization) -> User:
    """A member of the medical committee (Komite Medik; the privilege tests)."""
    return make_member(org, Role.COMMITTEE_MEMBER, username="komite_budi", language="en")


@pytest.fixture
def nursing_committee(make_member: MakeMember, org: Organization) -> User:
    """A member of the nursing committee (Komite Keperawatan)."""
    return make_member(org, Role.NURSING_COMMITTEE_MEMBER, username="komkep_wati", language="en")


@pytest.fixture
def director(make_member: MakeMember, org: Organization) -> User:
    """The director, who grants privileges on a committee's recommendation."""
    return make_member(org, Role.DIRECTOR, username="direktur_ani", language="en")


@pytest.fixture
def nurse(org: Organization, facility: Facility, make_member: MakeMember) -> User:
    return make_member(org, Role.NURSE, username="siti")


@pytest.fixture
def nurse_client(nurse: User) -> Client:
    """A client logged in through the real login page (so session bookkeeping is real)."""
    client = Client()
    response = client.post("/accounts/login/", {"username": nurse.username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def log_in(client: Client, user: User, password: str = PASSWORD) -> Client:
    """Log ``client`` in through the real login page, as a person would."""
    response = client.post("/accounts/login/", {"username": user.username, "password": password})
    assert response.status_code == 302, response.content
    return client


@pytest.fixture(autouse=True)
def english_until_a_test_says_otherwise() -> Iterator[None]:
    """Each test starts with English active, and whatever it activates is undone after it.

    Django keeps the active language per thread: without this, a test that calls a service and
    reads its message got the language of the previous test's last request, so it passed or
    failed by the order of the run. Pages are unaffected (the locale middleware picks the
    request's language); a test that wants Indonesian says so (``translation.override("id")``).
    """
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def api_requests_without_duplicate_sql(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request a test sends to the API fails on a statement run twice (tests/queries.py)."""
    real = Client.request

    def request(self: Client, **environ: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/api/"):
            return real(self, **environ)
        method = environ.get("REQUEST_METHOD", "")
        with no_duplicate_sql(f"{method} {path}", known=known_duplicate(method, path)):
            return real(self, **environ)

    monkeypatch.setattr(Client, "request", request)


@pytest.fixture(autouse=True, scope="session")
def live_server_threads_close_only_their_own_connections() -> Iterator[None]:
    """The live server's request threads borrow the tests' in-memory SQLite connection
    (``connections_override``) and, on closing a request, close every connection they see.

    A request that ends after its test (a keep-alive socket a client closes late, a page left
    in flight) then closes the borrowed connection from the wrong thread once the tests stopped
    sharing it: Django raises in that thread and pytest reports it under some later test.
    Closing an in-memory SQLite connection is a no-op anyway, so the thread closes only the
    connections it opened. Django names ``_close_connections`` as the hook for tests.
    """
    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.db import connections

    def close_own_connections(server: ThreadedWSGIServer) -> None:
        borrowed = {id(c) for c in (server.connections_override or {}).values()}
        for conn in connections.all(initialized_only=True):
            if id(conn) not in borrowed:
                conn.close()

    original = ThreadedWSGIServer._close_connections
    ThreadedWSGIServer._close_connections = close_own_connections  # type: ignore[method-assign]
    yield
    ThreadedWSGIServer._close_connections = original  # type: ignore[method-assign]
