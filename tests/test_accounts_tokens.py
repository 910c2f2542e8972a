"""Personal API tokens: created on the profile page or the API, shown once, revocable."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from nyeri.accounts.models import ApiToken, User
from nyeri.accounts.services import create_api_token, revoke_api_token
from nyeri.accounts.tokens import digest
from nyeri.audit.models import AuditAction
from nyeri.tenancy.models import Organization
from nyeri.tenancy.roles import Role
from tests.accounts_fixtures import LOGIN_URL, events
from tests.conftest import PASSWORD, MakeMember

pytestmark = pytest.mark.django_db


CI_TOKEN = {"name": "ci", "scopes": ["clinical:read"]}


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def secret(nurse: User) -> str:
    _token, raw = create_api_token(acting_user=nurse, name="script", expires_in_days=30)
    return raw


# --- The profile page -----------------------------------------------------------------


def test_a_token_created_on_the_page_is_shown_once_and_only_its_digest_is_kept(
    nurse_client: Client, nurse: User
) -> None:
    response = nurse_client.post(
        "/accounts/tokens/new/", {"name": "Laporan harian", "expires_in_days": "7", "scopes": ["clinical:read"]}
    )
    assert response.status_code == 200
    shown = response.context["secret"]
    assert f'data-testid="api-token-secret">{shown}<' in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0, no-cache, no-store")
    token = ApiToken.objects.get(user=nurse)
    assert token.digest == digest(shown.split("_", 2)[2])
    assert shown.split("_")[1] == token.prefix
    assert token.expires_at is not None
    assert timedelta(days=6, hours=23) < token.expires_at - timezone.now() <= timedelta(days=7)
    [event] = events(AuditAction.TOKEN_CREATED)
    assert event.object_id == str(token.pk)
    profile = nurse_client.get("/accounts/profile/").content.decode()
    assert "Laporan harian" in profile
    assert token.prefix in profile
    assert shown not in profile


def test_the_page_refuses_a_token_without_a_name(nurse_client: Client, nurse: User) -> None:
    response = nurse_client.post("/accounts/tokens/new/", {"name": "", "expires_in_days": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not ApiToken.objects.exists()


def test_a_token_is_revoked_from_the_page(nurse_client: Client, nurse: User, secret: str) -> None:
    token = ApiToken.objects.get(user=nurse)
    response = nurse_client.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response["Location"] == "/accounts/profile/"
    token.refresh_from_db()
    assert token.revoked_at is not None
    [event] = events(AuditAction.TOKEN_REVOKED)
    assert event.object_id == str(token.pk)
    assert Client().get("/api/me", **bearer(secret)).status_code == 401


def test_another_users_token_cannot_be_revoked_from_the_page(
    nurse_client: Client, org: Organization, make_member: MakeMember
) -> None:
    other = make_member(org, Role.NURSE, username="dewi")
    token, _raw = create_api_token(acting_user=other, name="theirs", expires_in_days=None)
    assert nurse_client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoking_twice_records_a_single_event(nurse: User, secret: str) -> None:
    token = ApiToken.objects.get(user=nurse)
    revoke_api_token(acting_user=nurse, token=token)
    revoke_api_token(acting_user=nurse, token=token)
    assert len(events(AuditAction.TOKEN_REVOKED)) == 1


# --- Using a token --------------------------------------------------------------------


def test_a_bearer_token_reaches_the_api_as_its_user(client: Client, nurse: User, secret: str) -> None:
    response = client.get("/api/me", **bearer(secret))
    assert response.status_code == 200
    assert response.json()["username"] == nurse.username


def test_last_use_is_recorded_at_most_once_a_minute(client: Client, nurse: User, secret: str) -> None:
    client.get("/api/me", **bearer(secret))
    first = ApiToken.objects.get(user=nurse).last_used_at
    assert first is not None
    client.get("/api/me", **bearer(secret))
    assert ApiToken.objects.get(user=nurse).last_used_at == first
    later = timezone.now() + timedelta(minutes=2)
    with mock.patch("django.utils.timezone.now", return_value=later):
        client.get("/api/me", **bearer(secret))
    assert ApiToken.objects.get(user=nurse).last_used_at == later


def test_a_revoked_token_gets_401_with_the_error_envelope(client: Client, nurse: User, secret: str) -> None:
    revoke_api_token(acting_user=nurse, token=ApiToken.objects.get(user=nurse))
    response = client.get("/api/me", **bearer(secret))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_an_expired_token_gets_401_with_the_error_envelope(client: Client, nurse: User, secret: str) -> None:
    now = timezone.now()
    ApiToken.objects.filter(user=nurse).update(
        created_at=now - timedelta(days=2), expires_at=now - timedelta(seconds=1)
    )
    response = client.get("/api/me", **bearer(secret))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize(
    "presented",
    ["nyeri_000000000000_wrong", "not-a-token", "nyeri_only-two-parts"],
)
def test_a_malformed_or_unknown_token_gets_401(client: Client, secret: str, presented: str) -> None:
    assert client.get("/api/me", **bearer(presented)).status_code == 401


def test_a_token_with_the_right_prefix_and_a_wrong_secret_gets_401(client: Client, secret: str) -> None:
    prefix = secret.split("_")[1]
    assert client.get("/api/me", **bearer(f"nyeri_{prefix}_not-the-secret")).status_code == 401


# --- The token endpoints --------------------------------------------------------------


def test_the_api_lists_only_the_users_own_tokens(
    nurse_client: Client, nurse: User, secret: str, org: Organization, make_member: MakeMember
) -> None:
    other = make_member(org, Role.NURSE, username="dewi")
    create_api_token(acting_user=other, name="theirs", expires_in_days=None)
    response = nurse_client.get("/api/tokens")
    assert response.status_code == 200
    [listed] = response.json()["items"]
    assert listed["name"] == "script"
    assert listed["status"] == "active"
    assert "digest" not in listed
    assert "token" not in listed


def test_the_api_creates_a_token_and_returns_its_secret_once(nurse_client: Client, nurse: User, secret: str) -> None:
    response = nurse_client.post(
        "/api/tokens", {"name": "ci", "expires_in_days": 3, "scopes": ["workforce"]}, content_type="application/json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["token"].startswith(f"nyeri_{body['prefix']}_")
    assert Client().get("/api/me", **bearer(body["token"])).status_code == 200
    listed = nurse_client.get("/api/tokens").json()["items"][0]
    assert "token" not in listed
    # The listed token reads as its creation answered it, without the secret; it has been used since.
    assert listed["last_used_at"] is not None
    assert {**listed, "last_used_at": None} == {key: value for key, value in body.items() if key != "token"}
    older = nurse_client.get("/api/tokens", {"page_size": 1, "page": 2}).json()
    assert (older["count"], older["page"], older["pages"]) == (2, 2, 2)
    assert [t["name"] for t in older["items"]] == ["script"]


def test_the_api_names_the_bad_field_of_a_token_request(nurse_client: Client) -> None:
    response = nurse_client.post(
        "/api/tokens", {"name": "ci", "expires_in_days": 0, "scopes": ["workforce"]}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "expires_in_days"


def test_a_token_cannot_create_another_token(client: Client, secret: str) -> None:
    response = client.post("/api/tokens", {"name": "child"}, content_type="application/json", **bearer(secret))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert ApiToken.objects.count() == 1


def test_a_token_can_revoke_itself_without_csrf(secret: str, nurse: User) -> None:
    token = ApiToken.objects.get(user=nurse)
    client = Client(enforce_csrf_checks=True)
    assert client.delete(f"/api/tokens/{token.pk}", **bearer(secret)).status_code == 204
    assert client.get("/api/me", **bearer(secret)).status_code == 401


def test_revoking_another_users_token_through_the_api_is_not_found(
    nurse_client: Client, org: Organization, make_member: MakeMember
) -> None:
    other = make_member(org, Role.NURSE, username="dewi")
    token, _raw = create_api_token(acting_user=other, name="theirs", expires_in_days=None)
    response = nurse_client.delete(f"/api/tokens/{token.pk}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_session_authenticated_post_without_csrf_is_refused_with_403(nurse: User) -> None:
    client = Client(enforce_csrf_checks=True)
    csrf = client.get(LOGIN_URL).cookies["csrftoken"].value
    logged_in = client.post(LOGIN_URL, {"username": nurse.username, "password": PASSWORD, "csrfmiddlewaretoken": csrf})
    assert logged_in.status_code == 302
    csrf = client.cookies["csrftoken"].value  # rotated at login
    refused = client.post("/api/tokens", CI_TOKEN, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["error"]["message"]
    assert not ApiToken.objects.exists()
    accepted = client.post("/api/tokens", CI_TOKEN, content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert accepted.status_code == 201
