"""Credential pages: the credentialing queue, submission, decisions, approval with re-authentication."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from nyeri.accounts.models import User
from nyeri.accounts.session_keys import SESSION_PASSWORD_AT, SESSION_SECOND_FACTOR_AT
from nyeri.audit.models import AuditAction, AuditOutcome
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.workforce.credentials.selectors import credentialing_queue
from nyeri.workforce.credentials.services import submit_credential, verify_credential
from nyeri.workforce.kinds import CredentialKind, CredentialStatus
from nyeri.workforce.models import Credential, CredentialEvidence, Person
from tests.accounts_fixtures import REAUTH_URL, age_session_value, give_second_factor, totp_code, verify
from tests.conftest import PASSWORD, MakeMember, log_in
from tests.workforce.credentials_support import *  # noqa: F403 - fixtures
from tests.workforce.credentials_support import (
    PDF_BYTES,
    PNG_BYTES,
    add_person,
    at_source,
    credential_events,
    facility_in,
    real_upload,
    scope_of,
    sip_fields,
    source_check_form,
    stored_files,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_root")]

QUEUE = "/workforce/credentials/"
STALE = settings.REAUTH_MAX_AGE + timedelta(seconds=5)


def submit(user: User, person: Person, kind: str = CredentialKind.REGISTRATION, **fields: Any) -> Credential:
    values: dict[str, Any] = {"issuer": "Konsil Kesehatan Indonesia", "issued_on": date(2024, 1, 2), "number": "N-1"}
    values.update(fields)
    return submit_credential(scope=scope_of(user), acting_user=user, person=person, kind=kind, **values)


def url(credential: Credential, action: str = "") -> str:
    return f"/workforce/credentials/{credential.pk}/" + (f"{action}/" if action else "")


@pytest.fixture
def officer_client(officer: User) -> Client:
    return log_in(Client(), officer)


@pytest.fixture
def approver_device(approver: User) -> TOTPDevice:
    device, _codes = give_second_factor(approver)
    return device


@pytest.fixture
def approver_client(approver: User, approver_device: TOTPDevice) -> Client:
    client = log_in(Client(), approver)
    verify(client, approver_device)
    return client


# --- The queue ------------------------------------------------------------------------


def test_the_queue_lists_submitted_credentials_oldest_first_with_evidence_and_approvals_apart(
    officer_client: Client,
    officer: User,
    approver: User,
    doctor: Person,
    org: Organization,
    facility: Facility,
    tmp_path: Path,
) -> None:
    nurse_person = add_person(org, Role.NURSE, name="Eka Fitriani", facilities=(facility,))
    assert doctor.user is not None
    # Entered by the holder: the officer may check it at its source (a link to that page).
    first = submit(doctor.user, doctor, evidence=[real_upload(tmp_path, "str.pdf", PDF_BYTES)])
    second = submit(officer, nurse_person, CredentialKind.PAIN_TRAINING, hours=16)
    done = submit(officer, nurse_person, number="N-2")
    verify_credential(scope=scope_of(approver), acting_user=approver, credential=done, check=at_source(done))
    assert doctor.user is not None
    # Entered by the holder: the officer is a possible second person.
    controlled = submit(doctor.user, doctor, CredentialKind.CONTROLLED_AUTHORISATION, issuer="Komite Medik")
    response = officer_client.get(QUEUE)
    assert response.status_code == 200
    queue = response.context["queue"]
    assert [c.pk for c in queue.to_verify] == [first.pk, second.pk]
    assert [c.pk for c in queue.to_approve] == [controlled.pk]
    page = response.content.decode()
    assert page.index("dr. Andi Pratama") < page.index("Eka Fitriani")
    assert f"/workforce/credentials/evidence/{first.evidence.get().pk}/" in page
    assert f'href="{url(first, "verify")}"' in page
    assert f'action="{url(first, "verify")}"' not in page  # no one-click verification
    # Entered by the officer: another officer checks it.
    assert f'href="{url(second, "verify")}"' not in page
    assert f'action="{url(controlled, "approve")}"' in page


def test_a_facility_limited_credentialing_officer_sees_only_their_facility_s_queue(
    officer: User, doctor: Person, org: Organization, facility: Facility, make_member: MakeMember
) -> None:
    cimahi = facility_in(org, "cimahi", "32.77")
    elsewhere = add_person(org, Role.NURSE, name="Eka di Cimahi", facilities=(cimahi,))
    both = add_person(org, Role.NURSE, name="Dewi di keduanya", facilities=(facility, cimahi))
    here = submit(officer, doctor)
    there = submit(officer, elsewhere)
    shared = submit(officer, both, number="STR-D")
    cimahi_sip = submit(officer, both, CredentialKind.PRACTICE_PERMIT, **sip_fields(cimahi))
    limited = make_member(org, Role.CREDENTIALING_OFFICER, username="limited", facilities=(facility,))
    client = log_in(Client(), limited)

    queue = client.get(QUEUE).context["queue"]
    # Their facility's people, without the SIP of the other facility.
    assert {c.pk for c in queue.to_verify} == {here.pk, shared.pk}
    # The rest is not found, in the list, the page and the decision alike.
    assert {c["id"] for c in client.get("/api/workforce/credentials").json()["items"]} == {here.pk, shared.pk}
    for credential in (there, cimahi_sip):
        assert client.get(url(credential)).status_code == 404
        assert client.post(url(credential, "verify")).status_code == 404
        assert Credential.objects.get(pk=credential.pk).status == CredentialStatus.SUBMITTED
    # An officer of the whole organization still sees every one.
    assert len(credentialing_queue(scope_of(officer)).to_verify) == 4


def test_the_queue_is_refused_to_members_who_are_not_officers_and_the_refusal_is_audited(
    nurse_client: Client, nurse: User
) -> None:
    assert nurse_client.get(QUEUE).status_code == 403
    [event] = credential_events(AuditAction.PERMISSION_DENIED)
    assert (event.actor_id, event.outcome) == (nurse.pk, AuditOutcome.DENIED)


def test_the_queue_takes_two_queries_whatever_the_number_of_credentials(
    officer: User, doctor: Person, tmp_path: Path, django_assert_num_queries: Any
) -> None:
    scope = scope_of(officer)
    submit(officer, doctor, evidence=[real_upload(tmp_path, "a.pdf", PDF_BYTES)])
    with django_assert_num_queries(2):
        small = credentialing_queue(scope)
        assert [e.pk for c in small.to_verify for e in c.evidence.all()]
    for i in range(8):
        submit(
            officer,
            doctor,
            CredentialKind.CONTROLLED_AUTHORISATION if i % 2 else CredentialKind.PAIN_TRAINING,
            hours=None if i % 2 else 4,
            number=f"N-{i + 2}",
            evidence=[real_upload(tmp_path, f"e{i}.png", PNG_BYTES)],
        )
    with django_assert_num_queries(2):
        large = credentialing_queue(scope)
        shown = [
            (c.person.full_name, c.submitted_by, c.facility, [e.original_name for e in c.evidence.all()])
            for c in [*large.to_verify, *large.to_approve]
        ]
    assert len(shown) == 9


def test_an_officer_verifies_from_the_queue(officer_client: Client, officer: User, doctor: Person) -> None:
    assert doctor.user is not None
    credential = submit(doctor.user, doctor)
    response = officer_client.post(url(credential, "verify"), source_check_form(credential))
    assert response.status_code == 302
    assert response["Location"] == QUEUE
    credential.refresh_from_db()
    assert (credential.status, credential.decided_by) == (CredentialStatus.VERIFIED, officer)


def test_rejecting_without_a_reason_shows_the_fields_error_and_changes_nothing(
    officer_client: Client, officer: User, doctor: Person
) -> None:
    credential = submit(officer, doctor)
    response = officer_client.post(url(credential, "reject"), {"reason": "  "})
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    assert 'class="field-error"' in response.content.decode()
    credential.refresh_from_db()
    assert credential.status == CredentialStatus.SUBMITTED
    response = officer_client.post(url(credential, "reject"), {"reason": "The scan is unreadable."})
    assert response.status_code == 302
    credential.refresh_from_db()
    assert (credential.status, credential.decision_reason) == (CredentialStatus.REJECTED, "The scan is unreadable.")


def test_an_officer_is_offered_no_decision_on_their_own_credential_and_cannot_force_one(
    officer_client: Client, officer: User
) -> None:
    credential = submit(officer, Person.objects.get(user=officer))
    page = officer_client.get(QUEUE).content.decode()
    assert f'action="{url(credential, "verify")}"' not in page
    assert f'href="{url(credential, "verify")}"' not in page
    response = officer_client.post(url(credential, "verify"), source_check_form(credential))
    assert response.status_code == 403
    assert "kredensial Anda sendiri" in response.content.decode()
    credential.refresh_from_db()
    assert credential.status == CredentialStatus.SUBMITTED


def test_a_decision_posted_twice_reports_that_it_was_already_decided(
    officer_client: Client, officer: User, doctor: Person
) -> None:
    assert doctor.user is not None
    credential = submit(doctor.user, doctor)
    officer_client.post(url(credential, "verify"), source_check_form(credential))
    response = officer_client.post(url(credential, "verify"), source_check_form(credential), follow=True)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]][-1] == "error"


# --- Submission -----------------------------------------------------------------------


def test_submitting_with_bad_input_shows_each_fields_error_and_saves_nothing(
    officer_client: Client, doctor: Person, facility: Facility, private_root: Path, tmp_path: Path
) -> None:
    text = tmp_path / "str.pdf"
    text.write_bytes(b"just some text")
    with text.open("rb") as handle:
        response = officer_client.post(
            f"/workforce/credentials/people/{doctor.pk}/new/",
            {
                "kind": "practice_permit",
                "issuer": "DPMPTSP",
                "issued_on": "2025-06-01",
                "expires_on": "2025-05-01",
                "facility": facility.pk,
                "issuer_regency_code": "35.78",
                "hours": "12",
                "evidence": handle,
            },
        )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"expires_on", "issuer_regency_code", "hours", "evidence"}
    page = response.content.decode()
    assert page.count('class="field-error"') == 4
    assert not Credential.objects.exists()
    assert stored_files(private_root) == []


def test_submitting_a_credential_with_evidence_on_the_page(
    officer_client: Client, doctor: Person, facility: Facility, private_root: Path, tmp_path: Path
) -> None:
    scan = tmp_path / "SIP.pdf"
    scan.write_bytes(PDF_BYTES)
    today = timezone.localdate()
    with scan.open("rb") as handle:
        response = officer_client.post(
            f"/workforce/credentials/people/{doctor.pk}/new/",
            {
                "kind": "practice_permit",
                "number": "503/SIP/2025",
                "issuer": "DPMPTSP Kota Bandung",
                "issued_on": (today - timedelta(days=30)).isoformat(),
                "expires_on": (today + timedelta(days=1800)).isoformat(),
                "facility": facility.pk,
                "issuer_regency_code": facility.regency_code,
                "evidence": handle,
            },
        )
    credential = Credential.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url(credential)
    assert (credential.kind, credential.status, credential.facility) == ("practice_permit", "submitted", facility)
    assert credential.evidence.get().content_type == "application/pdf"
    assert len(stored_files(private_root)) == 1


def test_a_member_may_open_the_form_for_herself_but_not_for_a_colleague(
    nurse_client: Client, nurse: User, org: Organization, facility: Facility, doctor: Person
) -> None:
    own = add_person(org, Role.NURSE, name="Siti", user=nurse, facilities=(facility,))
    assert nurse_client.get(f"/workforce/credentials/people/{own.pk}/new/").status_code == 200
    assert nurse_client.get(f"/workforce/credentials/people/{doctor.pk}/new/").status_code == 403
    assert credential_events(AuditAction.PERMISSION_DENIED)


def test_another_organizations_credential_and_person_are_not_found_on_the_pages(
    officer_client: Client,
    other_org: Organization,
    other_facility: Facility,
    make_member: MakeMember,
    tmp_path: Path,
) -> None:
    their_officer = make_member(other_org, Role.CREDENTIALING_OFFICER, username="lain")
    theirs = add_person(other_org, Role.NURSE, name="Orang Lain", facilities=(other_facility,))
    credential = submit(their_officer, theirs, evidence=[real_upload(tmp_path, "x.pdf", PDF_BYTES)])
    assert officer_client.get(url(credential)).status_code == 404
    assert officer_client.post(url(credential, "verify")).status_code == 404
    assert officer_client.post(url(credential, "reject"), {"reason": "x"}).status_code == 404
    assert officer_client.post(url(credential, "approve")).status_code == 404
    assert officer_client.get(f"/workforce/credentials/people/{theirs.pk}/new/").status_code == 404
    evidence = CredentialEvidence.objects.get()
    assert officer_client.get(f"/workforce/credentials/evidence/{evidence.pk}/").status_code == 404
    credential.refresh_from_db()
    assert credential.status == CredentialStatus.SUBMITTED
    assert "Orang Lain" not in officer_client.get(QUEUE).content.decode()


# --- A credential's page --------------------------------------------------------------


def test_the_holder_reads_their_own_credential_and_a_colleague_is_refused(
    client: Client, nurse_client: Client, officer: User, doctor: Person
) -> None:
    credential = submit(officer, doctor)
    assert doctor.user is not None
    log_in(client, doctor.user)
    response = client.get(url(credential))
    assert response.status_code == 200
    assert not response.context["show_verify"]
    assert nurse_client.get(url(credential)).status_code == 403


def test_adding_a_bad_file_on_the_credentials_page_shows_the_error(
    client: Client, officer: User, doctor: Person, private_root: Path, tmp_path: Path
) -> None:
    credential = submit(officer, doctor)
    assert doctor.user is not None
    log_in(client, doctor.user)
    bad = tmp_path / "photo.jpg"
    bad.write_bytes(b"GIF89a not a jpeg")
    with bad.open("rb") as handle:
        response = client.post(url(credential, "evidence"), {"evidence": handle})
    assert response.status_code == 200
    assert response.context["evidence_form"].errors["evidence"]
    assert not CredentialEvidence.objects.exists()
    good = tmp_path / "photo.png"
    good.write_bytes(PNG_BYTES)
    with good.open("rb") as handle:
        assert client.post(url(credential, "evidence"), {"evidence": handle}).status_code == 302
    assert credential.evidence.get().content_type == "image/png"


def test_revoking_from_the_credentials_page_needs_a_reason(
    officer: User, approver_client: Client, doctor: Person
) -> None:
    credential = submit(officer, doctor)
    # A second person checks it at the source: the one who entered it cannot.
    approver = User.objects.get(username="budi")
    verify_credential(
        scope=scope_of(approver), acting_user=approver, credential=credential, check=at_source(credential)
    )
    assert approver_client.get(url(credential)).context["show_revoke"]
    response = approver_client.post(url(credential, "revoke"), {"reason": ""})
    assert response.context["form"].errors["reason"]
    response = approver_client.post(url(credential, "revoke"), {"reason": "Konsil ruling 12/2026"})
    assert response.status_code == 302
    credential.refresh_from_db()
    assert (credential.status, credential.revocation_reason) == (CredentialStatus.REVOKED, "Konsil ruling 12/2026")


# --- Approval of a controlled-substance authorisation ---------------------------------


def test_a_second_person_approves_from_the_queue_at_once_after_a_recent_login(
    approver_client: Client, officer: User, doctor: Person, approver: User
) -> None:
    credential = submit(officer, doctor, CredentialKind.CONTROLLED_AUTHORISATION, issuer="Komite Medik")
    response = approver_client.post(url(credential, "approve"))
    assert response.status_code == 302
    assert response["Location"] == QUEUE
    credential.refresh_from_db()
    assert (credential.status, credential.decided_by) == (CredentialStatus.VERIFIED, approver)


def test_a_stale_approver_is_sent_to_re_authenticate_and_back_to_confirm(
    approver_client: Client, approver_device: TOTPDevice, officer: User, doctor: Person
) -> None:
    credential = submit(officer, doctor, CredentialKind.CONTROLLED_AUTHORISATION, issuer="Komite Medik")
    age_session_value(approver_client, SESSION_PASSWORD_AT, STALE)
    age_session_value(approver_client, SESSION_SECOND_FACTOR_AT, STALE)
    approve_url = url(credential, "approve")
    response = approver_client.post(approve_url)
    assert response["Location"] == f"{REAUTH_URL}?next={quote(approve_url, safe='')}"
    credential.refresh_from_db()
    assert credential.status == CredentialStatus.SUBMITTED
    back = approver_client.post(
        REAUTH_URL, {"password": PASSWORD, "token": totp_code(approver_device), "next": approve_url}
    )
    assert back["Location"] == approve_url
    confirm = approver_client.get(approve_url)
    assert confirm.status_code == 200
    assert f'action="{approve_url}"' not in confirm.content.decode()  # the form posts to itself
    assert approver_client.post(approve_url).status_code == 302
    credential.refresh_from_db()
    assert credential.status == CredentialStatus.VERIFIED


def test_the_one_who_entered_an_authorisation_is_not_offered_to_approve_it(
    approver_client: Client, approver: User, doctor: Person
) -> None:
    credential = submit(approver, doctor, CredentialKind.CONTROLLED_AUTHORISATION, issuer="Komite Medik")
    page = approver_client.get(QUEUE).content.decode()
    assert f'action="{url(credential, "approve")}"' not in page
    response = approver_client.post(url(credential, "approve"))
    assert response.status_code == 403
    credential.refresh_from_db()
    assert credential.status == CredentialStatus.SUBMITTED


def test_an_approver_without_a_second_factor_is_told_to_set_one_up(
    officer_client: Client, approver: User, doctor: Person
) -> None:
    credential = submit(approver, doctor, CredentialKind.CONTROLLED_AUTHORISATION, issuer="Komite Medik")
    confirm = officer_client.get(url(credential, "approve"))
    assert confirm.status_code == 200
    assert not confirm.context["has_second_factor"]
    response = officer_client.post(url(credential, "approve"))
    assert response.status_code == 403
    assert "faktor autentikasi kedua" in response.content.decode()
    credential.refresh_from_db()
    assert credential.status == CredentialStatus.SUBMITTED


def test_members_who_may_not_approve_are_refused_the_approval_page(
    nurse_client: Client, org: Organization, facility: Facility, officer: User, doctor: Person, nurse: User
) -> None:
    add_person(org, Role.NURSE, name="Siti", user=nurse, facilities=(facility,))
    credential = submit(officer, Person.objects.get(user=nurse), CredentialKind.CONTROLLED_AUTHORISATION, issuer="K")
    # The holder reads her own authorisation, but approving it is not hers to do.
    assert nurse_client.get(url(credential)).status_code == 200
    assert nurse_client.get(url(credential, "approve")).status_code == 403


def test_the_approval_page_of_something_not_awaiting_approval_leads_back_to_the_credential(
    approver_client: Client, officer: User, doctor: Person
) -> None:
    credential = submit(officer, doctor)
    response = approver_client.post(url(credential, "approve"))
    assert response["Location"] == url(credential)
    credential.refresh_from_db()
    assert credential.status == CredentialStatus.SUBMITTED
