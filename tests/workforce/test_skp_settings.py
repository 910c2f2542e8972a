"""Where the SKP totals come from (docs/credentials.md, "Continuing-education credits"): each
total and the hours-to-credits conversion says whether a regulation sets it (with its source)
or the facility does; a facility setting is never shown as a rule, and an administrator sets
the organization's own figures (audited)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.refusals import ActionRefused
from nyeri.tenancy.roles import Role
from nyeri.workforce.kinds import CredentialKind
from nyeri.workforce.models import Credential, Person, SkpSetting
from nyeri.workforce.skp.policy import FACILITY_SETTING, HOURS_SETTING, REGULATION, skp_policy
from nyeri.workforce.skp.selectors import person_progress
from nyeri.workforce.skp.services import set_skp_settings
from tests.accounts_fixtures import give_second_factor, verify
from tests.conftest import MakeMember, log_in
from tests.workforce.conftest import AddCredential
from tests.workforce.credentials_support import *  # noqa: F403 - fixtures
from tests.workforce.credentials_support import add_person, current_sip, scope_of

pytestmark = pytest.mark.django_db


def today() -> date:
    return timezone.localdate()


@pytest.fixture
def admin(org: Organization, make_member: MakeMember) -> User:
    return make_member(org, Role.ADMINISTRATOR, username="admin_rina", language="en")


LicensedPerson = Callable[[Role, str, str], Person]


@pytest.fixture
def licensed_person(
    org: Organization, facility: Facility, make_member: MakeMember, add_credential: AddCredential
) -> LicensedPerson:
    """A member with ``role`` and a professional record with a current SIP at ``facility``."""

    def make(role: Role, username: str, name: str) -> Person:
        user = make_member(org, role, username=username, language="en")
        person = add_person(org, role, name=name, user=user, facilities=(facility,))
        current_sip(add_credential, person, facility)
        return person

    return make


@pytest.fixture
def ns_wati(licensed_person: LicensedPerson) -> Person:
    return licensed_person(Role.NURSE, "ns_wati", "Ns. Wati")


@pytest.fixture
def dr_umum(licensed_person: LicensedPerson) -> Person:
    return licensed_person(Role.GENERAL_PRACTITIONER, "dr_umum", "dr. Umum")


def admin_client(admin: User) -> Client:
    """The administrator logged in with their second factor (administrators must have one)."""
    client = log_in(Client(), admin)
    device, _codes = give_second_factor(admin)
    verify(client, device)
    return client


def setting(admin: User, **values: Any) -> list[SkpSetting]:
    return set_skp_settings(scope=scope_of(admin), acting_user=admin, values=values)


def test_every_total_and_the_hours_conversion_say_whether_a_regulation_or_the_facility_sets_them() -> None:
    policy = skp_policy("ID")
    assert policy is not None
    by_code = {t.code: t for t in policy.totals}
    assert set(by_code) == {"physician", "specialist", "nurse", "radiographer", "pharmacist"}
    assert by_code["physician"].basis == REGULATION
    assert "KMK HK.01.07/MENKES/1561/2024" in by_code["physician"].source
    for code in ("specialist", "nurse", "radiographer", "pharmacist"):
        assert by_code[code].basis == FACILITY_SETTING
        assert by_code[code].source.startswith("facility setting")
    assert policy.service_hours_basis == FACILITY_SETTING
    assert policy.service_hours_source.startswith("facility setting")
    assert policy.setting_codes()[-1] == HOURS_SETTING


def test_the_persons_page_says_a_nurses_total_is_the_facilitys_setting_in_both_languages(ns_wati: Person) -> None:
    assert ns_wati.user is not None
    client = log_in(Client(), ns_wati.user)

    english = client.get(f"/workforce/people/{ns_wati.pk}/").content.decode()
    client.cookies["django_language"] = "id"
    indonesian = client.get(f"/workforce/people/{ns_wati.pk}/").content.decode()

    assert "The total of 25 SKP is your facility's setting, not a regulation." in english
    assert "your facility's setting, not a regulation." in english.split('data-testid="skp-hours-basis"')[1]
    assert "Jumlah 25 SKP adalah pengaturan fasilitas Anda, bukan peraturan." in indonesian


def test_a_general_practitioners_total_names_its_regulation(dr_umum: Person) -> None:
    assert dr_umum.user is not None
    page = log_in(Client(), dr_umum.user).get(f"/workforce/people/{dr_umum.pk}/").content.decode()

    basis = page.split('data-testid="skp-total-basis"')[1].split("</p>")[0]
    assert "Total set by regulation: KMK HK.01.07/MENKES/1561/2024" in basis
    assert "facility's setting" not in basis


def test_an_administrator_sets_the_nurses_total_and_the_hours_per_credit_and_progress_counts_with_them(
    admin: User, ns_wati: Person, officer: User
) -> None:
    before = person_progress(scope_of(officer), ns_wati)
    assert before is not None
    assert before.needed == Decimal("25")

    setting(admin, nurse="30", service_hours_per_credit="10")
    after = person_progress(scope_of(officer), ns_wati)

    assert after is not None
    assert after.needed == Decimal("30.00")
    assert after.needed_is_setting
    assert after.needed_total is not None
    assert after.needed_total.set_here
    assert after.needed_total.policy_credits == Decimal("25")
    assert after.hours_per_credit == Decimal("10.00")
    events = AuditEvent.objects.filter(object_type="skp_setting", action=AuditAction.CREATE).order_by("object_id")
    assert [e.object_id for e in events] == ["nurse", HOURS_SETTING]
    assert "nurse: policy -> 30" in events[0].reason
    assert "the policy data's 25" in events[0].reason

    setting(admin, nurse="", service_hours_per_credit="10")

    assert set(SkpSetting.objects.values_list("code", flat=True)) == {HOURS_SETTING}
    back = person_progress(scope_of(officer), ns_wati)
    assert back is not None
    assert back.needed == Decimal("25")
    reset = AuditEvent.objects.get(object_type="skp_setting", action=AuditAction.UPDATE)
    assert "nurse: 30.00 -> policy" in reset.reason


def test_a_physicians_total_set_by_the_administrator_is_shown_as_the_facilitys_setting(
    admin: User, dr_umum: Person
) -> None:
    setting(admin, physician="300")
    assert dr_umum.user is not None

    page = log_in(Client(), dr_umum.user).get(f"/workforce/people/{dr_umum.pk}/").content.decode()

    basis = page.split('data-testid="skp-total-basis"')[1].split("</p>")[0]
    assert "The total of 300 SKP is your facility's setting, not a regulation." in basis
    assert "Set by an administrator (the policy data's figure: 250)." in basis


def test_bad_settings_are_refused_naming_each_and_nothing_is_written(admin: User) -> None:
    with pytest.raises(ValidationError) as bad:
        setting(admin, nurse="0", pharmacist="abc", midwife="20", service_hours_per_credit="1.234")

    assert set(bad.value.message_dict) == {"nurse", "pharmacist", "midwife", HOURS_SETTING}
    assert not SkpSetting.objects.exists()
    assert not AuditEvent.objects.filter(object_type="skp_setting").exists()


@pytest.mark.parametrize("role", [Role.CREDENTIALING_OFFICER, Role.NURSE])
def test_only_an_administrator_sets_the_figures_and_a_refusal_is_audited(
    org: Organization, make_member: MakeMember, role: Role
) -> None:
    user = make_member(org, role, username=f"someone_{role.value}", language="en")

    with pytest.raises(ActionRefused):
        setting(user, nurse="30")
    page = log_in(Client(), user).get("/workforce/skp/settings/")

    assert page.status_code == 403
    assert not SkpSetting.objects.exists()
    denied = AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED, object_type="skp_setting")
    assert denied.count() == 2


def test_the_settings_page_lists_each_figure_with_its_basis_and_saves_the_administrators_values(
    admin: User, ns_wati: Person
) -> None:
    client = admin_client(admin)
    page = client.get("/workforce/skp/settings/").content.decode()
    assert 'data-code="physician"' in page
    assert 'data-code="nurse"' in page
    assert 'data-code="service_hours_per_credit"' in page
    nurse_row = page.split('data-code="nurse"')[1].split("</tr>")[0]
    assert "facility setting" in nurse_row
    physician_row = page.split('data-code="physician"')[1].split("</tr>")[0]
    assert ">regulation<" in physician_row

    response = client.post("/workforce/skp/settings/", {"nurse": "40", "radiographer": "0"})
    assert response.status_code == 200
    assert not SkpSetting.objects.exists()  # one bad value: nothing saved
    response = client.post("/workforce/skp/settings/", {"nurse": "40"})
    assert response.status_code == 302
    assert SkpSetting.objects.get(code="nurse").value == Decimal("40.00")
    ledger = client.get(f"/workforce/skp/people/{ns_wati.pk}/").content.decode()
    assert 'href="/workforce/skp/settings/"' in ledger
    assert "The total of 40 SKP is your facility's setting, not a regulation." in ledger


def test_the_expiry_dashboard_marks_a_total_that_is_the_facilitys_setting(
    officer: User, ns_wati: Person, dr_umum: Person
) -> None:
    Credential.objects.filter(kind=CredentialKind.PRACTICE_PERMIT).update(expires_on=today() + timedelta(days=40))

    page = log_in(Client(), officer).get("/workforce/hours/expiring/").content.decode()

    nurse_row = page.split("Ns. Wati")[1].split("</tr>")[0]
    physician_row = page.split("dr. Umum")[1].split("</tr>")[0]
    assert 'data-testid="skp-total-setting"' in nurse_row
    assert 'data-testid="skp-total-setting"' not in physician_row


def test_the_api_reads_and_sets_the_figures_and_the_progress_names_its_basis(admin: User, ns_wati: Person) -> None:
    client = admin_client(admin)
    got = client.get("/api/workforce/skp/settings").json()
    assert {i["code"]: i["basis"] for i in got["items"]}["physician"] == REGULATION
    assert {i["code"]: i["own"] for i in got["items"]}["nurse"] is None

    put = client.put("/api/workforce/skp/settings", {"values": {"nurse": "35"}}, content_type="application/json")
    assert put.status_code == 200, put.content
    assert {i["code"]: i["own"] for i in put.json()["items"]}["nurse"] == "35.00"
    progress = client.get(f"/api/workforce/skp/progress?person={ns_wati.pk}").json()
    assert progress["needed"] == "35.00"
    assert progress["needed_basis"] == FACILITY_SETTING
    assert progress["hours_basis"] == FACILITY_SETTING
    bad = client.put("/api/workforce/skp/settings", {"values": {"nurse": "0"}}, content_type="application/json")
    assert bad.status_code == 422
