"""Prescriptions in Chromium (nyeri/prescriptions, docs/prescriptions.md): a pain physician
writes, checks and signs a controlled prescription with the code of the authenticator app;
a nurse sees why she may not prescribe."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from nyeri.accounts.models import User
from nyeri.clinical.models import Patient
from nyeri.prescriptions.models import Prescription, PrescriptionStatus
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.accounts_fixtures import give_second_factor, totp_code
from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD, MakeMember
from tests.prescriptions.conftest import make_patient, staff

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture
def physician(make_member: MakeMember, org: Organization, facility: Facility) -> User:
    return staff(make_member, org, facility, Role.PAIN_PHYSICIAN, "andi", controlled=True)


@pytest.fixture
def licensed_nurse(make_member: MakeMember, org: Organization, facility: Facility) -> User:
    return staff(make_member, org, facility, Role.NURSE, "siti")


@pytest.fixture
def patient(org: Organization, facility: Facility) -> Patient:
    return make_patient(org, facility, "RM-1", "Euis Komalasari")


@pytest.fixture
def device(physician: User) -> TOTPDevice:
    return give_second_factor(physician)[0]


def log_in(page: Page, live_server: LiveServer, user: User) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")


def test_a_physician_signs_a_controlled_prescription_with_the_code(
    page: Page, live_server: LiveServer, physician: User, patient: Patient, device: TOTPDevice
) -> None:
    log_in(page, live_server, physician)
    page.fill("input[name=token]", totp_code(device))
    page.click("main button[type=submit]")
    page.click("form.langswitch button[value=en]")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_role("link", name="Prescriptions").click()
    page.get_by_role("link", name="New prescription").click()
    page.select_option("select[name=items-0-medication]", "oxycodone-10mg-tab-er")
    page.fill("input[name=items-0-dose]", "1")
    page.select_option("select[name=items-0-frequency]", "2")
    page.fill("input[name=items-0-days]", "14")
    page.select_option("select[name=items-1-medication]", "paracetamol-500mg-tab")
    page.fill("input[name=items-1-dose]", "2")
    page.select_option("select[name=items-1-frequency]", "3")
    page.fill("input[name=items-1-days]", "7")
    screenshot(page, "prescription-new")
    page.get_by_role("button", name="Save and check").click()
    expect(page).to_have_url(re.compile(r"/prescriptions/\d+/check/$"))
    expect(page.get_by_test_id("mme-total")).to_contain_text("30")
    screenshot(page, "prescription-check")
    page.get_by_test_id("to-sign").click()
    expect(page.get_by_test_id("legal-statement")).to_contain_text("I sign this prescription electronically")
    screenshot(page, "prescription-sign")
    page.get_by_role("button", name="Sign with the code").click()
    expect(page.locator(".field-error")).to_be_visible()
    page.fill("input[name=code]", totp_code(device))
    page.get_by_role("button", name="Sign with the code").click()
    expect(page.get_by_test_id("status")).to_have_text("Signed")
    expect(page.get_by_test_id("prescriber")).to_contain_text("SIP-andi")
    screenshot(page, "prescription-signed")
    assert Prescription.objects.get().status == PrescriptionStatus.SIGNED


def test_a_nurse_sees_the_reasons_she_may_not_prescribe(
    page: Page, live_server: LiveServer, licensed_nurse: User, patient: Patient
) -> None:
    log_in(page, live_server, licensed_nurse)
    page.goto(f"{live_server.url}/patients/{patient.pk}/prescriptions/")
    refused = page.get_by_test_id("refused")
    expect(refused).to_contain_text("Needs one of these roles")
    page.click("form.langswitch button[value=id]")
    expect(page.get_by_test_id("refused")).to_contain_text("Memerlukan salah satu peran berikut")
    screenshot(page, "prescription-refused-id")
