"""The outcomes report in Chromium: the SVG chart renders under the strict CSP, the CSV downloads."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import ConsoleMessage, Page, expect
from pytest_django.live_server_helper import LiveServer

from nyeri.clinical.assessments import services as assessments
from nyeri.clinical.diagnoses import services as diagnoses
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.browser.conftest import screenshot, via_menu
from tests.conftest import PASSWORD, MakeMember
from tests.diagnoses.conftest import licensed_staff
from tests.outcomes.conftest import make_patient, scope_of

pytestmark = [pytest.mark.browser]


def test_a_physician_reads_the_outcomes_chart_and_exports_it(
    page: Page,
    live_server: LiveServer,
    org: Organization,
    facility: Facility,
    make_member: MakeMember,
    settings: Any,
) -> None:
    # Three patients: cells under 5 would be hidden ("< 5", tested in tests/outcomes); here
    # the chart is drawn from every figure.
    settings.SMALL_NUMBER_MINIMUM = 1
    physician = licensed_staff(make_member, org, facility, Role.PAIN_PHYSICIAN, "dr_budi")
    scope = scope_of(physician)
    baseline = timezone.now() - timedelta(days=250)
    # Three patients from 8 to 4, 8 to 6 and 8 to 2 at both follow-ups: 2 of 3 at least 30 %.
    for n, later in enumerate((4, 6, 2)):
        patient = make_patient(org, facility, f"RM-{n}")
        for day, value in ((0, 8), (90, 8 - (8 - later) // 2), (180, later)):
            assessments.record_assessment(
                scope=scope,
                acting_user=physician,
                patient=patient,
                instrument_code="nrs",
                answers={"intensity": value},
                facility=facility,
                recorded_at=baseline + timedelta(days=day),
            )
        diagnoses.record_diagnosis(
            scope=scope, acting_user=physician, patient=patient, icd10_code="G50.0", icd11_category="MG30.5"
        )
    problems: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            problems.append(message.text)

    page.on("console", note)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "dr_budi")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    via_menu(page.locator("nav.mainnav >> text=Outcomes"))
    day = timezone.localtime(baseline).date()
    page.select_option("select[name=period]", f"{day.year}-{day.month:02d}")  # the baselines' month
    page.click("button[type=submit].primary")
    expect(page.locator("[data-testid=outcomes-summary]")).to_contain_text("3 patients")
    chart = page.locator("svg.outcomes-chart").first
    expect(chart).to_be_visible()
    bar = chart.locator("rect.m6-moderate").first
    expect(bar).to_be_visible()
    # The bar's colour comes from the stylesheet (a refused stylesheet would leave it black).
    assert bar.evaluate("element => getComputedStyle(element).fill") != "rgb(0, 0, 0)"
    expect(page.locator("[data-testid=outcomes-by-category]")).to_contain_text("MG30.5")
    screenshot(page, "outcomes-report")
    with page.expect_download() as download:
        page.click("[data-testid=outcomes-export]")
    path = download.value.path()
    assert path is not None
    text = Path(path).read_text(encoding="utf-8")
    assert "total,total" in text
    assert "RM-0" not in text
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
