"""Second factor: TOTP enrolment with recovery codes, the verification step, and its rules."""

from __future__ import annotations

import re
from base64 import b32encode
from datetime import timedelta

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from nyeri.accounts.models import User
from nyeri.accounts.session_keys import SESSION_PASSWORD_AT
from nyeri.audit.models import AuditAction, AuditOutcome
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.accounts_fixtures import (
    REAUTH_URL,
    SETUP_URL,
    VERIFY_URL,
    age_session_value,
    enrol,
    events,
    give_second_factor,
    reset_otp_throttling,
    totp_code,
    verify,
)
from tests.conftest import PASSWORD, MakeMember, log_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(org: Organization, facility: Facility, make_member: MakeMember) -> User:
    return make_member(org, Role.ADMINISTRATOR, username="rina")


# --- Enrolment ------------------------------------------------------------------------


def test_starting_enrolment_shows_a_qr_code_and_the_secret_for_typing_in(nurse_client: Client, nurse: User) -> None:
    assert nurse_client.post(SETUP_URL, {"action": "start"}).status_code == 302
    device = TOTPDevice.objects.get(user=nurse)
    assert device.confirmed is False
    page = nurse_client.get(SETUP_URL)
    body = page.content.decode()
    assert re.search(r'<div class="qr" data-testid="totp-qr"><svg viewBox="[^"]+"[^>]*><title>', body)
    secret = b32encode(device.bin_key).decode().rstrip("=")
    assert page.context["secret"].replace(" ", "") == secret
    # Strict CSP: the QR code is inline SVG without inline style or script.
    assert "style=" not in body
    # No inline script (the strict CSP): only the header's menu script, a file.
    assert re.findall(r"<script[^>]*>", body) == ['<script src="/static/nyeri/nav.js" defer>']


def test_an_unconfirmed_authenticator_does_not_count_as_a_second_factor(nurse_client: Client, nurse: User) -> None:
    nurse_client.post(SETUP_URL, {"action": "start"})
    nurse_client.post("/accounts/logout/")
    log_in(nurse_client, nurse)
    assert nurse_client.get("/").status_code == 302
    assert not nurse_client.get("/")["Location"].startswith(VERIFY_URL)


def test_confirming_with_a_current_code_enrols_and_shows_ten_recovery_codes_once(
    nurse_client: Client, nurse: User
) -> None:
    device, codes = enrol(nurse_client, nurse)
    assert device.confirmed is True
    assert len(codes) == 10
    assert len(set(codes)) == 10
    stored = set(StaticToken.objects.filter(device__user=nurse).values_list("token", flat=True))
    assert stored == {c.replace("-", "") for c in codes}
    [event] = events(AuditAction.MFA_ENROLLED)
    assert event.actor_id == nurse.pk
    assert event.object_id == device.persistent_id
    # Shown once: no later page lists them.
    profile = nurse_client.get("/accounts/profile/").content.decode()
    assert codes[0] not in profile
    assert "10" in profile


def test_confirming_with_a_wrong_code_does_not_enrol(nurse_client: Client, nurse: User) -> None:
    nurse_client.post(SETUP_URL, {"action": "start"})
    response = nurse_client.post(SETUP_URL, {"action": "confirm", "token": "000000"})
    assert response.status_code == 200
    assert response.context["form"].errors["token"]
    assert not TOTPDevice.objects.filter(user=nurse, confirmed=True).exists()
    assert not StaticDevice.objects.filter(user=nurse).exists()
    [event] = events(AuditAction.MFA_FAILED)
    assert event.reason == "enrolment"


def test_enrolling_again_replaces_the_authenticator_and_the_recovery_codes(nurse_client: Client, nurse: User) -> None:
    _first, old_codes = enrol(nurse_client, nurse)
    second, new_codes = enrol(nurse_client, nurse)
    assert list(TOTPDevice.objects.filter(user=nurse).values_list("pk", flat=True)) == [second.pk]
    assert not set(old_codes) & set(new_codes)
    assert StaticToken.objects.filter(device__user=nurse).count() == 10


# --- Verification at login ------------------------------------------------------------


def test_a_user_with_a_second_factor_must_verify_before_any_page(client: Client, nurse: User) -> None:
    device, _codes = give_second_factor(nurse)
    response = client.post("/accounts/login/", {"username": nurse.username, "password": PASSWORD, "next": "/"})
    assert response["Location"] == f"{VERIFY_URL}?next=%2F"
    for path in ("/", "/accounts/profile/", "/accounts/reauthenticate/", SETUP_URL):
        page = client.get(path)
        assert page.status_code == 302, path
        assert page["Location"].startswith(VERIFY_URL), path
    # The API does not redirect; it refuses the unverified session.
    assert client.get("/api/me").status_code == 401
    verify(client, device)
    assert client.get("/accounts/profile/").status_code == 200
    assert client.get("/api/me").status_code == 200
    [event] = events(AuditAction.MFA_VERIFIED)
    assert event.actor_id == nurse.pk


def test_the_verification_step_returns_to_the_page_asked_for(client: Client, nurse: User) -> None:
    device, _codes = give_second_factor(nurse)
    log_in(client, nurse)
    response = client.post(VERIFY_URL, {"token": totp_code(device), "next": "/accounts/profile/"})
    assert response["Location"] == "/accounts/profile/"


def test_a_wrong_code_is_refused_and_audited(client: Client, nurse: User) -> None:
    give_second_factor(nurse)
    log_in(client, nurse)
    response = client.post(VERIFY_URL, {"token": "123456"})
    assert response.status_code == 200
    assert response.context["form"].errors["token"]
    assert client.get("/").status_code == 302
    [event] = events(AuditAction.MFA_FAILED)
    assert event.outcome == AuditOutcome.FAILURE


def test_wrong_codes_in_a_row_are_throttled(client: Client, nurse: User) -> None:
    device, _codes = give_second_factor(nurse)
    log_in(client, nurse)
    client.post(VERIFY_URL, {"token": "123456"})
    # Within django-otp's back-off delay even the right code is not checked.
    response = client.post(VERIFY_URL, {"token": totp_code(device)})
    assert response.status_code == 200
    assert events(AuditAction.MFA_FAILED)[-1].reason == "throttled"
    reset_otp_throttling(nurse)
    verify(client, device)


def test_a_recovery_code_passes_the_verification_step_once(nurse: User) -> None:
    _device, codes = give_second_factor(nurse)
    first = log_in(Client(), nurse)
    response = first.post(VERIFY_URL, {"token": codes[0].upper()[:4] + "-" + codes[0][4:]})
    assert response.status_code == 302
    assert events(AuditAction.MFA_VERIFIED)[0].reason == "recovery code"
    assert not StaticToken.objects.filter(token=codes[0]).exists()
    second = log_in(Client(), nurse)
    reused = second.post(VERIFY_URL, {"token": codes[0]})
    assert reused.status_code == 200
    assert reused.context["form"].errors["token"]
    reset_otp_throttling(nurse)
    assert second.post(VERIFY_URL, {"token": codes[1]}).status_code == 302


def test_a_code_of_an_authenticator_is_accepted_only_once(nurse: User) -> None:
    device, _codes = give_second_factor(nurse)
    code = totp_code(device)
    assert log_in(Client(), nurse).post(VERIFY_URL, {"token": code}).status_code == 302
    replay = log_in(Client(), nurse).post(VERIFY_URL, {"token": code})
    assert replay.status_code == 200


# --- Administrators -------------------------------------------------------------------


def test_an_administrator_without_a_second_factor_is_sent_to_enrol_on_every_page(client: Client, admin: User) -> None:
    log_in(client, admin)
    for path in ("/", "/accounts/profile/", "/accounts/tokens/new/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(SETUP_URL), path
    page = client.get(SETUP_URL)
    assert page.status_code == 200
    assert 'data-testid="mfa-required"' in page.content.decode()
    assert client.get("/api/me").status_code == 401
    enrol(client, admin)
    assert client.get("/accounts/profile/").status_code == 200
    assert client.get("/api/me").status_code == 200


def test_an_administrator_with_a_stale_password_re_authenticates_before_enrolling(client: Client, admin: User) -> None:
    log_in(client, admin)
    age_session_value(client, SESSION_PASSWORD_AT, timedelta(hours=1))
    response = client.get(SETUP_URL)
    assert response["Location"].startswith(REAUTH_URL)
    assert client.get(response["Location"]).status_code == 200
    back = client.post(REAUTH_URL, {"password": PASSWORD, "next": SETUP_URL})
    assert back["Location"] == SETUP_URL
    assert client.get(SETUP_URL).status_code == 200


def test_an_administrator_cannot_remove_their_second_factor(client: Client, admin: User) -> None:
    enrol(log_in(client, admin), admin)
    page = client.get("/accounts/second-factor/remove/")
    assert 'data-testid="mfa-remove-refused"' in page.content.decode()
    client.post("/accounts/second-factor/remove/")
    assert TOTPDevice.objects.filter(user=admin, confirmed=True).exists()
    assert not events(AuditAction.MFA_REMOVED)


# --- Recovery codes and removal -------------------------------------------------------


def test_new_recovery_codes_replace_the_old_ones(nurse_client: Client, nurse: User) -> None:
    _device, old_codes = enrol(nurse_client, nurse)
    response = nurse_client.post("/accounts/second-factor/recovery-codes/")
    assert response.status_code == 200
    new_codes = list(response.context["codes"])
    assert len(new_codes) == 10
    assert not set(old_codes) & set(new_codes)
    nurse_client.post("/accounts/logout/")
    again = log_in(Client(), nurse)
    assert again.post(VERIFY_URL, {"token": old_codes[0]}).status_code == 200
    reset_otp_throttling(nurse)
    assert again.post(VERIFY_URL, {"token": new_codes[0]}).status_code == 302


def test_removing_the_second_factor_needs_re_authentication(nurse_client: Client, nurse: User) -> None:
    enrol(nurse_client, nurse)
    age_session_value(nurse_client, SESSION_PASSWORD_AT, timedelta(hours=1))
    response = nurse_client.post("/accounts/second-factor/remove/")
    assert response.status_code == 302
    assert response["Location"].startswith(REAUTH_URL)
    assert TOTPDevice.objects.filter(user=nurse).exists()


def test_removing_the_second_factor_deletes_the_devices_and_is_audited(nurse_client: Client, nurse: User) -> None:
    enrol(nurse_client, nurse)
    response = nurse_client.post("/accounts/second-factor/remove/")
    assert response["Location"] == "/accounts/profile/"
    assert not TOTPDevice.objects.filter(user=nurse).exists()
    assert not StaticDevice.objects.filter(user=nurse).exists()
    [event] = events(AuditAction.MFA_REMOVED)
    assert event.actor_id == nurse.pk
    # The next login needs only the password again.
    nurse_client.post("/accounts/logout/")
    log_in(nurse_client, nurse)
    assert nurse_client.get("/accounts/profile/").status_code == 200
