"""Evidence files: accepted by their content, stored privately, streamed only to those allowed."""

from __future__ import annotations

import hashlib
import stat
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditOutcome
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.workforce.credentials import evidence as evidence_files
from nyeri.workforce.credentials import services
from nyeri.workforce.credentials.evidence import DEFAULT_MAX_BYTES, clean_name, download_name, sniff
from nyeri.workforce.credentials.services import attach_evidence, submit_credential, verify_credential
from nyeri.workforce.kinds import Citizenship, CredentialKind
from nyeri.workforce.models import Credential, CredentialEvidence, Person
from tests.accounts_fixtures import give_second_factor, verify
from tests.conftest import MakeMember, log_in
from tests.workforce.credentials_support import *  # noqa: F403 - fixtures
from tests.workforce.credentials_support import (
    JPEG_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    add_person,
    at_source,
    credential_events,
    real_upload,
    scope_of,
    stored_files,
)

pytestmark = pytest.mark.django_db


def submit_with(user: User, person: Person, *uploads: Any) -> Credential:
    return submit_credential(
        scope=scope_of(user),
        acting_user=user,
        person=person,
        kind=CredentialKind.REGISTRATION,
        evidence=list(uploads),
        number="KKI-9",
        issuer="Konsil Kesehatan Indonesia",
        issued_on=date(2024, 1, 2),
    )


def refused(user: User, person: Person, upload: Any, root: Path) -> list[str]:
    with pytest.raises(ValidationError) as exc:
        submit_with(user, person, upload)
    assert not Credential.objects.exists()
    assert not CredentialEvidence.objects.exists()
    assert stored_files(root) == []
    return exc.value.message_dict["evidence"]


def download(client: Client, evidence: CredentialEvidence) -> Any:
    return client.get(f"/workforce/credentials/evidence/{evidence.pk}/")


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_the_type_is_read_from_the_first_bytes() -> None:
    assert sniff(PDF_BYTES[:8]) == "application/pdf"
    assert sniff(PNG_BYTES[:8]) == "image/png"
    assert sniff(JPEG_BYTES[:8]) == "image/jpeg"
    assert sniff(b"GIF89a") is None
    assert sniff(b"") is None


def test_a_pdf_is_stored_under_a_random_name_with_its_sha256(
    officer: User, doctor: Person, private_root: Path, tmp_path: Path
) -> None:
    credential = submit_with(officer, doctor, real_upload(tmp_path, "STR dr Andi.pdf", PDF_BYTES, "application/pdf"))
    [evidence] = credential.evidence.all()
    [path] = stored_files(private_root)
    assert path.read_bytes() == PDF_BYTES
    assert evidence.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert (evidence.content_type, evidence.size, evidence.original_name) == (
        "application/pdf",
        len(PDF_BYTES),
        "STR dr Andi.pdf",
    )
    # The sender's name never reaches the disk; only the owner may read the file.
    assert "Andi" not in str(path)
    assert str(path).endswith(evidence.storage_name)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    [event] = credential_events(AuditAction.CREATE)[1:]
    assert (event.object_type, event.object_id) == ("credential_evidence", str(evidence.pk))
    assert evidence.sha256 in event.reason


def test_a_pdf_renamed_png_is_accepted_as_the_pdf_it_is(
    officer: User, doctor: Person, private_root: Path, tmp_path: Path
) -> None:
    credential = submit_with(officer, doctor, real_upload(tmp_path, "scan.png", PDF_BYTES, "image/png"))
    [evidence] = credential.evidence.all()
    assert evidence.content_type == "application/pdf"
    assert evidence.original_name == "scan.png"
    # Offered back under a name the reader's computer opens as a PDF.
    assert download_name(evidence) == "scan.png.pdf"


def test_png_and_jpeg_photos_are_accepted(officer: User, doctor: Person, private_root: Path, tmp_path: Path) -> None:
    credential = submit_with(
        officer,
        doctor,
        real_upload(tmp_path, "photo.PNG", PNG_BYTES, "image/png"),
        real_upload(tmp_path, "photo.jpeg", JPEG_BYTES, "image/jpeg"),
    )
    assert sorted(e.content_type for e in credential.evidence.all()) == ["image/jpeg", "image/png"]
    assert len(stored_files(private_root)) == 2


def test_a_text_file_named_pdf_is_refused_and_nothing_is_written(
    officer: User, doctor: Person, private_root: Path, tmp_path: Path
) -> None:
    upload = real_upload(tmp_path, "str.pdf", b"I am a text file, honest.\n", "application/pdf")
    [message] = refused(officer, doctor, upload, private_root)
    assert "str.pdf" in message


def test_an_html_page_claiming_to_be_an_image_is_refused(
    officer: User, doctor: Person, private_root: Path, tmp_path: Path
) -> None:
    upload = real_upload(tmp_path, "photo.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg")
    refused(officer, doctor, upload, private_root)


def test_a_file_over_the_default_limit_of_10_mb_is_refused_and_nothing_is_written(
    officer: User, doctor: Person, private_root: Path, tmp_path: Path
) -> None:
    upload = real_upload(tmp_path, "huge.pdf", PDF_BYTES + bytes(DEFAULT_MAX_BYTES), "application/pdf")
    [message] = refused(officer, doctor, upload, private_root)
    assert "huge.pdf" in message


def test_the_size_limit_can_come_from_the_settings(
    officer: User, doctor: Person, private_root: Path, tmp_path: Path, settings: Any
) -> None:
    settings.EVIDENCE_MAX_BYTES = 1024
    refused(officer, doctor, real_upload(tmp_path, "a.pdf", PDF_BYTES + bytes(1024), "application/pdf"), private_root)
    assert submit_with(officer, doctor, real_upload(tmp_path, "b.pdf", PDF_BYTES, "application/pdf")).pk


def test_an_empty_file_is_refused(officer: User, doctor: Person, private_root: Path, tmp_path: Path) -> None:
    refused(officer, doctor, real_upload(tmp_path, "empty.pdf", b""), private_root)


def test_files_already_written_are_removed_when_the_write_fails_later(
    officer: User, doctor: Person, private_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_audit(**kwargs: Any) -> None:
        raise RuntimeError("audit trail unavailable")

    monkeypatch.setattr(services, "record_event", broken_audit)
    with pytest.raises(RuntimeError):
        submit_with(
            officer, doctor, real_upload(tmp_path, "a.pdf", PDF_BYTES), real_upload(tmp_path, "b.png", PNG_BYTES)
        )
    assert not Credential.objects.exists()
    assert stored_files(private_root) == []


def test_a_bad_file_among_good_ones_refuses_the_whole_submission(
    officer: User, doctor: Person, private_root: Path, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError):
        submit_with(officer, doctor, real_upload(tmp_path, "a.pdf", PDF_BYTES), real_upload(tmp_path, "b.pdf", b"nope"))
    assert not Credential.objects.exists()
    assert stored_files(private_root) == []


def test_evidence_can_be_added_while_waiting_but_not_after_the_decision(
    officer: User, approver: User, doctor: Person, private_root: Path, tmp_path: Path
) -> None:
    assert doctor.user is not None
    credential = submit_with(doctor.user, doctor)
    attach_evidence(
        scope=scope_of(doctor.user),
        acting_user=doctor.user,
        credential=credential,
        uploads=[real_upload(tmp_path, "later.jpg", JPEG_BYTES)],
    )
    assert credential.evidence.count() == 1
    verify_credential(scope=scope_of(officer), acting_user=officer, credential=credential, check=at_source(credential))
    with pytest.raises(ValidationError) as exc:
        attach_evidence(
            scope=scope_of(doctor.user),
            acting_user=doctor.user,
            credential=credential,
            uploads=[real_upload(tmp_path, "more.pdf", PDF_BYTES)],
        )
    assert set(exc.value.message_dict) == {"evidence"}
    assert len(stored_files(private_root)) == 1


def test_the_senders_file_name_is_made_safe_to_show() -> None:
    assert clean_name("C:\\Users\\andi\\STR.pdf") == "STR.pdf"
    assert clean_name("../../etc/passwd") == "passwd"
    assert clean_name("report\u202efdp.exe") == "reportfdp.exe"
    assert clean_name("") == "evidence"
    assert clean_name("x" * 300 + ".pdf").endswith("x.pdf")
    assert len(clean_name("x" * 300 + ".pdf")) == 200


def test_a_storage_name_cannot_point_outside_the_private_root(private_root: Path) -> None:
    with pytest.raises(ValueError, match="outside"):
        evidence_files.path_of("../outside.pdf")


# --- Downloads ------------------------------------------------------------------------


@pytest.fixture
def evidence(officer: User, doctor: Person, private_root: Path, tmp_path: Path) -> CredentialEvidence:
    credential = submit_with(officer, doctor, real_upload(tmp_path, "STR Andi.pdf", PDF_BYTES, "application/pdf"))
    return credential.evidence.get()


def test_the_holder_downloads_their_evidence_as_an_attachment_and_the_read_is_audited(
    client: Client, doctor: Person, evidence: CredentialEvidence
) -> None:
    assert doctor.user is not None
    log_in(client, doctor.user)
    response = download(client, evidence)
    assert response.status_code == 200
    assert body(response) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "STR Andi.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    [event] = credential_events(AuditAction.READ)
    assert (event.actor_id, event.object_type, event.object_id) == (
        doctor.user.pk,
        "credential_evidence",
        str(evidence.pk),
    )


def test_a_credentialing_officer_downloads_any_evidence_of_the_organization(
    client: Client, approver: User, evidence: CredentialEvidence
) -> None:
    log_in(client, approver)
    assert body(download(client, evidence)) == PDF_BYTES


def test_an_administrator_downloads_evidence(
    client: Client, org: Organization, make_member: MakeMember, evidence: CredentialEvidence
) -> None:
    admin = make_member(org, Role.ADMINISTRATOR, username="dewi")
    device, _codes = give_second_factor(admin)
    log_in(client, admin)
    verify(client, device)
    assert download(client, evidence).status_code == 200


def test_a_colleague_in_the_organization_is_refused_and_the_refusal_is_audited(
    nurse_client: Client, nurse: User, evidence: CredentialEvidence
) -> None:
    assert download(nurse_client, evidence).status_code == 403
    [event] = credential_events(AuditAction.PERMISSION_DENIED)
    assert (event.actor_id, event.outcome, event.object_id) == (nurse.pk, AuditOutcome.DENIED, str(evidence.pk))
    assert not credential_events(AuditAction.READ)


def test_another_organizations_officer_finds_no_such_file(
    client: Client,
    other_org: Organization,
    other_facility: Facility,
    make_member: MakeMember,
    evidence: CredentialEvidence,
) -> None:
    stranger = make_member(other_org, Role.CREDENTIALING_OFFICER, username="lain")
    add_person(other_org, Role.CREDENTIALING_OFFICER, name="Lain", user=stranger, facilities=(other_facility,))
    log_in(client, stranger)
    assert download(client, evidence).status_code == 404
    assert client.get(f"/api/workforce/credentials/evidence/{evidence.pk}").status_code == 404
    assert not credential_events(AuditAction.READ)


def test_a_missing_file_is_not_found_rather_than_an_error(
    client: Client, approver: User, evidence: CredentialEvidence, private_root: Path
) -> None:
    for path in stored_files(private_root):
        path.unlink()
    log_in(client, approver)
    assert download(client, evidence).status_code == 404


def test_a_foreign_nationals_file_name_in_unicode_survives_the_download(
    client: Client, org: Organization, facility: Facility, officer: User, approver: User, tmp_path: Path
) -> None:
    person = add_person(org, Role.NURSE, name="Ana", facilities=(facility,), citizenship=Citizenship.FOREIGN)
    credential = submit_credential(
        scope=scope_of(officer),
        acting_user=officer,
        person=person,
        kind=CredentialKind.PAIN_TRAINING,
        evidence=[real_upload(tmp_path, "sertifikat pelatihan é.jpg", JPEG_BYTES)],
        issuer="Perhimpunan",
        issued_on=date(2025, 5, 1),
        hours=16,
    )
    log_in(client, approver)
    response = download(client, credential.evidence.get())
    assert "filename*=utf-8''sertifikat%20pelatihan%20%C3%A9.jpg" in response["Content-Disposition"]
