"""A new installation set up in the browser, from an empty database."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from nyeri.tenancy.models import Facility, Organization
from tests.browser.conftest import screenshot, via_menu
from tests.browser.setup_helpers import setup_installation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_empty_installation_is_set_up_in_the_browser(
    page: Page, live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    assert not Organization.objects.exists()
    admin = setup_installation(page, live_server, caplog)

    org = Organization.objects.get()
    assert org.name == "RS Sentosa Makassar"
    assert Facility.objects.get(organization=org).time_zone == "Asia/Makassar"
    screenshot(page, "setup-home")
    # The administrator reaches the organization settings from the navigation.
    via_menu(page.get_by_test_id("organization-link"))
    expect(page).to_have_url(re.compile(r"/organization/$"))
    expect(page.get_by_test_id("facility-list")).to_contain_text("Layanan Nyeri RS Sentosa")

    # A second facility, in Papua: the regency select follows the province.
    page.get_by_test_id("facility-add").click()
    form = page.get_by_test_id("facility-form")
    form.locator("#id_kind").select_option("pain_clinic")
    form.locator("#id_name").fill("Klinik Nyeri Jayapura")
    form.locator("#id_code").fill("klinik-jayapura")
    form.locator("#id_province").select_option("91")
    expect(form.locator("#id_regency option[value='91.71']")).to_have_count(1)
    expect(form.locator("#id_regency option[value='73.71']")).to_have_count(0)
    form.locator("#id_regency").select_option("91.71")
    form.locator("#id_planned_visits_per_week").fill("80")
    form.locator("#id_opens_1").fill("08:00")
    form.locator("#id_closes_1").fill("15:00")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/organization/$"))
    expect(page.locator("tr[data-facility=klinik-jayapura]")).to_contain_text("Asia/Jayapura")
    screenshot(page, "organization-settings")
    # The set-up page is gone for good.
    response = page.goto(f"{live_server.url}/setup/")
    assert response is not None
    assert response.status == 404
    assert admin.totp_code()
