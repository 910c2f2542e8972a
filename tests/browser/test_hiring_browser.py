"""From the public board to a hire: a candidate signs up, sees what they miss and applies; the
facility's credentialing officer takes the application through the pipeline and hires them."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from nyeri.hiring.models import Application, Stage
from nyeri.jobs.models import JobPosting, PostingStatus
from nyeri.workforce.kinds import CredentialStatus
from nyeri.workforce.models import Credential
from tests.browser.conftest import screenshot, via_menu
from tests.browser.test_login_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo")]

EMAIL = "intan.permata@kandidat.example"
PASSWORD = "Nyeri-kandidat-2026!"


def test_a_candidate_goes_from_the_board_to_an_application_and_is_hired(page: Page, live_server: LiveServer) -> None:
    posting = JobPosting.objects.filter(status=PostingStatus.OPEN, role="nurse").order_by("pk").first()
    assert posting is not None

    # The public board, no login: find the nurse posting and its "sign up" invitation.
    page.goto(f"{live_server.url}/jobs/?role=nurse")
    page.click(f"a[href='/jobs/{posting.pk}/']")
    expect(page.locator("h1")).to_have_text(posting.title)
    page.click("[data-testid=signup-link]")

    # Registration, then the link of the confirmation e-mail.
    mail.outbox.clear()
    page.fill("input[name=full_name]", "Intan Permata, S.Kep., Ners")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    expect(page).to_have_url(re.compile(r"/candidates/sign-up/done/$"))
    assert len(mail.outbox) == 1
    link = re.search(r"/candidates/confirm/[^/\s]+/", mail.outbox[0].body)
    assert link is not None
    page.goto(live_server.url + link.group(0))
    expect(page.locator("h1")).to_have_text("Alamat surel telah dikonfirmasi")
    log_in(page, live_server, EMAIL, PASSWORD)
    expect(page).to_have_url(re.compile(r"/candidates/profile/$"))

    # The eligibility view before declaring anything: every unmet requirement is listed.
    page.goto(f"{live_server.url}/jobs/{posting.pk}/")
    page.click("[data-testid=apply-link]")
    expect(page.locator("[data-testid=not-eligible]")).to_be_visible()
    unmet = page.locator("[data-testid=unmet] li")
    expect(unmet.first).to_be_visible()
    missing_before = unmet.count()
    assert missing_before >= 2
    expect(page.locator("[data-code=permit_after_hiring]")).to_be_visible()
    screenshot(page, "hiring-eligibility-before-declaring")

    # The profile: the role she looks for, and her STR (declared, unverified).
    page.goto(f"{live_server.url}/candidates/profile/")
    page.check("input[name=target_roles][value=nurse]")
    page.click("form[action='/candidates/profile/'] button[type=submit]")
    page.select_option("form[action='/candidates/profile/credentials/'] select[name=kind]", "registration")
    page.fill("form[action='/candidates/profile/credentials/'] input[name=number]", "STR-3273-2024-001")
    page.fill("form[action='/candidates/profile/credentials/'] input[name=issuer]", "Konsil Kesehatan Indonesia")
    page.fill("form[action='/candidates/profile/credentials/'] input[name=issued_on]", "2024-02-01")
    page.click("form[action='/candidates/profile/credentials/'] button[type=submit]")
    expect(page.locator("main")).to_contain_text("STR-3273-2024-001")

    # Back to the posting: what she declared now meets it; the SIP comes after hiring.
    page.goto(f"{live_server.url}/hiring/apply/{posting.pk}/")
    expect(page.locator("[data-testid=eligible]")).to_be_visible()
    expect(page.locator("[data-code=permit_after_hiring]")).to_be_visible()
    screenshot(page, "hiring-eligibility-before-applying")
    page.fill("textarea[name=note]", "Saya siap bekerja penuh waktu.")
    page.click("[data-testid=apply-form] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/hiring/mine/$"))
    expect(page.locator("[data-testid=stage]").first).to_have_text("Masuk")
    application = Application.objects.get(candidate__user__username=EMAIL)
    via_menu(page.locator("form[action='/accounts/logout/'] button"))

    # The employer: the application among the posting's, ranked; three steps; the hire.
    log_in(page, live_server, "kredensial")
    via_menu(page.locator("[data-testid=applications-link]"))
    page.click(f"a[href='/hiring/postings/{posting.pk}/']")
    expect(page.locator(f"tr[data-application='{application.pk}']")).to_be_visible()
    screenshot(page, "hiring-ranked-applications")
    page.click(f"tr[data-application='{application.pk}'] a")
    expect(page.locator("[data-testid=declared]")).to_contain_text("STR-3273-2024-001")
    for stage in ("Penyaringan", "Wawancara", "Penawaran"):
        page.click("[data-testid=advance-form] button[type=submit]")
        expect(page.locator("[data-testid=stage]")).to_have_text(stage)
    page.click("[data-testid=hire-form] button[type=submit]")
    expect(page.locator("[data-testid=stage]")).to_have_text("Direkrut")
    expect(page.locator("[data-testid=handed-over]")).to_be_visible()
    screenshot(page, "hiring-hired")
    application.refresh_from_db()
    assert application.stage == Stage.HIRED
    registration = Credential.objects.get(person__user__username=EMAIL, kind="registration")
    assert registration.status == CredentialStatus.SUBMITTED

    # The credentialing queue now holds her STR.
    via_menu(page.locator("nav.mainnav >> text=Kredensial"))
    expect(page.locator("main")).to_contain_text("Intan Permata")
