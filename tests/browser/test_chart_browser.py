"""The chart in Chromium: the server-rendered SVG is drawn and styled by the static stylesheet
under the strict Content Security Policy (no violation), the period links and the data table work."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import ConsoleMessage, Page, expect
from pytest_django.live_server_helper import LiveServer

from nyeri.accounts.models import User
from nyeri.clinical.chart.selectors import months_before
from nyeri.clinical.models import AssessmentSource, Patient
from tests.browser.conftest import screenshot
from tests.chart.conftest import add, add_encounters, days_ago
from tests.clinical import conftest as clinical
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

# The clinical fixtures: a licensed clinician and a patient.
clinician = clinical.clinician
make_person = clinical.make_person
patient = clinical.patient


def test_the_chart_draws_its_svg_under_the_strict_csp_and_its_controls_work(
    transactional_db: None,
    page: Page,
    live_server: LiveServer,
    clinician: User,
    patient: Patient,
) -> None:
    # Half a day off the whole days, so that no value sits on the window's boundary (the same
    # wall time N months earlier) while the test and the server read the clock apart.
    stamps = [days_ago(3 * n + 1.5) for n in range(40)]
    for n, stamp in enumerate(stamps):
        source = AssessmentSource.PATIENT if n % 2 else AssessmentSource.CLINICIAN
        add(patient, clinician, "nrs", stamp, source=source, total=str(8 - n % 5))
    add(patient, clinician, "peg", days_ago(200), total="6.30")
    add_encounters(patient, clinician, 3)
    problems: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            problems.append(message.text)

    page.on("console", note)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", clinician.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")

    chart = page.locator("svg.trend-chart")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None
    assert box["width"] > 500
    # The stylesheet (not an attribute) colours the points: patient-reported ones are hollow.
    hollow = page.locator("svg.trend-chart circle.pt.patient").first
    filled = page.locator("svg.trend-chart circle.pt.clinician").first
    assert hollow.evaluate("c => getComputedStyle(c).fill") == "rgb(255, 255, 255)"
    assert filled.evaluate("c => getComputedStyle(c).fill") == "rgb(15, 94, 107)"
    expect(page.locator("svg.trend-chart circle.pt")).to_have_count(41)
    expect(page.get_by_test_id("relief")).to_contain_text("rata-rata 7 hari terakhir")
    screenshot(page, "chart-id")

    # The data table is collapsed until asked for.
    table = page.get_by_test_id("chart-data")
    expect(table).to_be_hidden()
    page.locator("details.chart-data summary").click()
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(41)

    # Three months: the PEG of 200 days ago is no longer drawn.
    page.locator('.window-nav a[href="?months=3#trend"]').click()
    expect(page.locator('.window-nav a[aria-current="true"]')).to_have_attribute("href", "?months=3#trend")
    expect(page.locator("svg.trend-chart .m-peg-total")).to_have_count(0)
    since = months_before(timezone.now(), 3)
    in_window = sum(1 for stamp in stamps if stamp >= since)
    expect(page.locator("svg.trend-chart .m-nrs-total circle")).to_have_count(in_window)
    assert not [p for p in problems if re.search(r"Content.Security.Policy|Refused", p)], problems
    assert not problems, problems
