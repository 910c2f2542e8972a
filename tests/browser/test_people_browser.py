"""People administration in the browser: invite, accept, then off-board."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from nyeri.tenancy.models import Membership
from nyeri.tenancy.roles import Role
from nyeri.workforce.models import Person
from tests.browser.conftest import screenshot
from tests.browser.people import INVITEE_PASSWORD, invite_and_accept, log_in_as_administrator, log_out
from tests.browser.test_login_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo")]


def test_an_invited_nurse_accepts_works_and_is_off_boarded(page: Page, live_server: LiveServer) -> None:
    user = invite_and_accept(
        page,
        live_server,
        full_name="Dewi Lestari, S.Kep., Ners",
        email="Dewi.Lestari@klinik.example",
        role=Role.NURSE,
        username="dewi",
        facility_codes=["klinik-cimahi"],
        nik="3277014508900002",
    )
    # Her own facility's dashboard.
    expect(page).to_have_url(re.compile(r"/facilities/\d+/$"))
    expect(page.locator("h1")).to_have_text("Klinik Nyeri Cimahi Sehat")
    person = Person.objects.get(user=user)
    assert person.nik == "3277014508900002"
    screenshot(page, "people-invitee-dashboard")
    log_out(page)

    # The administrator deactivates her, with a confirmation page.
    log_in_as_administrator(page, live_server, "admin")
    page.goto(f"{live_server.url}/people/")
    row = page.locator("[data-testid=member-row][data-username=dewi]")
    expect(row.locator("[data-testid=member-roles]")).to_have_text("Perawat")
    screenshot(page, "people-page")
    row.locator("[data-testid=deactivate-member]").click()
    page.fill("input[name=reason]", "Pindah ke rumah sakit lain")
    page.click("[data-testid=confirm-status]")
    expect(page).to_have_url(re.compile(r"/people/$"))
    expect(row.locator("[data-testid=member-status]")).to_have_text("Nonaktif")
    assert not Membership.objects.get(user=user).is_active
    log_out(page)

    # She can no longer log in.
    log_in(page, live_server, "dewi", INVITEE_PASSWORD)
    expect(page.get_by_test_id("login-error")).to_be_visible()


def test_an_invited_administrator_is_asked_to_enrol_a_second_factor(page: Page, live_server: LiveServer) -> None:
    invite_and_accept(
        page,
        live_server,
        full_name="Andi Wijaya",
        email="andi@klinik.example",
        role=Role.ADMINISTRATOR,
        username="andi",
    )
    expect(page).to_have_url(re.compile(r"/accounts/second-factor/setup/"))
