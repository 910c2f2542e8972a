from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from nyeri.demo.data import DEMO_PASSWORD
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo")]


def log_in(page: Page, live_server: LiveServer, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit].primary")


def test_a_nurse_logs_in_and_sees_her_facility_dashboard_in_indonesian(page: Page, live_server: LiveServer) -> None:
    log_in(page, live_server, "perawat")
    expect(page).to_have_url(re.compile(r"/facilities/\d+/$"))
    expect(page.locator("h1")).to_have_text("Layanan Nyeri RSUD Kota Bandung")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    # The nurse's home: her patients' diaries and the day's procedures (issue 13), not a staff count.
    expect(page.get_by_role("heading", name="Tindakan")).to_be_visible()
    screenshot(page, "dashboard-id")


def test_switching_to_english_translates_the_dashboard(page: Page, live_server: LiveServer) -> None:
    log_in(page, live_server, "perawat")
    page.click("form.langswitch button[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Procedures")).to_be_visible()
    page.locator("details.usermenu > summary").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    screenshot(page, "dashboard-en")


def test_a_failed_login_shows_the_translated_error(page: Page, live_server: LiveServer) -> None:
    log_in(page, live_server, "perawat", "wrong-password-123")
    error = page.get_by_test_id("login-error")
    expect(error).to_contain_text("Nama pengguna atau kata sandi tidak benar")
    page.click("form.langswitch button[value=en]")
    log_in(page, live_server, "perawat", "wrong-password-123")
    expect(page.get_by_test_id("login-error")).to_contain_text("The username or password is not correct")
    screenshot(page, "login-failed-en")


def test_an_administrator_without_a_second_factor_is_sent_to_enrol(page: Page, live_server: LiveServer) -> None:
    log_in(page, live_server, "admin")
    expect(page).to_have_url(re.compile(r"/accounts/second-factor/setup/"))
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/second-factor/setup/"))
    screenshot(page, "admin-mfa-setup")
