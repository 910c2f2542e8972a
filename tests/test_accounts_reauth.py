"""Re-authentication before sensitive actions: password (and second factor) within REAUTH_MAX_AGE."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.accounts.reauth import (
    ReauthenticationRequired,
    reauthentication_required,
    require_recent_authentication,
)
from nyeri.accounts.session_keys import SESSION_PASSWORD_AT, SESSION_SECOND_FACTOR_AT
from nyeri.audit.models import AuditAction, AuditOutcome
from tests.accounts_fixtures import REAUTH_URL, age_session_value, events, give_second_factor, totp_code, verify
from tests.conftest import PASSWORD, log_in

pytestmark = pytest.mark.django_db

SENSITIVE = "/accounts/tokens/new/"
STALE = settings.REAUTH_MAX_AGE + timedelta(seconds=1)


def test_a_fresh_login_counts_as_a_recent_authentication(nurse_client: Client) -> None:
    assert nurse_client.get(SENSITIVE).status_code == 200


def test_a_stale_session_is_sent_to_re_authenticate_and_then_back(nurse_client: Client, nurse: User) -> None:
    age_session_value(nurse_client, SESSION_PASSWORD_AT, STALE)
    response = nurse_client.get(SENSITIVE)
    assert response.status_code == 302
    assert response["Location"] == f"{REAUTH_URL}?next={quote(SENSITIVE, safe='')}"
    form = nurse_client.get(response["Location"])
    assert form.status_code == 200
    assert "token" not in form.context["form"].fields
    back = nurse_client.post(REAUTH_URL, {"password": PASSWORD, "next": SENSITIVE})
    assert back["Location"] == SENSITIVE
    assert nurse_client.get(SENSITIVE).status_code == 200
    [event] = events(AuditAction.REAUTHENTICATED)
    assert event.actor_id == nurse.pk
    assert event.outcome == AuditOutcome.SUCCESS


def test_a_sensitive_post_on_a_stale_session_does_nothing_and_asks_for_the_password(
    nurse_client: Client, nurse: User
) -> None:
    age_session_value(nurse_client, SESSION_PASSWORD_AT, STALE)
    response = nurse_client.post(SENSITIVE, {"name": "script"})
    assert response["Location"].startswith(REAUTH_URL)
    assert not nurse.api_tokens.exists()


def test_it_asks_again_once_reauth_max_age_has_passed(nurse_client: Client) -> None:
    age_session_value(nurse_client, SESSION_PASSWORD_AT, STALE)
    nurse_client.post(REAUTH_URL, {"password": PASSWORD, "next": SENSITIVE})
    assert nurse_client.get(SENSITIVE).status_code == 200
    later = timezone.now() + STALE
    with mock.patch("django.utils.timezone.now", return_value=later):
        response = nurse_client.get(SENSITIVE)
    assert response.status_code == 302
    assert response["Location"].startswith(REAUTH_URL)


def test_a_wrong_password_is_refused_and_audited(nurse_client: Client, nurse: User) -> None:
    age_session_value(nurse_client, SESSION_PASSWORD_AT, STALE)
    response = nurse_client.post(REAUTH_URL, {"password": "not-the-password", "next": SENSITIVE})
    assert response.status_code == 200
    assert response.context["form"].errors["password"]
    assert nurse_client.get(SENSITIVE).status_code == 302
    [event] = events(AuditAction.REAUTHENTICATED)
    assert event.outcome == AuditOutcome.FAILURE


def test_guessing_the_password_on_the_re_authentication_page_is_throttled(nurse_client: Client) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert nurse_client.post(REAUTH_URL, {"password": "not-the-password"}).status_code == 200
    assert nurse_client.post(REAUTH_URL, {"password": "not-the-password"}).status_code == 429


def test_with_a_second_factor_it_needs_a_code_as_well(client: Client, nurse: User) -> None:
    device, _codes = give_second_factor(nurse)
    log_in(client, nurse)
    verify(client, device)
    assert client.get(SENSITIVE).status_code == 200
    age_session_value(client, SESSION_PASSWORD_AT, STALE)
    age_session_value(client, SESSION_SECOND_FACTOR_AT, STALE)
    assert client.get(SENSITIVE)["Location"].startswith(REAUTH_URL)
    without_code = client.post(REAUTH_URL, {"password": PASSWORD, "next": SENSITIVE})
    assert without_code.status_code == 200
    assert without_code.context["form"].errors["token"]
    wrong_code = client.post(REAUTH_URL, {"password": PASSWORD, "token": "000000", "next": SENSITIVE})
    assert wrong_code.status_code == 200
    assert events(AuditAction.MFA_FAILED)[-1].reason.startswith("reauthentication")
    device.throttle_reset()
    ok = client.post(REAUTH_URL, {"password": PASSWORD, "token": totp_code(device), "next": SENSITIVE})
    assert ok["Location"] == SENSITIVE
    assert client.get(SENSITIVE).status_code == 200


def test_a_fresh_password_with_a_stale_second_factor_is_not_enough(client: Client, nurse: User) -> None:
    device, _codes = give_second_factor(nurse)
    log_in(client, nurse)
    verify(client, device)
    age_session_value(client, SESSION_SECOND_FACTOR_AT, STALE)
    assert client.get(SENSITIVE)["Location"].startswith(REAUTH_URL)


def _request_for(user: User, **session: float) -> HttpRequest:
    request = RequestFactory().get("/somewhere/?x=1")
    request.user = user
    request.session = SessionStore()
    request.session.update(session)
    return request


def test_require_recent_authentication_raises_for_a_stale_session_and_passes_a_fresh_one(nurse: User) -> None:
    with pytest.raises(ReauthenticationRequired):
        require_recent_authentication(_request_for(nurse))
    with pytest.raises(ReauthenticationRequired):
        require_recent_authentication(_request_for(nurse, **{SESSION_PASSWORD_AT: 0.0}))
    require_recent_authentication(_request_for(nurse, **{SESSION_PASSWORD_AT: timezone.now().timestamp()}))


def test_the_decorator_also_catches_the_requirement_raised_inside_the_view(nurse: User) -> None:
    @reauthentication_required
    def view(request: HttpRequest) -> HttpResponse:
        raise ReauthenticationRequired

    response = view(_request_for(nurse, **{SESSION_PASSWORD_AT: timezone.now().timestamp()}))
    assert response.status_code == 302
    assert response["Location"] == f"{REAUTH_URL}?next={quote('/somewhere/?x=1', safe='')}"


def test_the_api_answers_403_with_the_envelope_when_re_authentication_is_needed(nurse_client: Client) -> None:
    age_session_value(nurse_client, SESSION_PASSWORD_AT, STALE)
    body = {"name": "ci", "scopes": ["clinical:read"]}
    response = nurse_client.post("/api/tokens", body, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "reauthentication_required"


def test_the_api_needs_a_fresh_second_factor_to_create_a_token(client: Client, nurse: User) -> None:
    device, _codes = give_second_factor(nurse)
    log_in(client, nurse)
    verify(client, device)
    age_session_value(client, SESSION_SECOND_FACTOR_AT, STALE)
    body = {"name": "ci", "scopes": ["clinical:read"]}
    response = client.post("/api/tokens", body, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "reauthentication_required"
    assert not nurse.api_tokens.exists()
