"""The staff directory of a facility and a person's profile (pages)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.tenancy.models import Facility, Membership, Organization
from nyeri.tenancy.roles import Role
from nyeri.workforce.kinds import CredentialKind, CredentialStatus
from nyeri.workforce.models import Credential, CredentialEvidence, Person
from tests.conftest import MakeMember, log_in
from tests.workforce.conftest import AddCredential, MakePerson, hours

Licensed = Callable[[Person], tuple[Credential, Credential]]


@pytest.fixture
def officer(org: Organization, make_member: MakeMember) -> User:
    return make_member(org, Role.CREDENTIALING_OFFICER, username="rina", language="en")


@pytest.fixture
def officer_client(officer: User) -> Client:
    return log_in(Client(), officer)


def permit(add_credential: AddCredential, person: Person, facility: Facility, **fields: object) -> Credential:
    values: dict[str, object] = {
        "facility": facility,
        "issuer": "DPMPTSP",
        "issuer_regency_code": facility.regency_code,
        "expires_on": date(2030, 1, 1),
    }
    values.update(fields)
    return add_credential(person, CredentialKind.PRACTICE_PERMIT, **values)


def row_of(html: str, person: Person) -> str:
    match = re.search(rf'<tr data-person="{person.pk}">(.*?)</tr>', html, re.S)
    assert match, f"no row for {person.full_name}"
    return match[1]


def state_in(row: str, kind: str) -> str:
    match = re.search(rf'data-licence="{kind}">.*?data-state="(\w+)"', row, re.S)
    assert match, row
    return match[1]


# --- The staff directory -----------------------------------------------------------------------


def test_the_staff_directory_lists_the_facilitys_people_with_their_roles_and_licence_states(
    officer_client: Client,
    make_person: MakePerson,
    licensed: Licensed,
    add_credential: AddCredential,
    facility: Facility,
    org: Organization,
) -> None:
    today = timezone.localdate()
    valid = make_person(Role.ANESTHESIOLOGIST, name="Andi Valid")
    licensed(valid)
    expiring = make_person(Role.NURSE, name="Budi Expiring")
    add_credential(expiring, CredentialKind.REGISTRATION)
    permit(add_credential, expiring, facility, expires_on=today + timedelta(days=30))
    expired = make_person(Role.RADIOGRAPHER, name="Citra Expired")
    add_credential(expired, CredentialKind.REGISTRATION)
    permit(add_credential, expired, facility, issued_on=date(2019, 1, 1), expires_on=today - timedelta(days=3))
    missing = make_person(Role.NURSE, name="Dewi Missing")
    elsewhere = Facility.objects.create(
        organization=org, name="Klinik Cimahi", code="cimahi", kind="pain_clinic", province="Jawa Barat",
        regency="Kota Cimahi", regency_code="32.77",
    )  # fmt: skip
    make_person(Role.NURSE, name="Eko Elsewhere", facilities=(elsewhere,))

    response = officer_client.get(f"/workforce/facilities/{facility.pk}/staff/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Eko Elsewhere" not in html
    assert "Anesthesiologist" in row_of(html, valid)
    assert (state_in(row_of(html, valid), "registration"), state_in(row_of(html, valid), "practice_permit")) == (
        "valid",
        "valid",
    )
    assert state_in(row_of(html, expiring), "practice_permit") == "expiring"
    assert state_in(row_of(html, expired), "practice_permit") == "expired"
    assert state_in(row_of(html, missing), "registration") == "missing"
    assert state_in(row_of(html, missing), "practice_permit") == "missing"
    summary = re.search(r'<tr data-kind="practice_permit">(.*?)</tr>', html, re.S)
    assert summary is not None
    assert re.findall(r'data-state="(\w+)">(\d+)<', summary[1]) == [
        ("valid", "1"),
        ("expiring", "1"),
        ("expired", "1"),
        ("missing", "1"),
    ]


def test_the_directory_says_why_a_licence_counts_as_missing(
    officer_client: Client, make_person: MakePerson, add_credential: AddCredential, facility: Facility
) -> None:
    nurse = make_person(Role.NURSE, name="Dewi")
    add_credential(nurse, CredentialKind.REGISTRATION, status=CredentialStatus.SUBMITTED)
    permit(add_credential, nurse, facility, issuer_regency_code="32.77")
    row = row_of(officer_client.get(f"/workforce/facilities/{facility.pk}/staff/").content.decode(), nurse)
    assert "waiting for verification" in row
    assert "issued by regency 32.77" in row


def test_the_directory_shows_only_the_people_whose_licences_need_attention_when_asked(
    officer_client: Client, make_person: MakePerson, licensed: Licensed, facility: Facility
) -> None:
    fine = make_person(Role.NURSE, name="Fine")
    licensed(fine)
    unlicensed = make_person(Role.NURSE, name="Unlicensed")
    html = officer_client.get(f"/workforce/facilities/{facility.pk}/staff/", {"licence": "attention"}).content.decode()
    assert f'data-person="{unlicensed.pk}"' in html
    assert f'data-person="{fine.pk}"' not in html


def test_the_directory_filters_by_role_and_name(
    officer_client: Client, make_person: MakePerson, facility: Facility
) -> None:
    nurse = make_person(Role.NURSE, name="Sari Perawat")
    doctor = make_person(Role.PAIN_PHYSICIAN, name="Sari Dokter")
    html = officer_client.get(
        f"/workforce/facilities/{facility.pk}/staff/", {"role": "nurse", "q": "sari"}
    ).content.decode()
    assert f'data-person="{nurse.pk}"' in html
    assert f'data-person="{doctor.pk}"' not in html


def test_the_directory_takes_the_same_number_of_queries_for_few_and_many_people(
    officer_client: Client, make_person: MakePerson, licensed: Licensed, facility: Facility
) -> None:
    def staff(n: int, start: int) -> None:
        for i in range(start, start + n):
            licensed(make_person(Role.NURSE if i % 2 else Role.ANESTHESIOLOGIST, name=f"Person {i:03d}"))

    url = f"/workforce/facilities/{facility.pk}/staff/"
    staff(2, 0)
    officer_client.get(url)  # warm caches (session, policy pack)
    with CaptureQueriesContext(connection) as few:
        assert officer_client.get(url).status_code == 200
    staff(30, 2)
    with CaptureQueriesContext(connection) as many:
        response = officer_client.get(url)
    assert response.content.decode().count("<tr data-person=") == 32
    assert len(many) == len(few)


def test_the_directory_pages_through_a_large_staff(
    officer_client: Client, make_person: MakePerson, facility: Facility
) -> None:
    for i in range(55):
        make_person(Role.NURSE, name=f"Person {i:03d}")
    first = officer_client.get(f"/workforce/facilities/{facility.pk}/staff/").content.decode()
    second = officer_client.get(f"/workforce/facilities/{facility.pk}/staff/", {"page": 2}).content.decode()
    assert first.count("<tr data-person=") == 50
    assert second.count("<tr data-person=") == 5
    assert "Person 054" in second


def test_a_nurse_may_not_read_the_staff_directory_and_the_refusal_is_audited(
    nurse_client: Client, nurse: User, facility: Facility
) -> None:
    assert nurse_client.get(f"/workforce/facilities/{facility.pk}/staff/").status_code == 403
    event = AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED).latest("id")
    assert (event.actor_id, event.object_type, event.outcome) == (nurse.pk, "person", AuditOutcome.DENIED)


def test_reading_the_directory_is_audited_as_a_search_of_people(
    officer_client: Client, officer: User, make_person: MakePerson, facility: Facility
) -> None:
    make_person(Role.NURSE)
    officer_client.get(f"/workforce/facilities/{facility.pk}/staff/")
    event = AuditEvent.objects.filter(action=AuditAction.SEARCH).latest("id")
    assert (event.actor_id, event.object_type, event.facility_id) == (officer.pk, "person", facility.pk)


def test_another_organizations_facility_has_no_directory(officer_client: Client, other_facility: Facility) -> None:
    assert officer_client.get(f"/workforce/facilities/{other_facility.pk}/staff/").status_code == 404


# --- A person's profile --------------------------------------------------------------------------


def test_the_profile_shows_roles_facilities_and_credentials_with_status_and_evidence_and_is_audited(
    officer_client: Client,
    officer: User,
    make_person: MakePerson,
    licensed: Licensed,
    add_credential: AddCredential,
    facility: Facility,
) -> None:
    doctor = make_person(Role.ANESTHESIOLOGIST, name="dr. Andi, Sp.An")
    _str, sip = licensed(doctor)
    residency = add_credential(
        doctor, CredentialKind.RESIDENCY, specialty="anesthesiology", issuer="Kolegium", number="RES-77"
    )
    add_credential(doctor, CredentialKind.CONTROLLED_AUTHORISATION, status=CredentialStatus.SUBMITTED, issuer="KM")
    for n in range(2):
        CredentialEvidence.objects.create(
            organization=doctor.organization, credential=residency, storage_name=f"ev-{n}", original_name=f"{n}.pdf",
            content_type="application/pdf", size=10, sha256="0" * 64, uploaded_by=officer,
        )  # fmt: skip

    response = officer_client.get(f"/workforce/people/{doctor.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Anesthesiologist" in html
    assert facility.name in html
    assert f"/workforce/people/{doctor.pk}/facilities/{facility.pk}/matrix/" in html
    row = re.search(rf'<tr data-credential="{residency.pk}">(.*?)</tr>', html, re.S)
    assert row is not None
    assert "RES-77" in row[1]
    assert "Kolegium" in row[1]
    assert "Anesthesiology" in row[1]
    assert re.search(r"<td>2</td>\s*$", row[1])
    assert 'class="badge ok">Verified' in row[1]
    assert 'class="badge warn">Submitted' in html
    assert sip.issuer_regency_code in html
    event = AuditEvent.objects.filter(action=AuditAction.READ).latest("id")
    assert (event.object_type, event.object_id, event.actor_id) == ("person", str(doctor.pk), officer.pk)


def test_a_verified_credential_past_its_expiry_is_marked_expired_on_the_profile(
    officer_client: Client, make_person: MakePerson, add_credential: AddCredential, facility: Facility
) -> None:
    nurse = make_person(Role.NURSE)
    old = permit(add_credential, nurse, facility, issued_on=date(2019, 1, 1), expires_on=date(2024, 1, 1))
    html = officer_client.get(f"/workforce/people/{nurse.pk}/").content.decode()
    row = re.search(rf'<tr data-credential="{old.pk}">(.*?)</tr>', html, re.S)
    assert row is not None
    assert 'class="badge bad">Expired' in row[1]


def test_a_nurse_sees_her_pain_nursing_progress_with_hours_exam_and_each_requirement(
    make_person: MakePerson,
    add_credential: AddCredential,
    facility: Facility,
    nurse: User,
    nurse_client: Client,
) -> None:
    today = timezone.localdate()
    person = make_person(Role.NURSE, name="Siti")
    person.user = nurse
    person.save()
    add_credential(person, CredentialKind.REGISTRATION)
    add_credential(
        person,
        CredentialKind.PAIN_NURSING_CERTIFICATION,
        issuer="Ujian Nyeri",
        issued_on=date(2025, 3, 1),
        exam_passed_on=date(2025, 3, 1),
    )
    hours(person, facility, today - timedelta(days=10), "8")
    hours(person, facility, today - timedelta(days=40), "4.5")

    response = nurse_client.get(f"/workforce/people/{person.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    section = re.search(r'<section class="card" data-certification="pain_nursing">(.*?)</section>', html, re.S)
    assert section is not None, html
    assert re.search(r'<progress [^>]*max="2000(\.0)?" value="12\.5"', section[1])
    assert re.search(r'<progress [^>]*max="30(\.0)?" value="0(\.0)?"', section[1])
    assert "1 Mar 2025" in section[1]  # the exam, in the nurse's language (Indonesian)
    assert "12,5" in section[1]
    assert "medical_assistant_ready" not in html


def test_a_person_reads_her_own_profile_but_not_a_colleagues(
    make_person: MakePerson, nurse: User, nurse_client: Client
) -> None:
    own = make_person(Role.NURSE, name="Siti")
    own.user = nurse
    own.save()
    colleague = make_person(Role.NURSE, name="Colleague")
    assert nurse_client.get(f"/workforce/people/{own.pk}/").status_code == 200
    assert nurse_client.get(f"/workforce/people/{colleague.pk}/").status_code == 403
    assert AuditEvent.objects.filter(
        action=AuditAction.PERMISSION_DENIED, object_type="person", object_id=str(colleague.pk)
    ).exists()


def test_another_organizations_person_is_not_found(
    officer_client: Client, other_org: Organization, other_facility: Facility
) -> None:
    stranger = Person.objects.create(organization=other_org, full_name="Orang Lain", citizenship="citizen")
    assert officer_client.get(f"/workforce/people/{stranger.pk}/").status_code == 404
    # Nothing was read: the only row is the denied attempt (issue 16), outcome "not found",
    # in the officer's own organization's chain, never the stranger's.
    (row,) = AuditEvent.objects.filter(object_type="person", object_id=str(stranger.pk))
    assert (row.outcome, row.organization_id) == ("not_found", Membership.objects.get(user=row.actor).organization_id)
    assert row.organization_id != other_org.pk


def test_a_facility_limited_officer_does_not_find_a_person_working_elsewhere(
    org: Organization, facility: Facility, make_member: MakeMember, make_person: MakePerson
) -> None:
    elsewhere = Facility.objects.create(
        organization=org, name="Klinik Cimahi", code="cimahi", kind="pain_clinic", province="Jawa Barat",
        regency="Kota Cimahi", regency_code="32.77",
    )  # fmt: skip
    officer = make_member(org, Role.CREDENTIALING_OFFICER, username="limited", facilities=(facility,))
    client = log_in(Client(), officer)
    there = make_person(Role.NURSE, name="There", facilities=(elsewhere,))
    here = make_person(Role.NURSE, name="Here")
    assert client.get(f"/workforce/people/{there.pk}/").status_code == 404
    assert client.get(f"/workforce/people/{here.pk}/").status_code == 200
    assert client.get(f"/workforce/facilities/{elsewhere.pk}/staff/").status_code == 404


def test_the_profile_takes_the_same_number_of_queries_for_few_and_many_credentials(
    officer_client: Client, make_person: MakePerson, add_credential: AddCredential, facility: Facility
) -> None:
    nurse = make_person(Role.NURSE)
    add_credential(nurse, CredentialKind.REGISTRATION)
    url = f"/workforce/people/{nurse.pk}/"
    officer_client.get(url)
    with CaptureQueriesContext(connection) as few:
        officer_client.get(url)
    for n in range(15):
        add_credential(nurse, CredentialKind.PAIN_TRAINING, hours="8", issuer=f"Kursus {n}")
        hours(nurse, facility, timezone.localdate() - timedelta(days=n + 1), "6")
    with CaptureQueriesContext(connection) as many:
        response = officer_client.get(url)
    assert response.content.decode().count("<tr data-credential=") == 16
    assert len(many) == len(few)
