"""Clinical privileges in Chromium (issue 17, "Done when"): a physician requests
"interventional pain procedures under fluoroscopy"; the medical committee sees the file with
the practitioner's own care and recommends; the director grants it for three years; the RKK
and SPK PDFs read correctly (their text extracted); the first procedure waits for a proctor;
at the end date the privilege lapses and the engine refuses the procedure, naming it."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader
from pytest_django.live_server_helper import LiveServer

from nyeri.accounts.models import User
from nyeri.facilities.models import Equipment
from nyeri.procedures import services as procedures
from nyeri.procedures.refusals import ProcedureRefused
from nyeri.tenancy.clock import local_date
from nyeri.tenancy.models import Facility
from nyeri.workforce.engine.periods import valid_through
from nyeri.workforce.models import PrivilegeGrant, ProctoredCase
from nyeri.workforce.privileges import services as privileges
from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD
from tests.procedures.conftest import (  # noqa: F401 - fixtures used by name
    Order,
    Staff,
    add_unit,
    admin,
    c_arm,
    make_staff,
    nurse,
    order,
    patient,
    physician,
    radiographer,
    scope_of,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]
FLUORO_EN = "Interventional pain procedures under fluoroscopy"


def logged_in(browser: Browser, live_server: LiveServer, user: User) -> Page:
    page = browser.new_context(locale="en-US").new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.click("form.langswitch button[value=en]")
    return page


def pdf_text(page: Page, url: str) -> str:
    response = page.request.get(url)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)


def test_request_committee_director_pdfs_proctor_and_lapse(
    browser: Browser,
    live_server: LiveServer,
    admin: User,  # noqa: F811
    facility: Facility,
    physician: Staff,  # noqa: F811
    nurse: Staff,  # noqa: F811
    radiographer: Staff,  # noqa: F811
    c_arm: Equipment,  # noqa: F811
    order: Order,  # noqa: F811
    committee: User,
    director: User,
) -> None:
    privileges.require_privileges(
        scope=scope_of(admin), acting_user=admin, facility=facility, privileges=["fluoroscopy_interventional"]
    )
    # 1. The physician requests the privilege.
    doctor = logged_in(browser, live_server, physician.user)
    doctor.goto(f"{live_server.url}/workforce/privileges/")
    doctor.select_option("select[name=privilege]", "fluoroscopy_interventional")
    doctor.select_option("select[name=facility]", str(facility.pk))
    doctor.get_by_role("button", name="Request").click()
    expect(doctor).to_have_url(re.compile(r"/workforce/privileges/requests/\d+/$"))
    expect(doctor.get_by_test_id("request-status")).to_contain_text("Waiting for the committee")
    request_url = doctor.url

    # 2. The committee sees the file (prerequisites, credentials, the practitioner's care) and recommends.
    member = logged_in(browser, live_server, committee)
    member.goto(f"{live_server.url}/workforce/privileges/")
    member.get_by_test_id("committee-queue").get_by_role("link").first.click()
    expect(member.get_by_test_id("prerequisites")).to_contain_text("met")
    expect(member.get_by_test_id("file-credentials")).to_contain_text("Practice permit (SIP)")
    expect(member.get_by_test_id("practice")).to_contain_text("Procedures performed")
    expect(member.get_by_test_id("practice")).to_contain_text("Prescriptions signed")
    screenshot(member, "privilege-committee-file")
    member.fill("textarea[name=reasons]", "Sp.An, KMN; complete file; outcomes reviewed.")
    member.get_by_role("button", name="Record the review").click()
    expect(member.get_by_test_id("request-status")).to_contain_text("Recommended by the committee")

    # 3. The director grants it for three years.
    head = logged_in(browser, live_server, director)
    head.goto(request_url)
    head.fill("input[name=years]", "3")
    head.get_by_role("button", name="Grant").click()
    expect(head).to_have_url(re.compile(r"/workforce/privileges/grants/\d+/$"))
    grant = PrivilegeGrant.objects.get()
    today = local_date(facility)
    assert grant.starts_on == today
    assert grant.ends_on == valid_through(today, 36)
    expect(head.get_by_test_id("grant-period")).to_contain_text(str(grant.ends_on.year))
    screenshot(head, "privilege-grant")

    # 4. The RKK and SPK read correctly, in both languages.
    rkk_en = pdf_text(head, f"{request_url}rkk.pdf?lang=en")
    assert "Clinical privileges recommended (RKK)" in rkk_en
    assert physician.person.full_name in rkk_en
    assert FLUORO_EN in rkk_en
    assert "Recommended" in rkk_en
    assert "complete file" in rkk_en
    assert "met" in rkk_en
    rkk_id = pdf_text(head, f"{request_url}rkk.pdf?lang=id")
    assert "Tindakan intervensi nyeri dengan panduan fluoroskopi" in rkk_id
    assert "RKK" in rkk_id
    spk_url = f"{live_server.url}/workforce/privileges/grants/{grant.pk}/spk.pdf"
    spk_en = pdf_text(head, f"{spk_url}?lang=en")
    assert "Clinical appointment letter (SPK)" in spk_en
    assert grant.number in spk_en
    assert FLUORO_EN in spk_en
    with translation.override("en"):
        assert date_format(grant.ends_on, "DATE_FORMAT") in spk_en  # the one date format of every page
    assert "The first 5 cases need a proctor's sign-off" in spk_en
    spk_id = pdf_text(head, f"{spk_url}?lang=id")
    assert "SPK" in spk_id
    assert grant.number in spk_id

    # 5. The first procedure under fluoroscopy needs a proctor's sign-off.
    record = order()
    procedures.record_performance(
        scope=nurse.scope,
        acting_user=nurse.user,
        record=record,
        performer=physician.person,
        imaging_operator=radiographer.person,
        performed_at=timezone.now() - timedelta(minutes=5),
        pain_before=7,
        pain_after=3,
    )
    case = ProctoredCase.objects.get(procedure_id=record.pk)
    assert case.signed_off_at is None
    doctor.goto(f"{live_server.url}/patients/{record.patient_id}/procedures/{record.pk}/")
    expect(doctor.get_by_test_id("proctor-case")).to_contain_text("Needs a proctor's sign-off")
    doctor.get_by_role("button", name="Sign off as proctor").click()
    expect(doctor.get_by_role("status")).to_contain_text("cannot sign off their own case")
    screenshot(doctor, "privilege-proctor")

    # 6. Three years on, the day after the last day: the privilege has lapsed (moved back in
    # the table, as the calendar would) and the engine refuses the procedure, naming it.
    lapsed_on = today - timedelta(days=1)
    PrivilegeGrant.objects.filter(pk=grant.pk).update(
        starts_on=date(lapsed_on.year - 3, lapsed_on.month, 1), ends_on=lapsed_on, recredential_on=lapsed_on
    )
    with pytest.raises(ProcedureRefused) as refused:
        procedures.record_performance(
            scope=nurse.scope,
            acting_user=nurse.user,
            record=order(),
            performer=physician.person,
            imaging_operator=radiographer.person,
            performed_at=timezone.now() - timedelta(minutes=1),
        )
    lapsed = " ".join(refused.value.messages("en"))
    assert f"The clinical privilege “{FLUORO_EN}” ended on" in lapsed
