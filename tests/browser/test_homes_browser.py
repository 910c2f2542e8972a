"""Each role logs in and finds its work on the home page; the pages they visit pass axe-core
(no serious or critical violation) and never scroll sideways, at 1366 px and at 390 px."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from nyeri.accounts.models import User
from nyeri.clinical.models import Patient
from tests.browser.conftest import screenshot
from tests.browser.people import log_in_as_administrator
from tests.browser.test_login_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo")]

DESKTOP = {"width": 1366, "height": 800}
PHONE = {"width": 390, "height": 844}
AXE = Axe()

# Who logs in, the panels their home shows (Indonesian), and a page each panel links to.
ROLES = [
    ("kredensial", ["Kredensial"]),
    ("apoteker", ["Register obat terkendali"]),
    ("manajer", ["Kebutuhan tenaga", "Lowongan kerja"]),
    ("kepatuhan", ["Akses darurat", "Jejak audit"]),
    ("admin", ["Orang"]),
    ("dokter.nyeri", ["Janji temu hari ini", "Catatan harian pasien", "Tindakan"]),
    ("perawat", ["Janji temu hari ini", "Catatan harian pasien", "Tindakan"]),
]


def check_page(page: Page, label: str) -> None:
    """axe-core finds no serious or critical violation, and the page does not scroll sideways."""
    found = AXE.run(page)
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in found.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{label}: {bad}"
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{label}: scrolls sideways by {overflow}px"


def sign_in(page: Page, live_server: LiveServer, username: str) -> None:
    # The shared machine can be slow to answer the first page of a live server.
    page.set_default_navigation_timeout(60_000)
    user = User.objects.get(username=username)
    if user.memberships.filter(roles__role="administrator").exists():
        log_in_as_administrator(page, live_server, username)
    else:
        log_in(page, live_server, username)


@pytest.mark.parametrize(("username", "titles"), ROLES)
def test_each_role_finds_its_work_on_the_home_page_accessible_at_desktop_and_phone_widths(
    page: Page, live_server: LiveServer, username: str, titles: list[str]
) -> None:
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, username)
    expect(page).to_have_url(re.compile(r"/facilities/\d+/$"))
    panels = page.get_by_test_id("home-panels").locator("article h2")
    expect(panels).to_have_text(titles)
    # The header is one row at 1366 px: the brand, the switcher, the menus and the tools.
    header = page.locator("header.topbar").bounding_box()
    assert header is not None
    assert header["height"] < 70, header
    check_page(page, f"{username} home 1366")
    screenshot(page, f"home-{username}-1366")
    # Every count links to its list: follow the first, check that page too.
    links = page.get_by_test_id("home-panels").locator("ul.tallies a")
    visited = [href for href in links.evaluate_all("els => els.map(e => e.getAttribute('href'))") if href]
    for href in visited[:2]:
        page.goto(f"{live_server.url}{href}")
        expect(page.locator("h1")).to_be_visible()
        check_page(page, f"{username} {href} 1366")
    page.set_viewport_size(PHONE)
    for href in ["/", *visited[:2]]:
        page.goto(f"{live_server.url}{href}")
        check_page(page, f"{username} {href} 390")
    page.goto(f"{live_server.url}/")
    # On a phone the menus are behind one button.
    expect(page.locator("nav.mainnav")).to_be_hidden()
    page.get_by_test_id("nav-toggle").click()
    expect(page.locator("nav.mainnav")).to_be_visible()
    check_page(page, f"{username} menu open 390")
    screenshot(page, f"home-{username}-390")


def test_the_public_job_board_the_audit_trail_and_the_icd_search_fit_a_phone(
    page: Page, live_server: LiveServer
) -> None:
    page.set_viewport_size(PHONE)
    page.set_default_navigation_timeout(60_000)
    page.goto(f"{live_server.url}/jobs/")
    check_page(page, "job board 390")
    log_in(page, live_server, "kepatuhan")
    page.goto(f"{live_server.url}/audit/")
    check_page(page, "audit trail 390")
    screenshot(page, "audit-390")
    page.context.clear_cookies()
    log_in(page, live_server, "dokter.nyeri")
    patient = Patient.objects.filter(registered_at__code="rsud-bandung").order_by("pk").first()
    assert patient is not None
    page.goto(f"{live_server.url}/patients/{patient.pk}/diagnoses/new/")
    page.wait_for_function("() => window.htmx !== undefined")
    page.fill("#code-q", "nyeri punggung bawah")
    expect(page.get_by_test_id("code-results").locator("a[data-code='M54.5']")).to_be_visible()
    check_page(page, "ICD search 390")
    screenshot(page, "icd-search-390")


def test_the_api_link_is_shown_only_to_those_who_hold_a_token(page: Page, live_server: LiveServer) -> None:
    page.set_viewport_size(DESKTOP)
    log_in(page, live_server, "perawat")
    assert page.get_by_test_id("api-link").count() == 0
