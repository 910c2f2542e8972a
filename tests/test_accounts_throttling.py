"""Login throttling with django-axes: username + address pairs, a cool-off, a translated 429."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import F
from django.test import Client

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditOutcome
from tests.accounts_fixtures import LOGIN_URL, events
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LIMIT = settings.AXES_FAILURE_LIMIT


def _fail(client: Client, username: str, times: int, **extra: str) -> None:
    for _ in range(times):
        response = client.post(LOGIN_URL, {"username": username, "password": "wrong-password-1"}, **extra)
        assert response.status_code == 200


def _pass_the_cool_off() -> None:
    # Axes counts only failures newer than now - AXES_COOLOFF_TIME: ageing the recorded
    # attempts is exactly what the passing of time does to them.
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))


def test_it_locks_out_a_username_from_an_address_after_the_failure_limit(client: Client, nurse: User) -> None:
    _fail(client, nurse.username, LIMIT - 1)
    reaching_the_limit = client.post(LOGIN_URL, {"username": nurse.username, "password": "wrong-password-1"})
    assert reaching_the_limit.status_code == 429
    # Even the right password is refused while the pair is locked out.
    with_the_right_password = client.post(LOGIN_URL, {"username": nurse.username, "password": PASSWORD})
    assert with_the_right_password.status_code == 429
    assert 'data-testid="locked-out"' in with_the_right_password.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_audits_the_lockout_and_still_audits_every_failed_login(client: Client, nurse: User) -> None:
    _fail(client, nurse.username, LIMIT - 1)
    client.post(LOGIN_URL, {"username": nurse.username, "password": "wrong-password-1"})
    client.post(LOGIN_URL, {"username": nurse.username, "password": PASSWORD})
    failed = events(AuditAction.LOGIN_FAILED)
    assert len(failed) == LIMIT + 1
    assert [e.reason for e in failed[-2:]] == ["throttled", "throttled"]
    locked = events(AuditAction.LOGIN_LOCKED)
    assert len(locked) == 2
    assert {e.actor_label for e in locked} == {nurse.username}
    assert {e.outcome for e in locked} == {AuditOutcome.DENIED}
    assert not events(AuditAction.LOGIN)


def test_the_lockout_page_is_translated(client: Client, nurse: User) -> None:
    _fail(client, nurse.username, LIMIT - 1)
    indonesian = client.post(LOGIN_URL, {"username": nurse.username, "password": "x"}, HTTP_ACCEPT_LANGUAGE="id")
    assert "Terlalu banyak percobaan gagal" in indonesian.content.decode()
    english = client.post(LOGIN_URL, {"username": nurse.username, "password": "x"}, HTTP_ACCEPT_LANGUAGE="en")
    body = english.content.decode()
    assert english.status_code == 429
    assert "Too many failed attempts" in body
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    assert f"Try again in {minutes} minutes." in body


def test_an_unknown_username_is_locked_out_the_same_way(client: Client, db: None) -> None:
    _fail(client, "nobody-here", LIMIT - 1)
    assert client.post(LOGIN_URL, {"username": "nobody-here", "password": "x"}).status_code == 429


def test_the_lockout_holds_only_for_that_username_and_address(client: Client, nurse: User) -> None:
    _fail(client, nurse.username, LIMIT - 1)
    client.post(LOGIN_URL, {"username": nurse.username, "password": "wrong-password-1"})
    elsewhere = Client(REMOTE_ADDR="10.1.2.3")
    assert elsewhere.post(LOGIN_URL, {"username": nurse.username, "password": PASSWORD}).status_code == 302


def test_the_real_user_can_log_in_again_after_the_cool_off(client: Client, nurse: User) -> None:
    _fail(client, nurse.username, LIMIT - 1)
    assert client.post(LOGIN_URL, {"username": nurse.username, "password": "x"}).status_code == 429
    _pass_the_cool_off()
    response = client.post(LOGIN_URL, {"username": nurse.username, "password": PASSWORD})
    assert response.status_code == 302
    assert len(events(AuditAction.LOGIN)) == 1


def test_it_is_still_locked_out_just_before_the_cool_off_ends(client: Client, nurse: User) -> None:
    _fail(client, nurse.username, LIMIT - 1)
    client.post(LOGIN_URL, {"username": nurse.username, "password": "x"})
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME + timedelta(seconds=30))
    assert client.post(LOGIN_URL, {"username": nurse.username, "password": PASSWORD}).status_code == 429


def test_a_successful_login_resets_the_failure_count(client: Client, nurse: User) -> None:
    _fail(client, nurse.username, LIMIT - 1)
    assert client.post(LOGIN_URL, {"username": nurse.username, "password": PASSWORD}).status_code == 302
    assert not AccessAttempt.objects.filter(username=nurse.username).exists()
    client.post("/accounts/logout/")
    # As many failures again as before do not lock out: the count started from zero.
    _fail(client, nurse.username, LIMIT - 1)
    assert client.post(LOGIN_URL, {"username": nurse.username, "password": PASSWORD}).status_code == 302


def test_changing_the_case_or_adding_spaces_does_not_reset_the_counter(client: Client, nurse: User) -> None:
    variants = [nurse.username.upper(), f" {nurse.username}", nurse.username.title(), f"{nurse.username}  "]
    for name in variants[: LIMIT - 1]:
        client.post(LOGIN_URL, {"username": name, "password": "wrong-password-1"})
    assert client.post(LOGIN_URL, {"username": nurse.username, "password": "x"}).status_code == 429
