"""A candidate downloads a copy of their data from their profile, then erases their account."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.candidates.models import CandidateProfile
from nyeri.tenancy.models import Organization
from tests.browser.conftest import screenshot
from tests.browser.test_login_browser import log_in
from tests.candidates.conftest import make_candidate
from tests.conftest import PASSWORD
from tests.hiring.conftest import declare

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_a_candidate_exports_their_data_and_erases_their_account(
    page: Page, live_server: LiveServer, org: Organization
) -> None:
    # (An organization exists: without one, every page leads to the go-live set-up.)
    profile = make_candidate("ayu@example.id")
    declare(profile, "registration")
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    log_in(page, live_server, "ayu@example.id", PASSWORD)
    expect(page).to_have_url(re.compile(r"/candidates/profile/$"))

    page.click("[data-testid=own-data-link]")
    expect(page.locator("h1")).to_have_text("Data pribadi Anda")
    page.select_option("select[name=file_format]", "json")
    with page.expect_download() as download:
        page.click("[data-testid=export]")
    body = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert body["language"] == "id"
    assert "candidates.candidatecredential" in {s["key"] for s in body["sections"]}
    screenshot(page, "privacy-own-data")

    page.click("[data-testid=erase-start]")
    page.click("[data-testid=erase-confirm]")
    expect(page.locator(".field-error")).to_be_visible()
    page.check("input[name=confirm]")
    page.click("[data-testid=erase-confirm]")
    expect(page.locator("[data-testid=erased]")).to_have_text("Akun Anda telah dihapus")
    screenshot(page, "privacy-erased")

    user = User.objects.get(pk=profile.user_id)
    assert user.username == f"erased-{user.pk}"
    assert not CandidateProfile.objects.filter(pk=profile.pk).exists()
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, actor=user).count() == 1
    # The strict CSP let every script of these pages run.
    assert not [e for e in errors if "Content Security Policy" in e]
