"""What may this person do here: a person's privilege matrix, and a facility's (pages)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import resolve_scope
from nyeri.workforce.kinds import CredentialKind
from nyeri.workforce.models import Credential, Person
from nyeri.workforce.people import selectors
from nyeri.workforce.policy.loader import pack_for
from tests.conftest import MakeMember, log_in
from tests.workforce.conftest import AddCredential, MakePerson, passed_check

Licensed = Callable[[Person], tuple[Credential, Credential]]
ACTIONS = list(pack_for("ID").actions)
# The person matrix selector, whatever the number of credentials: the person, the facility,
# the engine's facts (roles, facilities, credentials), the credentials relied on; the audit
# row's statements come on top (one on PostgreSQL, a few on SQLite).
PERSON_MATRIX_MAX_QUERIES = 6


@pytest.fixture
def officer(org: Organization, make_member: MakeMember) -> User:
    return make_member(org, Role.CREDENTIALING_OFFICER, username="rina", language="en")


@pytest.fixture
def officer_client(officer: User) -> Client:
    return log_in(Client(), officer)


def action_row(html: str, code: str) -> str:
    match = re.search(rf'<tr data-action="{re.escape(code)}" data-allowed="(yes|no)">(.*?)</tr>', html, re.S)
    assert match, f"no row for {code}"
    return match[0]


def licensed_anesthesiologist(
    make_person: MakePerson, licensed: Licensed, add_credential: AddCredential, name: str = "dr. Andi"
) -> tuple[Person, Credential, Credential]:
    doctor = make_person(Role.ANESTHESIOLOGIST, name=name)
    str_, sip = licensed(doctor)
    add_credential(doctor, CredentialKind.RESIDENCY, specialty="anesthesiology", issuer="Kolegium", number="RES-1")
    return doctor, str_, sip


# --- One person at one facility --------------------------------------------------------------------


def test_the_matrix_lists_every_action_with_the_credentials_relied_on_or_every_reason_for_a_no(
    officer_client: Client,
    make_person: MakePerson,
    licensed: Licensed,
    add_credential: AddCredential,
    facility: Facility,
) -> None:
    doctor, str_, sip = licensed_anesthesiologist(make_person, licensed, add_credential)

    response = officer_client.get(f"/workforce/people/{doctor.pk}/facilities/{facility.pk}/matrix/")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<tr data-action=") == len(ACTIONS) == 25  # with monitor_sedation (a nursing privilege)
    prescribe = action_row(html, "prescribe")
    assert 'data-allowed="yes"' in prescribe
    assert "Prescribe" in prescribe
    assert str_.number in prescribe
    assert sip.number in prescribe
    controlled = action_row(html, "prescribe_controlled")
    assert 'data-allowed="no"' in controlled
    assert "No controlled-substance authorisation on record." in controlled
    assert "No criminal record background check on record." in controlled or "background check" in controlled
    xray = action_row(html, "operate_equipment:xray")
    assert "Needs one of these roles: Radiographer, X-ray assistant." in xray


def test_the_matrix_speaks_the_readers_language(
    org: Organization,
    make_member: MakeMember,
    make_person: MakePerson,
    licensed: Licensed,
    facility: Facility,
) -> None:
    nurse = make_person(Role.NURSE)
    licensed(nurse)
    reader = make_member(org, Role.CREDENTIALING_OFFICER, username="ida", language="id")
    html = log_in(Client(), reader).get(f"/workforce/people/{nurse.pk}/facilities/{facility.pk}/matrix/")
    text = html.content.decode()
    assert "Mencatat asesmen nyeri" in action_row(text, "record_assessment")
    assert "Record a pain assessment" not in text


def test_someone_who_does_not_work_at_the_facility_is_told_so_for_every_action(
    officer_client: Client, make_person: MakePerson, licensed: Licensed, org: Organization, facility: Facility
) -> None:
    elsewhere = Facility.objects.create(
        organization=org, name="Klinik Cimahi", code="cimahi", kind="pain_clinic", province="Jawa Barat",
        regency="Kota Cimahi", regency_code="32.77",
    )  # fmt: skip
    nurse = make_person(Role.NURSE)
    licensed(nurse)
    html = officer_client.get(f"/workforce/people/{nurse.pk}/facilities/{elsewhere.pk}/matrix/").content.decode()
    assert html.count('data-allowed="no"') == len(ACTIONS)
    assert "Does not work at this facility." in action_row(html, "record_assessment")


def test_viewing_a_persons_matrix_is_audited_as_a_read_of_the_person(
    officer_client: Client, officer: User, make_person: MakePerson, facility: Facility
) -> None:
    nurse = make_person(Role.NURSE)
    officer_client.get(f"/workforce/people/{nurse.pk}/facilities/{facility.pk}/matrix/")
    event = AuditEvent.objects.filter(action=AuditAction.READ).latest("id")
    assert (event.object_type, event.object_id, event.facility_id, event.actor_id) == (
        "person",
        str(nurse.pk),
        facility.pk,
        officer.pk,
    )


def test_a_person_sees_her_own_matrix_but_not_a_colleagues(
    make_person: MakePerson, nurse: User, nurse_client: Client, facility: Facility
) -> None:
    own = make_person(Role.NURSE, name="Siti")
    own.user = nurse
    own.save()
    colleague = make_person(Role.NURSE, name="Colleague")
    assert nurse_client.get(f"/workforce/people/{own.pk}/facilities/{facility.pk}/matrix/").status_code == 200
    assert nurse_client.get(f"/workforce/people/{colleague.pk}/facilities/{facility.pk}/matrix/").status_code == 403


def test_another_organizations_person_or_facility_has_no_matrix(
    officer_client: Client,
    make_person: MakePerson,
    facility: Facility,
    other_org: Organization,
    other_facility: Facility,
) -> None:
    ours = make_person(Role.NURSE)
    stranger = Person.objects.create(organization=other_org, full_name="Orang Lain", citizenship="citizen")
    assert officer_client.get(f"/workforce/people/{stranger.pk}/facilities/{facility.pk}/matrix/").status_code == 404
    assert officer_client.get(f"/workforce/people/{ours.pk}/facilities/{other_facility.pk}/matrix/").status_code == 404


def test_the_person_matrix_takes_a_small_fixed_number_of_queries_whatever_the_credentials(
    officer_client: Client,
    officer: User,
    make_person: MakePerson,
    licensed: Licensed,
    add_credential: AddCredential,
    facility: Facility,
) -> None:
    doctor, _str, _sip = licensed_anesthesiologist(make_person, licensed, add_credential)
    url = f"/workforce/people/{doctor.pk}/facilities/{facility.pk}/matrix/"
    officer_client.get(url)
    with CaptureQueriesContext(connection) as few:
        officer_client.get(url)
    for n in range(12):
        passed_check(add_credential, doctor, date(2024, 1, 1 + n))
        add_credential(doctor, CredentialKind.PAIN_TRAINING, hours="8", issuer=f"Kursus {n}")
    add_credential(doctor, CredentialKind.CONTROLLED_AUTHORISATION, issuer="Komite Medik")
    add_credential(doctor, CredentialKind.FELLOWSHIP, specialty="pain_management", issuer="Kolegium")
    with CaptureQueriesContext(connection) as many:
        html = officer_client.get(url).content.decode()
    assert 'data-allowed="yes"' in action_row(html, "perform_procedure:neuromodulation")
    assert len(many) == len(few)
    scope = resolve_scope(officer)
    assert scope is not None
    with CaptureQueriesContext(connection) as selector:
        selectors.person_matrix(scope, doctor.pk, facility.pk)
    own = [q["sql"] for q in selector.captured_queries if "audit_" not in q["sql"] and "SAVEPOINT" not in q["sql"]]
    assert len(own) <= PERSON_MATRIX_MAX_QUERIES, own


# --- Everyone at a facility ----------------------------------------------------------------------------


def test_the_facility_matrix_shows_everyone_and_each_actions_count_with_reasons_to_expand_for_a_no(
    officer_client: Client,
    make_person: MakePerson,
    licensed: Licensed,
    add_credential: AddCredential,
    facility: Facility,
) -> None:
    doctor, _str, _sip = licensed_anesthesiologist(make_person, licensed, add_credential)
    nurse = make_person(Role.NURSE, name="Siti")
    licensed(nurse)
    unlicensed = make_person(Role.NURSE, name="Tono")

    response = officer_client.get(f"/workforce/facilities/{facility.pk}/matrix/")

    assert response.status_code == 200
    html = response.content.decode()
    rows = dict(re.findall(r'<tr data-person="(\d+)">(.*?)</tr>', html, re.S))
    assert set(rows) == {str(doctor.pk), str(nurse.pk), str(unlicensed.pk)}
    assert 'data-action="give_sedation" data-allowed="yes"' in rows[str(doctor.pk)]
    assert 'data-action="record_assessment" data-allowed="yes"' in rows[str(nurse.pk)]
    cell = re.search(r'data-action="record_assessment" data-allowed="no">(.*?)</td>', rows[str(unlicensed.pk)], re.S)
    assert cell is not None
    assert "<details>" in cell[1]
    assert "No registration certificate (STR) on record." in cell[1]
    header = re.search(r'<th scope="col" data-action="record_assessment">(.*?)</th>', html, re.S)
    assert header is not None
    assert "Record a pain assessment" in header[1]
    assert "2 may" in header[1]


def test_the_facility_matrix_can_show_one_action(
    officer_client: Client, make_person: MakePerson, facility: Facility
) -> None:
    make_person(Role.NURSE)
    html = officer_client.get(f"/workforce/facilities/{facility.pk}/matrix/", {"action": "prescribe"}).content.decode()
    assert html.count('<th scope="col" data-action=') == 1
    assert officer_client.get(f"/workforce/facilities/{facility.pk}/matrix/", {"action": "fly"}).status_code == 404


def test_the_facility_matrix_takes_the_same_number_of_queries_for_few_and_many_people(
    officer_client: Client, make_person: MakePerson, licensed: Licensed, facility: Facility
) -> None:
    url = f"/workforce/facilities/{facility.pk}/matrix/"
    licensed(make_person(Role.NURSE, name="P0"))
    officer_client.get(url)
    with CaptureQueriesContext(connection) as few:
        officer_client.get(url)
    for i in range(1, 25):
        person = make_person(Role.NURSE if i % 2 else Role.PAIN_PHYSICIAN, name=f"P{i}")
        if i % 3:
            licensed(person)
    with CaptureQueriesContext(connection) as many:
        html = officer_client.get(url).content.decode()
    assert html.count("<tr data-person=") == 25
    assert len(many) == len(few)


def test_only_credentialing_officers_and_administrators_see_a_facilitys_matrix(
    nurse_client: Client, officer_client: Client, facility: Facility, other_facility: Facility
) -> None:
    assert nurse_client.get(f"/workforce/facilities/{facility.pk}/matrix/").status_code == 403
    assert officer_client.get(f"/workforce/facilities/{other_facility.pk}/matrix/").status_code == 404


def test_viewing_a_facilitys_matrix_is_audited_once_with_the_facility(
    officer_client: Client, officer: User, make_person: MakePerson, facility: Facility
) -> None:
    for n in range(3):
        make_person(Role.NURSE, name=f"N{n}")
    before = AuditEvent.objects.count()
    officer_client.get(f"/workforce/facilities/{facility.pk}/matrix/")
    event = AuditEvent.objects.filter(action=AuditAction.READ).latest("id")
    assert (event.object_type, event.facility_id, event.actor_id) == ("person", facility.pk, officer.pk)
    assert "3 people" in event.reason
    assert AuditEvent.objects.count() == before + 1
