"""Browser helpers for patient registration, for any browser test (e.g. the go-live end-to-end test).

    from tests.browser.patients import register_patient
    patient_id = register_patient(page, live_server, full_name="Euis Komariah", birth_date="1961-04-12",
                                  sex="female", nik="3273015204610001", regency_code="32.73")

The page must be logged in as a member who may register patients (clinical staff or the
administrator). The helper opens the list of patients and its *Register patient* button (or,
for an administrator, who has no patient list, the form itself), fills the form, confirms a
possible duplicate when asked to, and returns the new patient's id. A refusal fails with the
form's errors.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from tests.conftest import PASSWORD


def log_in(page: Page, live_server: LiveServer, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit].primary")
    page.wait_for_load_state()


def open_register_form(page: Page, live_server: LiveServer) -> None:
    response = page.goto(f"{live_server.url}/patients/")
    button = page.get_by_test_id("register-patient")
    if response is not None and response.ok and button.count():
        button.click()
    else:
        page.goto(f"{live_server.url}/patients/new/")
    page.wait_for_selector("[data-testid=register-form]")


def register_patient(
    page: Page,
    live_server: LiveServer,
    *,
    full_name: str,
    birth_date: str,
    sex: str,
    nik: str = "",
    no_nik_reason: str = "",
    other_identifier_kind: str = "",
    other_identifier: str = "",
    phone: str = "",
    address: str = "",
    regency_code: str = "",
    facility: str | None = None,
    confirm_possible_duplicate: bool = False,
) -> int:
    """Register a patient through the page; the new patient's id. ``birth_date``: YYYY-MM-DD;
    ``facility``: the facility's name (default: the first offered)."""
    open_register_form(page, live_server)
    form = page.get_by_test_id("register-form")
    if facility is not None:
        form.locator("select[name=facility]").select_option(label=facility)
    form.locator("input[name=full_name]").fill(full_name)
    form.locator("input[name=birth_date]").fill(birth_date)
    form.locator("select[name=sex]").select_option(sex)
    form.locator("input[name=nik]").fill(nik)
    if no_nik_reason:
        form.locator("select[name=no_nik_reason]").select_option(no_nik_reason)
    if other_identifier_kind:
        form.locator("select[name=other_identifier_kind]").select_option(other_identifier_kind)
    form.locator("input[name=other_identifier]").fill(other_identifier)
    form.locator("input[name=phone]").fill(phone)
    form.locator("input[name=address]").fill(address)
    if regency_code:
        form.locator("select[name=regency_code]").select_option(regency_code)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    if confirm_possible_duplicate and page.get_by_test_id("duplicates").count():
        page.get_by_test_id("register-form").locator("input[name=confirm_possible_duplicate]").check()
        page.get_by_test_id("register-form").locator("button[type=submit]").click()
        page.wait_for_load_state()
    found = re.search(r"/patients/(\d+)/", page.url)
    if found is None:
        errors = page.locator(".field-error, .form-error").all_inner_texts()
        raise AssertionError(f"the patient was not registered: {errors}")
    return int(found.group(1))
