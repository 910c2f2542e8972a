"""Go live, end to end in Chromium: from an EMPTY installation (no demo) to a clinic's first
patient, everything through the pages, as the people would do it.

/setup/ with the code from the log -> organization, first facility and administrator with a
second factor -> the administrator invites a pain physician, a credentialing officer and a
nurse -> each accepts the link of the e-mail -> the physician enters his STR and SIP with a
PDF as evidence -> the officer checks the evidence and verifies them -> the nurse registers
a patient, the NIK checked against the birth date -> the physician records an NRS and a
diagnosis and signs a prescription for a non-controlled drug.

Each person works in a browser of their own (a Playwright context), so the administrator
stays logged in while the others accept and work.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import time, timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from fpdf import FPDF
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from nyeri.appointments.models import Appointment
from nyeri.audit.verify import verify_chain
from nyeri.clinical.diagnoses.models import Diagnosis
from nyeri.clinical.models import PainAssessment, Patient
from nyeri.facilities.selectors import week_hours
from nyeri.prescriptions.models import Prescription, PrescriptionStatus
from nyeri.tenancy.clock import local_now
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.workforce.kinds import CredentialStatus
from nyeri.workforce.models import Credential, Person
from tests.browser.conftest import screenshot, via_menu
from tests.browser.people import accept, invite
from tests.browser.setup_helpers import setup_installation
from tests.browser.test_appointments_browser import free_slot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FACILITY = "Layanan Nyeri RS Sentosa"
PHYSICIAN = "dr. Budi Santoso, Sp.An-KMN"
STR_NUMBER = "3121100223145678"
SIP_NUMBER = "SIP/503/0042/DPMPTSP/2025"
PATIENT = "Siti Aminah"
# A woman (day 15 + 40) born on 15 March 1968, NIK issued in Kota Makassar (73.71).
NIK = "7371015503680001"

NewPage = Callable[[], Page]


@pytest.fixture
def new_page(browser: Browser) -> Iterator[NewPage]:
    """Another person's browser: a fresh context (own cookies), in Indonesian."""
    contexts = []

    def make() -> Page:
        context = browser.new_context(locale="id-ID")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()


def scanned_document(folder: Path, name: str, text: str) -> Path:
    """A small real PDF, as a scan of the document would be."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(0, 10, text)
    path = folder / name
    pdf.output(str(path))
    return path


def submit_credential(page: Page, fill: Callable[[Page], None], evidence: Path) -> None:
    """From the person's own record, "Add a credential", the form, submitted for verification."""
    via_menu(page.locator("details.usermenu a", has_text="Data saya"))
    expect(page.locator("h1")).to_have_text(PHYSICIAN)
    page.get_by_role("link", name="Tambah kredensial").click()
    expect(page.locator("h1")).to_contain_text(f"Ajukan kredensial {PHYSICIAN}")
    fill(page)
    page.set_input_files("input[name=evidence]", str(evidence))
    page.get_by_role("button", name="Ajukan untuk verifikasi").click()
    expect(page).to_have_url(re.compile(r"/workforce/credentials/\d+/$"))
    expect(page.locator(".messages")).to_contain_text("Kredensial sudah diajukan dan menunggu verifikasi.")
    expect(page.locator("main")).to_contain_text(evidence.name)


def test_an_empty_installation_goes_live_to_its_first_patient_and_prescription(
    page: Page,
    new_page: NewPage,
    live_server: LiveServer,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    User = get_user_model()
    assert not Organization.objects.exists()
    assert not User.objects.exists()

    # 1. The first administrator sets the installation up with the code from the server's log,
    #    and enrols a second factor (setup_installation computes the codes from the secret shown).
    admin = setup_installation(page, live_server, caplog, facility=FACILITY)
    assert len(admin.recovery_codes) == 10
    expect(page.locator("h1")).to_have_text(FACILITY)
    screenshot(page, "go-live-01-administrator-home")

    # 2. The administrator invites a pain physician, a credentialing officer and a nurse.
    links = {
        "budi": invite(
            page, live_server, full_name=PHYSICIAN, email="budi@sentosa.example", roles=[Role.PAIN_PHYSICIAN]
        ),
        "sri": invite(
            page,
            live_server,
            full_name="Sri Wahyuni, S.KM",
            email="sri@sentosa.example",
            roles=[Role.CREDENTIALING_OFFICER],
        ),
        "dewi": invite(
            page, live_server, full_name="Dewi Lestari, S.Kep., Ners", email="dewi@sentosa.example", roles=[Role.NURSE]
        ),
    }
    invitations = page.get_by_test_id("invitation-row")
    expect(invitations).to_have_count(3)
    screenshot(page, "go-live-02-invitations")

    # 3. Each accepts the link of their e-mail, in their own browser, and lands on the facility.
    physician, officer, nurse = new_page(), new_page(), new_page()
    for who, their_page in (("budi", physician), ("sri", officer), ("dewi", nurse)):
        accept(their_page, links[who], username=who)
        expect(their_page).to_have_url(re.compile(r"/facilities/\d+/$"))
        expect(their_page.locator("h1")).to_have_text(FACILITY)
    # The administrator now sees them as members, the invitations used.
    page.goto(f"{live_server.url}/people/")
    for who, role in (("budi", "Dokter manajemen nyeri"), ("sri", "Petugas kredensial"), ("dewi", "Perawat")):
        row = page.locator(f"[data-testid=member-row][data-username={who}]")
        expect(row.locator("[data-testid=member-roles]")).to_have_text(role)
    expect(invitations).to_have_count(0)
    screenshot(page, "go-live-03-members")

    # 4. The physician enters his STR and his SIP for this facility, each with its scan (a PDF).
    def fill_str(form: Page) -> None:
        form.select_option("select[name=kind]", "registration")
        form.fill("input[name=number]", STR_NUMBER)
        form.fill("input[name=issuer]", "Konsil Kesehatan Indonesia")
        form.fill("input[name=issued_on]", "2024-01-10")

    def fill_sip(form: Page) -> None:
        form.select_option("select[name=kind]", "practice_permit")
        form.fill("input[name=number]", SIP_NUMBER)
        form.fill("input[name=issuer]", "DPMPTSP Kota Makassar")
        form.fill("input[name=issued_on]", "2025-02-01")
        form.fill("input[name=expires_on]", "2030-01-31")
        form.select_option("select[name=facility]", label=FACILITY)
        form.fill("input[name=issuer_regency_code]", "73.71")

    submit_credential(physician, fill_str, scanned_document(tmp_path, "str-budi.pdf", f"STR {STR_NUMBER}"))
    submit_credential(physician, fill_sip, scanned_document(tmp_path, "sip-budi.pdf", SIP_NUMBER))
    via_menu(physician.locator("details.usermenu a", has_text="Data saya"))
    credentials = physician.get_by_test_id("credentials")
    expect(credentials.locator("tbody tr")).to_have_count(2)
    expect(credentials).to_contain_text("Surat Tanda Registrasi (STR)")
    expect(credentials).to_contain_text("Surat Izin Praktik (SIP)")
    expect(credentials.locator("tbody tr", has_text="Diajukan")).to_have_count(2)
    screenshot(physician, "go-live-04-credentials-submitted")
    # Not verified yet: he may not prescribe here, and the page says why.
    physician.get_by_role("link", name="Apa yang boleh dilakukan di sini").click()
    prescribe = physician.locator("[data-testid=matrix] tr[data-action=prescribe]")
    expect(prescribe.locator(".badge")).to_have_text("Tidak")
    expect(prescribe).to_contain_text("Surat Tanda Registrasi (STR)")

    # 5. The officer opens the credentialing queue, downloads the evidence and verifies both.
    via_menu(officer.locator("nav.mainnav a", has_text=re.compile(r"^Kredensial$")))
    expect(officer.locator("h1")).to_have_text("Kredensial")
    waiting = officer.locator("tbody tr", has_text=PHYSICIAN)
    expect(waiting).to_have_count(2)
    with officer.expect_download() as download:
        officer.get_by_role("link", name="str-budi.pdf").click()
    evidence_path = download.value.path()
    assert evidence_path is not None
    assert Path(evidence_path).read_bytes().startswith(b"%PDF-")
    screenshot(officer, "go-live-05-credentialing-queue")
    # Each is checked at its source (the medical council's register, the issuing office's
    # letter), recorded on the verification page and confirmed: no one-click verification.
    for still_waiting, source, method in ((1, "kki_str_register", "online_register"), (0, "dinkes_sip", "letter")):
        waiting.first.get_by_role("link", name="Verifikasi pada sumber…").click()
        expect(officer.locator("h1")).to_have_text("Verifikasi pada sumber")
        officer.select_option("select[name=source]", source)
        officer.select_option("select[name=method]", method)
        officer.fill("input[name=checked_on]", timezone.localdate().isoformat())
        officer.fill("textarea[name=attestation]", "Aktif; nomor dan nama sesuai dengan salinan.")
        officer.get_by_role("button", name="Konfirmasi verifikasi").click()
        # Not confirmed yet: the page asks for the confirmation and verifies nothing.
        expect(officer.locator(".field-error")).to_have_count(1)
        officer.check("input[name=confirm]")
        officer.get_by_role("button", name="Konfirmasi verifikasi").click()
        expect(waiting).to_have_count(still_waiting)
        expect(officer.locator(".messages")).to_contain_text(f"{PHYSICIAN}: kredensial terverifikasi.")
    expect(officer.locator("main")).to_contain_text("Tidak ada yang menunggu verifikasi.")
    screenshot(officer, "go-live-06-credentials-verified")
    # Now he may, relying on the two verified documents.
    physician.reload()
    expect(prescribe.locator(".badge")).to_have_text("Ya")
    expect(prescribe).to_contain_text(STR_NUMBER)
    expect(prescribe).to_contain_text(SIP_NUMBER)

    # 6. The nurse registers the patient; a NIK whose birth date contradicts the form is refused
    #    on the birth date field, then corrected.
    via_menu(nurse.locator("nav.mainnav a", has_text=re.compile(r"^Pasien$")))
    nurse.get_by_test_id("register-patient").click()
    form = nurse.get_by_test_id("register-form")
    form.locator("input[name=full_name]").fill(PATIENT)
    form.locator("input[name=birth_date]").fill("1968-05-13")
    form.locator("select[name=sex]").select_option("female")
    form.locator("input[name=nik]").fill(NIK)
    form.locator("input[name=phone]").fill("0812 4455 6677")
    form.locator("input[name=address]").fill("Jl. Pettarani No. 7")
    form.locator("select[name=regency_code]").select_option("73.71")
    form.get_by_role("button", name="Daftarkan pasien", exact=True).click()
    birth_date_error = nurse.locator(".field:has(input[name=birth_date]) .field-error")
    expect(birth_date_error).to_have_text(
        "Tanggal lahir tidak sesuai dengan NIK, yang memuat 15-03-68 (tanggal-bulan-tahun)."
    )
    assert not Patient.objects.exists()
    screenshot(nurse, "go-live-07-nik-contradicts-birth-date")
    form.locator("input[name=birth_date]").fill("1968-03-15")
    form.get_by_role("button", name="Daftarkan pasien", exact=True).click()
    expect(nurse).to_have_url(re.compile(r"/patients/\d+/$"))
    expect(nurse.locator("h1")).to_have_text(PATIENT)
    patient = Patient.objects.get()
    expect(nurse.locator(".messages")).to_contain_text(f"{PATIENT} terdaftar dengan nomor rekam medis {patient.mrn}.")
    screenshot(nurse, "go-live-08-patient-registered")

    # 7. The physician finds her in the list of patients and records an NRS.
    via_menu(physician.locator("nav.mainnav a", has_text=re.compile(r"^Pasien$")))
    physician.get_by_role("link", name=PATIENT).click()
    expect(physician.locator("h1")).to_have_text(PATIENT)
    physician.get_by_role("navigation", name="Rekam medis pasien").get_by_role("link", name="Catat asesmen").click()
    physician.get_by_role("link", name="Skala nyeri numerik, Numeric Rating Scale 0-10 (NRS)", exact=True).click()
    physician.fill("input[name=item_intensity]", "7")
    physician.select_option("select[name=source]", "clinician")
    physician.check("input[name=site_lower_back_back]")
    physician.select_option("select[name=side_lower_back_back]", "midline")
    physician.get_by_role("button", name="Catat asesmen").click()
    expect(physician).to_have_url(re.compile(r"/patients/assessments/\d+/$"))
    expect(physician.locator(".messages")).to_contain_text("Asesmen sudah dicatat; skornya ada di bawah.")
    expect(physician.locator("main")).to_contain_text("Nyeri berat")
    screenshot(physician, "go-live-09-nrs-recorded")

    # 8. ... a diagnosis, its code found by words ...
    physician.goto(f"{live_server.url}/patients/{patient.pk}/")
    physician.get_by_role("navigation", name="Rekam medis pasien").get_by_role("link", name="Daftar masalah").click()
    physician.get_by_role("link", name="Catat diagnosis").click()
    expect(physician.locator("h1")).to_have_text("Catat diagnosis")
    # The search answers as one types (htmx): wait for the page's scripts before typing.
    physician.wait_for_load_state("load")
    physician.wait_for_function("() => window.htmx !== undefined")
    physician.fill("#code-q", "nyeri punggung bawah")
    physician.get_by_test_id("code-results").locator("a[data-code='M54.5']").click()
    diagnosis_form = physician.get_by_test_id("diagnosis-form")
    expect(diagnosis_form.locator("input[name=icd10_code]")).to_have_value("M54.5")
    diagnosis_form.locator("select[name=body_site]").select_option("lower_back")
    diagnosis_form.get_by_role("button", name="Catat diagnosis").click()
    expect(physician.locator(".messages")).to_contain_text("sudah dicatat.")
    expect(physician.get_by_test_id("problems")).to_contain_text("M54.5")
    screenshot(physician, "go-live-10-diagnosis-recorded")

    # 9. ... and signs a prescription of paracetamol (not a controlled drug: no code needed).
    physician.goto(f"{live_server.url}/patients/{patient.pk}/")
    physician.get_by_role("navigation", name="Rekam medis pasien").get_by_role("link", name="Resep").click()
    physician.get_by_role("link", name="Resep baru").click()
    physician.select_option("select[name=items-0-medication]", "paracetamol-500mg-tab")
    physician.fill("input[name=items-0-dose]", "1")
    physician.select_option("select[name=items-0-frequency]", "3")
    physician.fill("input[name=items-0-days]", "7")
    physician.get_by_role("button", name="Simpan dan periksa").click()
    expect(physician).to_have_url(re.compile(r"/prescriptions/\d+/check/$"))
    physician.get_by_test_id("to-sign").click()
    expect(physician.get_by_test_id("legal-statement")).to_have_count(0)
    physician.get_by_role("button", name="Tandatangani resep").click()
    expect(physician.get_by_test_id("status")).to_have_text("Ditandatangani")
    prescriber = physician.get_by_test_id("prescriber")
    expect(prescriber).to_contain_text(PHYSICIAN)
    expect(prescriber).to_contain_text(STR_NUMBER)
    expect(prescriber).to_contain_text(SIP_NUMBER)
    screenshot(physician, "go-live-11-prescription-signed")

    # 10. The administrator gives the facility its opening hours (Organization -> Edit). The
    #     test keeps it open around the clock, so that "now" is within the hours whenever it runs.
    via_menu(page.get_by_test_id("organization-link"))
    page.get_by_test_id("facility-list").locator("tr", has_text=FACILITY).get_by_role("link", name="Ubah").click()
    page.fill("input[name=planned_visits_per_week]", "120")
    for day in range(1, 8):
        page.fill(f"input[name=opens_{day}]", "00:00")
        page.fill(f"input[name=closes_{day}]", "23:59")
    page.get_by_role("button", name="Simpan fasilitas").click()
    expect(page.locator(".messages")).to_be_visible()
    facility = Facility.objects.get(name=FACILITY)
    assert week_hours(facility) == ({day: (time(0), time(23, 59)) for day in range(1, 8)}, True)

    # 11. The nurse books the patient's first visit with the physician from the day's list ...
    budi_person = Person.objects.get(user__username="budi")
    start = free_slot(budi_person, facility)
    if start.date() != (start + timedelta(minutes=20)).date() or start.date() != local_now(facility).date():
        pytest.skip("too close to midnight at the facility to book and check in today")
    via_menu(nurse.get_by_test_id("appointments-link"))
    expect(nurse).to_have_url(re.compile(rf"/appointments/facilities/{facility.pk}/"))
    nurse.get_by_test_id("book").click()
    nurse.fill("#q", PATIENT)
    nurse.get_by_role("button", name="Cari").click()
    nurse.get_by_test_id("patient-results").get_by_role("link", name=PATIENT).first.click()
    nurse.select_option("#id_clinician", str(budi_person.pk))
    nurse.select_option("#id_kind", "new_patient")
    nurse.fill("#id_starts_at", start.strftime("%Y-%m-%dT%H:%M"))
    nurse.select_option("#id_minutes", "20")
    nurse.get_by_test_id("book-submit").click()
    appointment = Appointment.objects.get(patient=patient, clinician=budi_person)
    row = nurse.locator(f"#appointment-{appointment.pk}")
    expect(row).to_contain_text(PATIENT)
    screenshot(nurse, "go-live-12-appointment-booked")

    # ... the physician finds it on his home page among today's appointments ...
    physician.goto(f"{live_server.url}/")
    expect(physician.get_by_test_id("appointments-today").locator(f"#appointment-{appointment.pk}")).to_contain_text(
        PATIENT
    )
    # ... and the patient arrives: checking her in opens the encounter.
    nurse.locator(f"#appointment-{appointment.pk}").get_by_test_id("check-in").click()
    expect(nurse).to_have_url(re.compile(r"/patients/encounters/\d+/$"))
    appointment.refresh_from_db()
    assert appointment.encounter_id is not None
    assert nurse.url.endswith(f"/patients/encounters/{appointment.encounter_id}/")
    screenshot(nurse, "go-live-13-checked-in")
    physician.reload()
    expect(physician.get_by_test_id("checked-in").locator(f"#appointment-{appointment.pk}")).to_be_visible()

    # 12. In the database: what the pages promised.
    org = Organization.objects.get()
    budi = User.objects.get(username="budi")
    assert set(Credential.objects.filter(person__user=budi).values_list("kind", "status", "decided_by__username")) == {
        ("registration", CredentialStatus.VERIFIED, "sri"),
        ("practice_permit", CredentialStatus.VERIFIED, "sri"),
    }
    assert patient.organization_id == org.pk
    assert patient.nik == NIK
    assessment = PainAssessment.objects.get(patient=patient, organization=org)
    assert (assessment.instrument_code, assessment.recorded_by_id) == ("nrs", budi.pk)
    diagnosis = Diagnosis.objects.get(patient=patient, organization=org)
    assert diagnosis.icd10_code == "M54.5"
    prescription = Prescription.objects.get(patient=patient, organization=org)
    assert prescription.status == PrescriptionStatus.SIGNED
    assert not prescription.contains_controlled
    assert (prescription.prescriber_registration, prescription.prescriber_permit) == (STR_NUMBER, SIP_NUMBER)
    result = verify_chain()
    assert result.ok, result.problems
    assert result.chain(org.pk).checked > 0
