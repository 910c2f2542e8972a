"""Candidates: a confirmed candidate with a logged-in client, and a helper to declare things."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.candidates.models import CandidateProfile
from tests.conftest import PASSWORD


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # The sign-up throttle counts in the cache: each test starts from zero.
    cache.clear()
    yield
    cache.clear()


def make_candidate(
    username: str = "ayu@example.id",
    *,
    language: str = "id",
    regency: str = "Kota Bandung",
    roles: tuple[str, ...] = (),
) -> CandidateProfile:
    user = User.objects.create_user(
        username=username,
        email=username,
        password=PASSWORD,
        full_name=username.split("@")[0].title(),
        language=language,
    )
    profile = CandidateProfile.objects.create(
        user=user,
        email_confirmed_at=timezone.now(),
        preferred_regency=regency,
        preferred_regency_code="32.73" if regency == "Kota Bandung" else "",
    )
    for role in roles:
        profile.target_roles.create(role=role)
    return profile


@pytest.fixture
def candidate(db: None) -> CandidateProfile:
    return make_candidate()


@pytest.fixture
def candidate_client(candidate: CandidateProfile) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": candidate.user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


TODAY = date(2026, 11, 26)
