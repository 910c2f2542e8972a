"""The profile page: who you are, your roles, your language, second factor and API tokens."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.hashers import identify_hasher
from django.test import Client, override_settings
from django.utils import timezone
from django.utils.formats import date_format

import nyeri.settings as production_settings
from nyeri.accounts.models import User
from nyeri.accounts.services import create_api_token
from nyeri.audit.models import AuditAction
from nyeri.tenancy.models import Organization
from nyeri.tenancy.roles import Role
from tests.accounts_fixtures import enrol, events
from tests.conftest import PASSWORD, MakeMember, log_in

pytestmark = pytest.mark.django_db


def test_the_profile_shows_name_username_and_roles_in_the_organization(
    client: Client, org: Organization, make_member: MakeMember
) -> None:
    user = make_member(org, Role.PAIN_PHYSICIAN, Role.COMPLIANCE_OFFICER, username="andi", language="en")
    log_in(client, user)
    page = client.get("/accounts/profile/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Andi" in body
    assert "andi" in body
    assert org.name in body
    assert page.context["roles"] == sorted([str(Role.COMPLIANCE_OFFICER.label), str(Role.PAIN_PHYSICIAN.label)])


def test_the_profile_of_a_user_without_an_organization_still_opens(client: Client, db: None) -> None:
    user = User.objects.create_user(username="lone", password=PASSWORD)
    log_in(client, user)
    page = client.get("/accounts/profile/")
    assert page.status_code == 200
    assert page.context["roles"] == []


def test_the_profile_shows_the_second_factor_status_and_actions(nurse_client: Client, nurse: User) -> None:
    before = nurse_client.get("/accounts/profile/")
    assert before.context["second_factor"].enrolled is False
    assert "/accounts/second-factor/setup/" in before.content.decode()
    enrol(nurse_client, nurse)
    after = nurse_client.get("/accounts/profile/")
    body = after.content.decode()
    assert after.context["second_factor"].enrolled is True
    assert after.context["second_factor"].recovery_codes_left == 10
    assert "/accounts/second-factor/recovery-codes/" in body
    assert "/accounts/second-factor/remove/" in body


def test_the_profile_lists_the_tokens_with_their_status_scopes_and_last_use(nurse_client: Client, nurse: User) -> None:
    token, secret = create_api_token(acting_user=nurse, name="Laporan", expires_in_days=None, scopes=["clinical:read"])
    page = nurse_client.get("/accounts/profile/")
    assert page.context["tokens"] == [(token, "active", ["Rekam klinis, hanya baca"])]
    assert f"/accounts/tokens/{token.pk}/revoke/" in page.content.decode()
    assert Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    shown = nurse_client.get("/accounts/profile/").content.decode()
    last_used = shown.split('data-testid="token-last-used">', 1)[1].split("<", 1)[0]
    # In the installation's zone (a token belongs to no facility), with its label.
    assert last_used == date_format(timezone.localtime(token.last_used_at), "SHORT_DATETIME_FORMAT") + " WIB"


def test_saving_the_language_preference_stores_it_sets_the_cookie_and_is_audited(
    nurse_client: Client, nurse: User
) -> None:
    response = nurse_client.post("/accounts/profile/language/", {"language": "en"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    nurse.refresh_from_db()
    assert nurse.language == "en"
    page = nurse_client.get("/accounts/profile/")
    assert '<html lang="en">' in page.content.decode()
    assert "Your language preference is saved." in page.content.decode()
    [event] = events(AuditAction.UPDATE)
    assert event.object_type == "user"
    assert event.reason == "language: id -> en"


def test_an_unknown_language_is_refused(nurse_client: Client, nurse: User) -> None:
    response = nurse_client.post("/accounts/profile/language/", {"language": "xx"})
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    nurse.refresh_from_db()
    assert nurse.language == "id"


def test_a_password_is_stored_with_argon2_by_the_production_hasher_list(db: None) -> None:
    assert production_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=production_settings.PASSWORD_HASHERS):
        user = User.objects.create_user(username="argon", password=PASSWORD)
        assert user.password.startswith("argon2$argon2id$")
        assert identify_hasher(user.password).algorithm == "argon2"
        assert user.check_password(PASSWORD)
        assert not user.check_password("not-the-password")
