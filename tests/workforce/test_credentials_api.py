"""Credentials in the JSON API: the same rules, privileges and audit as the pages."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.accounts.services import create_api_token
from nyeri.audit.models import AuditAction
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.workforce.credentials.services import submit_credential
from nyeri.workforce.kinds import CredentialKind, CredentialStatus
from nyeri.workforce.models import Credential, CredentialEvidence, Person
from tests.accounts_fixtures import give_second_factor, verify
from tests.conftest import MakeMember, log_in
from tests.workforce.credentials_support import *  # noqa: F403 - fixtures
from tests.workforce.credentials_support import (
    PDF_BYTES,
    add_person,
    at_source,
    credential_events,
    real_upload,
    scope_of,
    stored_files,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_root")]

API = "/api/workforce/credentials"


def submit(user: User, person: Person, kind: str = CredentialKind.REGISTRATION, **fields: Any) -> Credential:
    values: dict[str, Any] = {"issuer": "Konsil Kesehatan Indonesia", "issued_on": date(2024, 1, 2)}
    values.update(fields)
    return submit_credential(scope=scope_of(user), acting_user=user, person=person, kind=kind, **values)


def post(client: Client, path: str, payload: dict[str, Any] | None = None, **extra: Any) -> Any:
    return client.post(path, payload or {}, content_type="application/json", **extra)


def fields_of(response: Any) -> set[str]:
    assert response.status_code == 422, response.content
    return {f["field"] for f in response.json()["error"]["fields"]}


@pytest.fixture
def officer_client(officer: User) -> Client:
    return log_in(Client(), officer)


def sip_payload(person: Person, facility: Facility, **overrides: Any) -> dict[str, Any]:
    today = timezone.localdate()
    payload: dict[str, Any] = {
        "person_id": person.pk,
        "kind": "practice_permit",
        "number": "503/SIP/2025",
        "issuer": "DPMPTSP Kota Bandung",
        "issued_on": (today - timedelta(days=30)).isoformat(),
        "expires_on": (today + timedelta(days=1800)).isoformat(),
        "facility_id": facility.pk,
        "issuer_regency_code": facility.regency_code,
    }
    payload.update(overrides)
    return payload


def test_submitting_through_the_api_answers_201_with_the_credential(
    officer_client: Client, officer: User, doctor: Person, facility: Facility
) -> None:
    response = post(officer_client, API, sip_payload(doctor, facility))
    assert response.status_code == 201, response.content
    body = response.json()
    credential = Credential.objects.get()
    assert body["id"] == credential.pk
    assert (body["status"], body["facility_id"], body["person_name"]) == ("submitted", facility.pk, doctor.full_name)
    assert body["evidence"] == []
    assert credential.submitted_by == officer
    assert credential_events(AuditAction.CREATE)


def test_bad_input_through_the_api_is_422_naming_each_field_and_saves_nothing(
    officer_client: Client, doctor: Person, facility: Facility
) -> None:
    payload = sip_payload(doctor, facility, issuer_regency_code="35.78", expires_on="2020-01-01", months=3)
    assert fields_of(post(officer_client, API, payload)) == {"issuer_regency_code", "expires_on", "months"}
    assert fields_of(post(officer_client, API, sip_payload(doctor, facility, kind="wizardry"))) == {"kind"}
    not_a_date = sip_payload(doctor, facility, issued_on="yesterday")
    assert fields_of(post(officer_client, API, not_a_date)) == {"issued_on"}
    response = post(officer_client, API, sip_payload(doctor, facility, facility_id=None))
    assert fields_of(response) == {"facility_id"}
    assert not Credential.objects.exists()


def test_another_organizations_person_or_facility_is_unknown_to_the_api(
    officer_client: Client, doctor: Person, facility: Facility, other_org: Organization, other_facility: Facility
) -> None:
    theirs = add_person(other_org, Role.NURSE, name="Orang Lain", facilities=(other_facility,))
    assert fields_of(post(officer_client, API, sip_payload(theirs, facility))) == {"person_id"}
    assert fields_of(post(officer_client, API, sip_payload(doctor, other_facility))) == {"facility_id"}
    assert not Credential.objects.exists()


def test_the_list_filters_by_person_and_status_and_a_member_sees_only_their_own(
    officer_client: Client, officer: User, doctor: Person, org: Organization, facility: Facility, client: Client
) -> None:
    other = add_person(org, Role.NURSE, name="Eka", facilities=(facility,))
    mine = submit(officer, doctor)
    theirs = submit(officer, other)
    assert {c["id"] for c in officer_client.get(API).json()["items"]} == {mine.pk, theirs.pk}
    assert [c["id"] for c in officer_client.get(API, {"person": doctor.pk}).json()["items"]] == [mine.pk]
    assert officer_client.get(API, {"status": "verified"}).json()["items"] == []
    assert fields_of(officer_client.get(API, {"status": "lost"})) == {"status"}
    assert doctor.user is not None
    log_in(client, doctor.user)
    assert [c["id"] for c in client.get(API).json()["items"]] == [mine.pk]
    assert client.get(f"{API}/{theirs.pk}").status_code == 403


def test_the_list_is_paged_and_each_reads_as_its_detail_with_its_evidence(
    officer_client: Client, officer: User, doctor: Person, private_root: Path, tmp_path: Path
) -> None:
    older, newer = submit(officer, doctor), submit(officer, doctor)
    for name in ("a.pdf", "b.pdf"):
        upload = officer_client.post(f"{API}/{older.pk}/evidence", {"file": real_upload(tmp_path, name, PDF_BYTES)})
        assert upload.status_code == 201, upload.content
    first = officer_client.get(API, {"page_size": 1}).json()
    assert (first["count"], first["page"], first["pages"], first["page_size"]) == (2, 1, 2, 1)
    assert [c["id"] for c in first["items"]] == [newer.pk]
    assert first["items"][0]["evidence"] == []
    [row] = officer_client.get(API, {"page_size": 1, "page": 2}).json()["items"]
    assert row == officer_client.get(f"{API}/{older.pk}").json()
    assert [e["original_name"] for e in row["evidence"]] == ["a.pdf", "b.pdf"]
    assert officer_client.get(row["evidence"][0]["download_url"]).status_code == 200
    assert len(stored_files(private_root)) == 2


def test_another_organizations_credential_is_not_found_in_the_api(
    officer_client: Client, other_org: Organization, other_facility: Facility, make_member: MakeMember
) -> None:
    their_officer = make_member(other_org, Role.CREDENTIALING_OFFICER, username="lain")
    theirs = add_person(other_org, Role.NURSE, name="Orang Lain", facilities=(other_facility,))
    credential = submit(their_officer, theirs)
    assert officer_client.get(f"{API}/{credential.pk}").status_code == 404
    for action in ("verify", "reject", "revoke", "approve"):
        response = post(officer_client, f"{API}/{credential.pk}/{action}", {"reason": "x"})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert officer_client.get(API).json()["items"] == []
    credential.refresh_from_db()
    assert credential.status == CredentialStatus.SUBMITTED


def test_verifying_and_rejecting_through_the_api(
    officer_client: Client, officer: User, doctor: Person, org: Organization, facility: Facility
) -> None:
    assert doctor.user is not None
    first = submit(doctor.user, doctor)
    check = at_source(first)
    response = officer_client.post(
        f"{API}/{first.pk}/verify",
        {"source": check.source, "method": check.method, "checked_on": check.checked_on, "attestation": "Seen."},
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["decided_by_id"]) == ("verified", officer.pk)
    second = submit(officer, add_person(org, Role.NURSE, name="Eka", facilities=(facility,)))
    assert fields_of(post(officer_client, f"{API}/{second.pk}/reject", {"reason": ""})) == {"reason"}
    response = post(officer_client, f"{API}/{second.pk}/reject", {"reason": "Expired scan"})
    assert (response.json()["status"], response.json()["decision_reason"]) == ("rejected", "Expired scan")
    again = post(officer_client, f"{API}/{second.pk}/verify")
    assert fields_of(again) == {"status"}


def test_an_officer_verifying_their_own_credential_through_the_api_is_told_why_not(
    officer_client: Client, officer: User
) -> None:
    credential = submit(officer, Person.objects.get(user=officer))
    response = post(officer_client, f"{API}/{credential.pk}/verify")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert "kredensial Anda sendiri" in response.json()["error"]["message"]
    assert credential_events(AuditAction.PERMISSION_DENIED)


def test_an_api_token_cannot_approve_a_controlled_authorisation(officer: User, approver: User, doctor: Person) -> None:
    give_second_factor(approver)
    credential = submit(officer, doctor, CredentialKind.CONTROLLED_AUTHORISATION, issuer="Komite Medik")
    _token, secret = create_api_token(acting_user=approver, name="script", expires_in_days=None)
    response = post(Client(), f"{API}/{credential.pk}/approve", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "reauthentication_required"
    credential.refresh_from_db()
    assert credential.status == CredentialStatus.SUBMITTED


def test_a_freshly_logged_in_second_person_approves_through_the_api(
    officer: User, approver: User, doctor: Person
) -> None:
    device, _codes = give_second_factor(approver)
    client = log_in(Client(), approver)
    verify(client, device)
    credential = submit(officer, doctor, CredentialKind.CONTROLLED_AUTHORISATION, issuer="Komite Medik")
    response = post(client, f"{API}/{credential.pk}/approve")
    assert response.status_code == 200, response.content
    assert response.json()["decided_by_id"] == approver.pk
    assert fields_of(post(client, f"{API}/{submit(officer, doctor).pk}/approve")) == {"kind"}


def test_evidence_uploaded_and_downloaded_through_the_api(
    client: Client, officer: User, doctor: Person, private_root: Path, tmp_path: Path
) -> None:
    assert doctor.user is not None
    log_in(client, doctor.user)
    credential = submit(doctor.user, doctor)
    response = client.post(f"{API}/{credential.pk}/evidence", {"file": real_upload(tmp_path, "str.png", PDF_BYTES)})
    assert response.status_code == 201, response.content
    [item] = response.json()
    assert (item["content_type"], item["original_name"]) == ("application/pdf", "str.png")
    download = client.get(item["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert download["X-Content-Type-Options"] == "nosniff"
    assert credential_events(AuditAction.READ)
    bad = client.post(f"{API}/{credential.pk}/evidence", {"file": real_upload(tmp_path, "x.pdf", b"hello")})
    assert fields_of(bad) == {"file"}
    assert CredentialEvidence.objects.count() == 1
    assert len(stored_files(private_root)) == 1
    assert client.get(f"{API}/{credential.pk}").json()["evidence"][0]["id"] == item["id"]
