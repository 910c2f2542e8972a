"""Setting up an empty installation through the browser, as its first administrator would.

``setup_installation`` is reusable: the end-to-end go-live test starts from its result.
"""

from __future__ import annotations

import re
import time
from base64 import b32decode
from dataclasses import dataclass

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

CODE_IN_LOG = re.compile(r"set-up code: ([A-Z0-9]{5}(?:-[A-Z0-9]{5}){3})")


@dataclass(frozen=True)
class InstalledAdministrator:
    username: str
    password: str
    # The authenticator's secret (base32), to compute the codes of later logins.
    totp_secret: str
    recovery_codes: tuple[str, ...]

    def totp_code(self, *, at: float | None = None) -> str:
        return totp_now(self.totp_secret, at=at)


def totp_now(secret: str, *, at: float | None = None) -> str:
    """The code an authenticator app shows for ``secret`` (as displayed: groups of four)."""
    raw = secret.replace(" ", "").upper()
    key = b32decode(raw + "=" * (-len(raw) % 8))
    totp = TOTP(key, step=30, t0=0, digits=6)
    totp.time = at if at is not None else time.time()
    return f"{totp.token():06d}"


def setup_code_from_log(caplog: pytest.LogCaptureFixture) -> str:
    """The newest one-time set-up code the server wrote to its log."""
    for record in reversed(caplog.records):
        if record.name == "nyeri.setup":
            found = CODE_IN_LOG.search(record.getMessage())
            if found:
                return found.group(1)
    raise AssertionError("the server logged no set-up code")


def setup_installation(
    page: Page,
    live_server: LiveServer,
    caplog: pytest.LogCaptureFixture,
    *,
    organization: str = "RS Sentosa Makassar",
    organization_kind: str = "hospital",
    facility: str = "Layanan Nyeri RS Sentosa",
    facility_kind: str = "hospital_pain_unit",
    province: str = "73",
    regency: str = "73.71",
    full_name: str = "dr. Rina Sari, Sp.An",
    username: str = "rina",
    email: str = "rina@sentosa.example",
    password: str = "tulang-belakang-2026",
    language: str = "id",
) -> InstalledAdministrator:
    """From an empty installation: /, /setup/ with the logged code, the second factor, the home page.

    Ends logged in as the new administrator (second factor verified), on the first facility's
    dashboard.
    """
    caplog.set_level("WARNING", logger="nyeri.setup")
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/setup/$"))
    code = setup_code_from_log(caplog)

    form = page.get_by_test_id("setup-form")
    form.locator("#id_setup_code").fill(code)
    form.locator("#id_name").fill(organization)
    form.locator("#id_kind").select_option(organization_kind)
    form.locator("#id_facility_name").fill(facility)
    form.locator("#id_facility_kind").select_option(facility_kind)
    form.locator("#id_province").select_option(province)
    # htmx replaces the regency select with the province's regencies.
    expect(form.locator(f"#id_regency option[value='{regency}']")).to_have_count(1)
    form.locator("#id_regency").select_option(regency)
    form.locator("#id_admin_full_name").fill(full_name)
    form.locator("#id_admin_username").fill(username)
    form.locator("#id_admin_email").fill(email)
    form.locator("#id_admin_password").fill(password)
    form.locator("#id_admin_password_again").fill(password)
    form.locator("#id_language").select_option(language)
    form.locator("button[type=submit]").click()

    # Administrators enrol a second factor before anything else.
    expect(page).to_have_url(re.compile(r"/accounts/second-factor/setup/"))
    expect(page.get_by_test_id("mfa-required")).to_be_visible()
    page.get_by_test_id("mfa-start").click()
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    page.fill("input[name=token]", totp_now(secret))
    page.locator("form:has(input[name=token]) button[type=submit]").click()
    # all_inner_texts() does not wait: under load the page may not have arrived yet.
    expect(page.get_by_test_id("recovery-codes").locator("code")).to_have_count(10)
    codes = tuple(page.get_by_test_id("recovery-codes").locator("code").all_inner_texts())
    assert len(codes) == 10
    page.locator("a.button").last.click()
    expect(page).to_have_url(re.compile(r"/facilities/\d+/$"))
    expect(page.locator("h1")).to_have_text(facility)
    return InstalledAdministrator(username, password, secret, codes)
