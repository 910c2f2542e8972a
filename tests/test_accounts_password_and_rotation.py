"""The session key rotates at every change of what a session may do, and a password can be changed.

A key copied before the change (a shared computer, a proxy's log) must open nothing after it.
"""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from nyeri.accounts.models import User, UserSession
from nyeri.audit.models import AuditAction, AuditOutcome
from tests.accounts_fixtures import enrol, events, give_second_factor, session_key, stale_copy, verify
from tests.conftest import PASSWORD, log_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-much-longer-passphrase-42"


def opens_pages(client: Client) -> bool:
    return client.get("/accounts/profile/").status_code == 200


def test_entering_the_second_factor_at_login_rotates_the_key(client: Client, nurse: User) -> None:
    device, _codes = give_second_factor(nurse)
    client.post("/accounts/login/", {"username": nurse.username, "password": PASSWORD})
    before = session_key(client)
    verify(client, device)
    after = session_key(client)
    assert after != before
    assert not Session.objects.filter(pk=before).exists()
    assert UserSession.objects.filter(user=nurse, session_key=after).exists()
    assert opens_pages(client)


def test_enrolling_a_second_factor_rotates_the_key_and_the_old_key_opens_nothing(
    nurse_client: Client, nurse: User
) -> None:
    before = session_key(nurse_client)
    enrol(nurse_client, nurse)
    assert session_key(nurse_client) != before
    assert not opens_pages(stale_copy(before))
    assert opens_pages(nurse_client)


def test_changing_the_password_rotates_the_key_and_ends_the_other_sessions(nurse: User) -> None:
    here = log_in(Client(), nurse)
    elsewhere = log_in(Client(), nurse)
    before = session_key(here)
    response = here.post(
        "/accounts/profile/password/",
        {"old_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert session_key(here) != before
    assert opens_pages(here)
    assert not opens_pages(elsewhere)
    assert not opens_pages(stale_copy(before))
    nurse.refresh_from_db()
    assert nurse.check_password(NEW_PASSWORD)
    (changed,) = [e for e in events(AuditAction.UPDATE) if e.object_type == "password"]
    assert changed.reason == "other sessions ended: 1"


def test_a_wrong_current_password_is_refused_on_its_field_and_audited(nurse_client: Client, nurse: User) -> None:
    response = nurse_client.post(
        "/accounts/profile/password/",
        {"old_password": "not-it", "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert response.context["form"].errors["old_password"] == ["Ini bukan kata sandi Anda saat ini."]  # her language
    nurse.refresh_from_db()
    assert nurse.check_password(PASSWORD)
    (refused,) = [e for e in events(AuditAction.UPDATE) if e.object_type == "password"]
    assert refused.outcome == AuditOutcome.FAILURE


def test_a_weak_or_mistyped_new_password_is_refused_naming_the_field(nurse_client: Client) -> None:
    weak = nurse_client.post(
        "/accounts/profile/password/",
        {"old_password": PASSWORD, "new_password": "12345678901", "new_password_again": "12345678901"},
    )
    assert "new_password" in weak.context["form"].errors
    mistyped = nurse_client.post(
        "/accounts/profile/password/",
        {"old_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD + "x"},
        HTTP_ACCEPT_LANGUAGE="id",
    )
    assert mistyped.context["form"].errors["new_password_again"] == ["Kedua kata sandi baru berbeda."]


def test_the_profile_links_to_the_password_page(nurse_client: Client) -> None:
    assert 'href="/accounts/profile/password/"' in nurse_client.get("/accounts/profile/").content.decode()
