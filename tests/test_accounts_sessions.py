"""Session time-outs (inactivity and absolute lifetime) and deactivating an account."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from nyeri.accounts.models import User, UserSession
from nyeri.accounts.services import create_api_token, deactivate_user
from nyeri.accounts.session_keys import SESSION_LOGIN_AT
from nyeri.audit.models import AuditAction
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.accounts_fixtures import LOGIN_URL, age_session_value, events, expire_session_in_database, session_key
from tests.conftest import MakeMember, log_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(org: Organization, facility: Facility, make_member: MakeMember) -> User:
    return make_member(org, Role.ADMINISTRATOR, username="rina")


# --- Time-outs ------------------------------------------------------------------------


def test_each_request_pushes_the_inactivity_time_out_forward(nurse_client: Client) -> None:
    Session.objects.filter(pk=session_key(nurse_client)).update(expire_date=timezone.now() + timedelta(minutes=1))
    assert nurse_client.get("/accounts/profile/").status_code == 200
    expiry = Session.objects.get(pk=session_key(nurse_client)).expire_date
    assert expiry > timezone.now() + settings.SESSION_IDLE_TIMEOUT - timedelta(minutes=1)


def test_an_idle_session_beyond_the_time_out_is_logged_out(nurse_client: Client) -> None:
    expire_session_in_database(nurse_client)
    response = nurse_client.get("/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
    assert nurse_client.get("/api/me").status_code == 401


def test_a_session_older_than_its_absolute_lifetime_is_logged_out_despite_activity(
    nurse_client: Client, nurse: User
) -> None:
    age_session_value(nurse_client, SESSION_LOGIN_AT, settings.SESSION_ABSOLUTE_LIFETIME + timedelta(seconds=1))
    response = nurse_client.get("/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next=/accounts/profile/"
    [event] = events(AuditAction.SESSION_EXPIRED)
    assert event.actor_id == nurse.pk
    assert event.reason == "absolute lifetime"
    assert not UserSession.objects.filter(user=nurse).exists()
    assert nurse_client.get("/accounts/profile/").status_code == 302


def test_a_session_just_within_its_absolute_lifetime_carries_on(nurse_client: Client) -> None:
    age_session_value(nurse_client, SESSION_LOGIN_AT, settings.SESSION_ABSOLUTE_LIFETIME - timedelta(minutes=1))
    assert nurse_client.get("/accounts/profile/").status_code == 200


def test_an_api_call_on_an_expired_session_gets_401_not_a_redirect(nurse_client: Client) -> None:
    age_session_value(nurse_client, SESSION_LOGIN_AT, settings.SESSION_ABSOLUTE_LIFETIME + timedelta(seconds=1))
    response = nurse_client.get("/api/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_a_session_not_made_by_the_login_page_is_not_trusted(client: Client, nurse: User) -> None:
    client.force_login(nurse)
    assert client.get("/accounts/profile/").status_code == 302
    assert events(AuditAction.SESSION_EXPIRED)[0].reason == "no login time"


# --- Deactivation ---------------------------------------------------------------------


def test_deactivating_a_user_logs_out_every_session_revokes_tokens_and_is_audited(
    nurse: User, admin: User, org: Organization
) -> None:
    laptop = log_in(Client(), nurse)
    phone = log_in(Client(), nurse)
    _token, secret = create_api_token(acting_user=nurse, name="script", expires_in_days=None)
    assert laptop.get("/accounts/profile/").status_code == 200
    keys = [session_key(laptop), session_key(phone)]

    deactivate_user(acting_user=admin, user=nurse, reason="left the hospital")

    for client in (laptop, phone):
        response = client.get("/accounts/profile/")
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN_URL)
    assert not Session.objects.filter(pk__in=keys).exists()
    assert not UserSession.objects.filter(user=nurse).exists()
    assert Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    assert not nurse.api_tokens.filter(revoked_at__isnull=True).exists()
    nurse.refresh_from_db()
    assert nurse.is_active is False
    [event] = events(AuditAction.ACCOUNT_DEACTIVATED)
    assert event.actor_id == admin.pk
    assert event.organization_id == org.pk
    assert event.object_id == str(nurse.pk)
    assert event.reason.startswith("left the hospital")


def test_a_deactivated_user_cannot_log_in_and_gets_the_usual_message(client: Client, nurse: User, admin: User) -> None:
    deactivate_user(acting_user=admin, user=nurse, reason="left")
    response = client.post(LOGIN_URL, {"username": nurse.username, "password": "correct-horse-battery-9"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()


def test_deactivation_leaves_other_users_sessions_alone(
    nurse: User, admin: User, org: Organization, make_member: MakeMember
) -> None:
    colleague = make_member(org, Role.NURSE, username="dewi")
    other = log_in(Client(), colleague)
    deactivate_user(acting_user=admin, user=nurse, reason="left")
    assert other.get("/accounts/profile/").status_code == 200


def test_only_an_administrator_of_the_users_organization_may_deactivate(
    nurse: User, other_org: Organization, other_facility: Facility, make_member: MakeMember, org: Organization
) -> None:
    stranger_admin = make_member(other_org, Role.ADMINISTRATOR, username="lain")
    colleague = make_member(org, Role.NURSE, username="dewi")
    with pytest.raises(PermissionDenied):
        deactivate_user(acting_user=stranger_admin, user=nurse, reason="no")
    with pytest.raises(PermissionDenied):
        deactivate_user(acting_user=colleague, user=nurse, reason="no")
    nurse.refresh_from_db()
    assert nurse.is_active is True
    assert not events(AuditAction.ACCOUNT_DEACTIVATED)


def test_deactivation_needs_a_reason(nurse: User, admin: User) -> None:
    with pytest.raises(ValidationError) as error:
        deactivate_user(acting_user=admin, user=nurse, reason="  ")
    assert "reason" in error.value.message_dict
