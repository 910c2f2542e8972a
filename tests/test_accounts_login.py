from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client

from nyeri.accounts.models import User, UserSession
from nyeri.audit.models import AuditAction, AuditOutcome
from nyeri.tenancy.models import Organization
from nyeri.tenancy.roles import Role
from tests.accounts_fixtures import LOGIN_URL, events, session_key
from tests.conftest import PASSWORD, MakeMember, log_in

pytestmark = pytest.mark.django_db


def _error_of(response: object) -> list[str]:
    form = response.context["form"]  # type: ignore[attr-defined]
    return [str(e) for e in form.non_field_errors()]


def test_it_logs_in_writes_a_login_event_and_records_the_session(client: Client, nurse: User) -> None:
    response = client.post(LOGIN_URL, {"username": nurse.username, "password": PASSWORD})
    assert response.status_code == 302
    [event] = events(AuditAction.LOGIN)
    assert event.actor_id == nurse.pk
    assert event.outcome == AuditOutcome.SUCCESS
    assert UserSession.objects.get(user=nurse).session_key == session_key(client)


def test_it_rotates_the_session_key_at_login(client: Client, nurse: User) -> None:
    # A session that exists before login, as an attacker could plant (session fixation).
    planted = client.session
    planted["visited"] = True
    planted.save()
    before = session_key(client)
    log_in(client, nurse)
    after = session_key(client)
    assert after != before
    assert not Session.objects.filter(pk=before).exists()
    assert Session.objects.filter(pk=after).exists()


def test_it_gives_the_same_message_for_a_wrong_password_an_unknown_user_and_an_inactive_user(
    client: Client, nurse: User, org: Organization, make_member: MakeMember
) -> None:
    inactive = make_member(org, Role.NURSE, username="tuti")
    inactive.is_active = False
    inactive.save()
    wrong_password = client.post(LOGIN_URL, {"username": nurse.username, "password": "not-the-password"})
    unknown_user = client.post(LOGIN_URL, {"username": "nobody-here", "password": "not-the-password"})
    inactive_user = client.post(LOGIN_URL, {"username": "tuti", "password": PASSWORD})
    assert wrong_password.status_code == unknown_user.status_code == inactive_user.status_code == 200
    assert _error_of(wrong_password) == _error_of(unknown_user) == _error_of(inactive_user)
    assert len(_error_of(wrong_password)) == 1


def test_it_audits_each_failed_login_without_telling_whether_the_user_exists(client: Client, nurse: User) -> None:
    client.post(LOGIN_URL, {"username": nurse.username, "password": "not-the-password"})
    client.post(LOGIN_URL, {"username": "nobody-here", "password": "not-the-password"})
    existing, unknown = events(AuditAction.LOGIN_FAILED)
    assert existing.actor_id is None
    assert unknown.actor_id is None
    assert (existing.actor_label, unknown.actor_label) == (nurse.username, "nobody-here")
    assert existing.outcome == unknown.outcome == AuditOutcome.FAILURE
    assert existing.reason == unknown.reason == ""


def test_it_applies_the_users_language_at_login_through_the_language_cookie(
    client: Client, org: Organization, make_member: MakeMember
) -> None:
    user = make_member(org, Role.NURSE, username="kate", language="en")
    response = client.post(LOGIN_URL, {"username": "kate", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="id")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/accounts/profile/", HTTP_ACCEPT_LANGUAGE="id")
    assert '<html lang="en">' in page.content.decode()
    assert user.language == "en"


def test_it_ignores_a_next_address_on_another_site(client: Client, nurse: User) -> None:
    response = client.post(
        LOGIN_URL, {"username": nurse.username, "password": PASSWORD, "next": "https://evil.example/steal"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_it_follows_a_next_address_on_this_site(client: Client, nurse: User) -> None:
    response = client.post(LOGIN_URL, {"username": nurse.username, "password": PASSWORD, "next": "/accounts/profile/"})
    assert response["Location"] == "/accounts/profile/"


def test_logging_out_is_audited_and_ends_the_session(nurse_client: Client, nurse: User) -> None:
    key = session_key(nurse_client)
    response = nurse_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert not Session.objects.filter(pk=key).exists()
    assert not UserSession.objects.filter(session_key=key).exists()
    [event] = events(AuditAction.LOGOUT)
    assert event.actor_id == nurse.pk
    assert nurse_client.get("/").status_code == 302


def test_logging_out_needs_a_post(nurse_client: Client) -> None:
    assert nurse_client.get("/accounts/logout/").status_code == 405
