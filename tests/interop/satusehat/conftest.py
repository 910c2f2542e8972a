"""A SATUSEHAT-shaped server on 127.0.0.1 (nyeri.interop.satusehat.fake_server), per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from django.core.cache import cache

from nyeri.interop.satusehat.client import Connection, SatusehatClient
from nyeri.interop.satusehat.fake_server import FakeSatusehat

PATIENT_NIK = "3273010101700001"
PATIENT_IHS = "P02478375538"
PRACTITIONER_NIK = "3171022309800002"
PRACTITIONER_IHS = "10009880728"


@pytest.fixture
def fake_satusehat() -> Iterator[FakeSatusehat]:
    server = FakeSatusehat(
        patients={PATIENT_NIK: PATIENT_IHS}, practitioners={PRACTITIONER_NIK: PRACTITIONER_IHS}, timeout_seconds=1.0
    ).start()
    yield server
    server.stop()


@pytest.fixture
def connection(fake_satusehat: FakeSatusehat) -> Iterator[Connection]:
    made = Connection(
        base_url=fake_satusehat.base_url,
        client_id=fake_satusehat.client_id,
        client_secret=fake_satusehat.client_secret,
        key=uuid.uuid4().hex,
        timeout=0.4,
    )
    yield made
    cache.delete(made.cache_key)


@pytest.fixture
def client(connection: Connection) -> SatusehatClient:
    return SatusehatClient(connection)
