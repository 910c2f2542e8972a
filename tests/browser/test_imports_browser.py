"""A nurse imports patients from a spreadsheet: the dry run's table, then the import."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from nyeri.clinical.models import Patient
from tests.browser.conftest import screenshot, via_menu
from tests.browser.test_login_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo")]

HEADERS = "Nomor rekam medis,NIK,Nama lengkap,Tanggal lahir,Jenis kelamin,Fasilitas"
GOOD = "RM-IMPOR-1,3273015512880123,Ratna Dewi,15/12/1988,Perempuan,rsud-bandung"


def _file(*lines: str) -> dict[str, object]:
    body = "\n".join([HEADERS, *lines]) + "\n"
    return {"name": "pasien.csv", "mimeType": "text/csv", "buffer": body.encode("utf-8")}


def test_a_nurse_checks_a_patient_file_corrects_it_and_imports_it(page: Page, live_server: LiveServer) -> None:
    log_in(page, live_server, "perawat")
    via_menu(page.locator("nav.mainnav >> [data-testid=imports-link]"))
    page.click("[data-testid=upload-patients]")
    page.set_input_files(
        "input[type=file]", files=[_file(GOOD, "RM-IMPOR-2,,Tanpa Identitas,01/01/1970,Laki-laki,rsud-bandung")]
    )  # type: ignore[list-item]
    page.click("[data-testid=check]")
    problems = page.locator("[data-testid=problems]")
    expect(problems).to_contain_text("Alasan tidak ada NIK")
    expect(page.locator("[data-testid=confirm]")).to_have_count(0)
    screenshot(page, "import-patients-problems")
    page.set_input_files("input[type=file]", files=[_file(GOOD)])  # type: ignore[list-item]
    page.click("[data-testid=check]")
    expect(page.locator("[data-testid=report-summary]")).to_contain_text("Baru: 1 pasien")
    assert not Patient.objects.filter(nik="3273015512880123").exists()
    page.click("[data-testid=confirm]")
    expect(page.locator("h2#result")).to_have_text("Sudah diimpor")
    assert Patient.objects.get(nik="3273015512880123").mrn == "RM-IMPOR-1"
    screenshot(page, "import-patients-done")
