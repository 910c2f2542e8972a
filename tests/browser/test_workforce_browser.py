from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from nyeri.tenancy.models import Facility
from nyeri.workforce.models import Person
from tests.browser.conftest import screenshot, via_menu
from tests.browser.test_login_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo")]


def test_a_credentialing_officer_sees_why_a_physician_may_not_prescribe_here(
    page: Page, live_server: LiveServer
) -> None:
    log_in(page, live_server, "kredensial")
    person = Person.objects.get(user__username="dokter.umum")
    sumedang = Facility.objects.get(code="klinik-sumedang")
    page.goto(f"{live_server.url}/workforce/people/{person.pk}/facilities/{sumedang.pk}/matrix/")
    expect(page.locator("h1")).to_contain_text("dr. Fajar Nugraha")
    row = page.locator("tr", has_text="Menulis resep").first
    expect(row).to_contain_text("Tidak")
    expect(row).to_contain_text("Surat Izin Praktik (SIP) kedaluwarsa pada")
    screenshot(page, "matrix-expired-sip-id")
    page.click("form.langswitch button[value=en]")
    row = page.locator("tr", has_text="Prescribe").first
    expect(row).to_contain_text("The practice permit (SIP) expired on")
    screenshot(page, "matrix-expired-sip-en")


def test_the_credentialing_queue_lists_the_pending_background_check(page: Page, live_server: LiveServer) -> None:
    log_in(page, live_server, "kredensial")
    via_menu(page.locator("nav.mainnav >> text=Kredensial"))
    expect(page.locator("main")).to_contain_text("dr. Maya Sari, Sp.N")
    expect(page.locator("main")).to_contain_text("Pemeriksaan latar belakang")
    screenshot(page, "credential-queue")


def test_a_nurse_sees_her_progress_towards_the_pain_nursing_certification(page: Page, live_server: LiveServer) -> None:
    log_in(page, live_server, "perawat")
    via_menu(page.locator("text=Data saya"))
    expect(page.locator("main")).to_contain_text("Sertifikasi keperawatan manajemen nyeri")
    progress = page.locator("progress").first
    expect(progress).to_be_visible()
    value = float(progress.get_attribute("value") or 0)
    maximum = float(progress.get_attribute("max") or 1)
    assert 0.4 <= value / maximum <= 0.6
    screenshot(page, "nurse-certification-progress")


def test_a_compliance_officer_filters_the_audit_trail_and_exports_it(page: Page, live_server: LiveServer) -> None:
    log_in(page, live_server, "kepatuhan")
    via_menu(page.locator("nav.mainnav >> text=Jejak audit"))
    expect(page.locator("h1")).to_have_text("Jejak audit")
    page.select_option("select[name=action]", "login")
    page.click("button[type=submit].primary")
    expect(page.locator("table")).to_contain_text("kepatuhan")
    with page.expect_download() as download:
        page.click("text=Ekspor CSV")
    path = download.value.path()
    assert path is not None
    text = Path(path).read_text(encoding="utf-8")
    assert "login" in text
    screenshot(page, "audit-report")
