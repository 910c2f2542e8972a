"""Registering patients in Chromium: the button, the form, a duplicate NIK linking the registered patient."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from nyeri.accounts.models import User
from nyeri.clinical.models import Patient
from tests.browser.conftest import screenshot
from tests.browser.patients import log_in, open_register_form, register_patient

pytestmark = pytest.mark.browser

EUIS = {
    "full_name": "Euis Komariah",
    "birth_date": "1961-04-12",
    "sex": "female",
    "nik": "3273015204610001",
    "phone": "0812 3456 7890",
    "address": "Jl. Dago No. 12",
    "regency_code": "32.73",
}


def test_a_nurse_registers_a_patient_and_a_second_registration_links_the_first(
    transactional_db: None, page: Page, live_server: LiveServer, nurse: User
) -> None:
    log_in(page, live_server, nurse.username)
    patient_id = register_patient(page, live_server, **EUIS)
    patient = Patient.objects.get(pk=patient_id)
    assert (patient.full_name, patient.regency) == ("Euis Komariah", "Kota Bandung")
    expect(page.locator("h1")).to_have_text("Euis Komariah")
    expect(page.locator(".messages")).to_contain_text(patient.mrn)

    # The same NIK again: refused, the error names and links the registered patient.
    open_register_form(page, live_server)
    expect(page.locator("h1")).to_have_text("Daftarkan pasien")
    with pytest.raises(AssertionError, match="sudah terdaftar"):
        register_patient(page, live_server, **{**EUIS, "full_name": "Euis K."})
    link = page.get_by_test_id("duplicate-link")
    expect(link).to_have_attribute("href", f"/patients/{patient_id}/")
    screenshot(page, "patient-register-duplicate-nik")

    # A newborn without a NIK, with the mother's NIK; then a possible duplicate, confirmed.
    baby = register_patient(
        page,
        live_server,
        full_name="Bayi Ny. Euis",
        birth_date="2026-12-01",
        sex="male",
        no_nik_reason="newborn",
        other_identifier_kind="mother_nik",
        other_identifier=EUIS["nik"],
    )
    twin = register_patient(
        page,
        live_server,
        full_name="bayi ny.  EUIS",
        birth_date="2026-12-01",
        sex="male",
        no_nik_reason="unknown",
        other_identifier_kind="other",
        other_identifier="KK-0001",
        confirm_possible_duplicate=True,
    )
    assert baby != twin
    assert Patient.objects.count() == 3
