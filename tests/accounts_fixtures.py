"""Helpers for the accounts tests: real TOTP codes, enrolment, session clock moves."""

from __future__ import annotations

import time
from datetime import timedelta

from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent

SETUP_URL = "/accounts/second-factor/setup/"
VERIFY_URL = "/accounts/verify/"
REAUTH_URL = "/accounts/reauthenticate/"
LOGIN_URL = "/accounts/login/"


def totp_code(device: TOTPDevice) -> str:
    """The code an authenticator app would show now for ``device``, computed from its key.

    Each code is accepted once (django-otp remembers the last time step used); when this
    step is spent, it returns the next step's code, which the device's tolerance of one step
    accepts, as when a phone's clock runs a few seconds ahead.
    """
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    now = time.time()
    totp.time = now
    if totp.t() <= device.last_t:
        totp.time = now + (device.last_t + 1 - totp.t()) * device.step
    return f"{totp.token():0{device.digits}d}"


def give_second_factor(user: User) -> tuple[TOTPDevice, list[str]]:
    """A confirmed authenticator and three recovery codes, made directly (not via the pages)."""
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    static = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    codes = ["abcd2345", "efgh6723", "jklm4567"]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in codes])
    return device, codes


def verify(client: Client, device: TOTPDevice) -> None:
    response = client.post(VERIFY_URL, {"token": totp_code(device)})
    assert response.status_code == 302, response.content


def enrol(client: Client, user: User) -> tuple[TOTPDevice, list[str]]:
    """Set up the authenticator through the pages, as a person would; returns the recovery codes."""
    response = client.post(SETUP_URL, {"action": "start"})
    assert response.status_code == 302, response.content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(SETUP_URL, {"action": "confirm", "token": totp_code(device)})
    assert response.status_code == 200, response.content
    device.refresh_from_db()
    return device, list(response.context["codes"])


def reset_otp_throttling(user: User) -> None:
    """Forget earlier wrong codes, as if the back-off delay (1 s, 2 s, ...) had passed."""
    TOTPDevice.objects.filter(user=user).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    StaticDevice.objects.filter(user=user).update(throttling_failure_count=0, throttling_failure_timestamp=None)


def age_session_value(client: Client, key: str, by: timedelta) -> None:
    """Move a timestamp kept in the client's session ``by`` into the past."""
    session = client.session
    session[key] = float(session[key]) - by.total_seconds()
    session.save()


def session_key(client: Client) -> str:
    return client.cookies["sessionid"].value


def expire_session_in_database(client: Client) -> None:
    Session.objects.filter(pk=session_key(client)).update(expire_date=timezone.now() - timedelta(seconds=1))


def events(action: AuditAction) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def stale_copy(key: str) -> Client:
    """Another browser holding a copy of the session cookie ``key``."""
    copy = Client()
    copy.cookies["sessionid"] = key
    return copy
