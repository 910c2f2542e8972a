"""The patient diary on a phone: a patient opens their link, records a rating and a PEG in
Indonesian, sees the confirmations, goes back and sends each form again, and each submission
is stored exactly once. And the clinician's side: issuing a link shows it once, with a QR code."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect
from pytest_django.live_server_helper import LiveServer

from nyeri.accounts.models import User
from nyeri.clinical.models import AssessmentSource, DiaryLink, PainAssessment, Patient
from nyeri.tenancy.scope import Scope
from tests.browser.conftest import screenshot
from tests.clinical import conftest as clinical
from tests.conftest import PASSWORD
from tests.diary.conftest import issue

pytestmark = pytest.mark.browser

# The clinical fixtures: a licensed clinician and a patient.
clinician = clinical.clinician
clinician_scope = clinical.clinician_scope
make_person = clinical.make_person
patient = clinical.patient

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Browser, transactional_db: None) -> Iterator[Page]:
    context = browser.new_context(locale="id-ID", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def console_errors(page: Page) -> list[str]:
    errors: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", note)
    return errors


def tap_answer(page: Page, field: str, value: int) -> None:
    option = page.locator(f'label[for="id_{field}_{value}"]')
    box = option.bounding_box()
    assert box is not None
    assert box["height"] >= 44, "a tap target is at least 44 px high"
    option.tap()
    expect(page.locator(f"#id_{field}_{value}")).to_be_checked()


def test_a_patient_records_a_rating_and_a_peg_from_a_phone_and_a_resend_is_stored_once(
    phone: Page, live_server: LiveServer, clinician_scope: Scope, patient: Patient
) -> None:
    token = issue(clinician_scope, patient).token
    errors = console_errors(phone)
    phone.goto(f"{live_server.url}/diary/{token}/")
    expect(phone.locator("html")).to_have_attribute("lang", "id")
    expect(phone.get_by_role("heading", name="Skala nyeri numerik, Numeric Rating Scale 0-10 (NRS)")).to_be_visible()
    expect(phone.locator("nav")).to_have_count(0)
    expect(phone.locator("#diary-nrs button[type=submit]")).to_have_text("Simpan")
    # Phone-sized: nothing wider than the screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "diary-phone-form")

    # The numeric rating.
    tap_answer(phone, "nrs-item_intensity", 6)
    phone.locator("#diary-nrs button[type=submit]").tap()
    saved = phone.get_by_test_id("diary-saved")
    expect(saved).to_be_visible()
    expect(phone.get_by_test_id("again")).to_have_count(0)
    expect(phone.get_by_test_id("score-total")).to_have_text("6 · Nyeri sedang")
    screenshot(phone, "diary-phone-saved")
    assert PainAssessment.objects.filter(instrument_code="nrs").count() == 1

    # Back, and the same form sent again: the same entry, not a second one.
    phone.go_back()
    expect(phone.get_by_test_id("diary-nrs")).to_be_visible()
    tap_answer(phone, "nrs-item_intensity", 6)
    phone.locator("#diary-nrs button[type=submit]").tap()
    expect(phone.get_by_test_id("again")).to_be_visible()
    expect(phone.get_by_test_id("score-total")).to_have_text("6 · Nyeri sedang")
    screenshot(phone, "diary-phone-again")
    assert PainAssessment.objects.filter(instrument_code="nrs").count() == 1

    # The PEG, from the diary page again.
    phone.get_by_test_id("back-to-diary").tap()
    expect(phone.get_by_test_id("today-nrs")).to_contain_text("1")
    peg = phone.get_by_test_id("diary-peg")
    peg.scroll_into_view_if_needed()
    expect(peg.get_by_text("Rata-rata nyeri dalam satu minggu terakhir")).to_be_visible()
    tap_answer(phone, "peg-item_pain_average", 7)
    tap_answer(phone, "peg-item_enjoyment", 5)
    tap_answer(phone, "peg-item_general_activity", 6)
    phone.locator("#diary-peg button[type=submit]").tap()
    expect(phone.get_by_test_id("diary-saved")).to_be_visible()
    expect(phone.get_by_test_id("score-total")).to_have_text("6,0")
    phone.go_back()
    phone.locator("#diary-peg button[type=submit]").tap()
    expect(phone.get_by_test_id("again")).to_be_visible()

    entries = list(PainAssessment.objects.order_by("pk"))
    assert [(e.instrument_code, e.source) for e in entries] == [
        ("nrs", AssessmentSource.PATIENT),
        ("peg", AssessmentSource.PATIENT),
    ]
    assert len({e.submission_key for e in entries}) == 2
    assert errors == [], f"the page logged errors (CSP?): {errors}"


def test_a_peg_with_a_missing_answer_is_named_on_the_phone(
    phone: Page, live_server: LiveServer, clinician_scope: Scope, patient: Patient
) -> None:
    token = issue(clinician_scope, patient).token
    phone.goto(f"{live_server.url}/diary/{token}/")
    tap_answer(phone, "peg-item_pain_average", 7)
    tap_answer(phone, "peg-item_general_activity", 6)
    phone.locator("#diary-peg button[type=submit]").tap()
    problems = phone.get_by_test_id("errors-peg")
    expect(problems).to_be_visible()
    expect(problems).to_contain_text(
        "Seberapa besar nyeri mengganggu kenikmatan hidup dalam satu minggu terakhir: Butir ini harus dijawab."
    )
    # The answers given are kept on the page; nothing was stored.
    expect(phone.locator("#id_peg-item_pain_average_7")).to_be_checked()
    assert not PainAssessment.objects.exists()
    screenshot(phone, "diary-phone-missing-item")
    phone.locator("form.langswitch button[value=en]").tap()
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    expect(phone.get_by_role("heading", name="Numeric Rating Scale for pain, 0-10 (NRS)")).to_be_visible()


def test_a_clinician_issues_a_link_and_sees_it_once_with_a_qr_code(
    browser: Browser, live_server: LiveServer, clinician: User, patient: Patient, transactional_db: None
) -> None:
    context = browser.new_context(locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = console_errors(page)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", clinician.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.goto(f"{live_server.url}/patients/{patient.pk}/diary/")
    page.fill("input[name=valid_days]", "14")
    page.locator("[data-testid=issue-form] button[type=submit]").click()
    url = page.get_by_test_id("diary-url")
    expect(url).to_contain_text(f"{live_server.url}/diary/")
    expect(page.locator("[data-testid=diary-qr] svg")).to_be_visible()
    token = url.inner_text().rsplit("/", 2)[-2]
    screenshot(page, "diary-link-issued")
    link = DiaryLink.objects.get()
    assert (link.expires_at - link.issued_at).days == 14
    page.click(".diary-issued a.button")
    expect(page.get_by_test_id(f"diary-link-{link.pk}")).to_be_visible()
    expect(page.get_by_test_id("diary-links")).not_to_contain_text(token)
    assert errors == []
    context.close()
