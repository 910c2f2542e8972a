"""Evidence files on declared credentials: checked by content, private to the candidate, gone when removed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.candidates import services
from nyeri.candidates.models import CandidateCredential, CandidateEvidence, CandidateProfile
from nyeri.candidates.selectors import evidence_uploads
from nyeri.candidates.services import (
    attach_candidate_evidence,
    declare_credential,
    remove_candidate_evidence,
    withdraw_credential,
)
from nyeri.tenancy.models import Organization
from nyeri.tenancy.roles import Role
from nyeri.workforce.credentials import evidence as evidence_files
from nyeri.workforce.credentials.evidence import MAX_FILES_PER_CREDENTIAL
from nyeri.workforce.kinds import CredentialKind
from tests.candidates.conftest import make_candidate
from tests.conftest import MakeMember, log_in

pytestmark = pytest.mark.django_db

# Real file heads: what a scanner or a phone writes at the start of each file.
PDF_BYTES = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(40)

OnCommit = Callable[..., Any]


@pytest.fixture
def private_root(settings: Any, tmp_path: Path) -> Path:
    """Evidence goes to a fresh folder of this test, never to the real private storage."""
    root = tmp_path / "private"
    settings.PRIVATE_STORAGE_ROOT = root
    return root


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def pdf(name: str = "str-scan.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def png(name: str = "sip-photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


def declared(profile: CandidateProfile) -> CandidateCredential:
    return declare_credential(
        acting_user=profile.user,
        profile=profile,
        kind=CredentialKind.REGISTRATION,
        number="KKI-1234",
        issuer="Konsil Kesehatan Indonesia",
        issued_on=date(2024, 1, 2),
    )


def upload_url(credential: CandidateCredential) -> str:
    return f"/candidates/profile/credentials/{credential.pk}/evidence/"


def download_url(evidence: CandidateEvidence) -> str:
    return f"/candidates/profile/evidence/{evidence.pk}/"


def remove_url(evidence: CandidateEvidence) -> str:
    return f"/candidates/profile/evidence/{evidence.pk}/remove/"


def events(action: AuditAction) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type="candidate_evidence", action=action).order_by("seq"))


def test_a_pdf_and_a_png_are_attached_and_stored_privately_under_the_candidate(
    candidate_client: Client, candidate: CandidateProfile, private_root: Path
) -> None:
    credential = declared(candidate)

    response = candidate_client.post(upload_url(credential), {"evidence": [pdf(), png()]})

    assert response.status_code == 302
    rows = list(CandidateEvidence.objects.filter(credential=credential).order_by("pk"))
    assert [(r.original_name, r.content_type, r.size) for r in rows] == [
        ("str-scan.pdf", "application/pdf", len(PDF_BYTES)),
        ("sip-photo.png", "image/png", len(PNG_BYTES)),
    ]
    assert rows[0].sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert all(r.candidate_id == candidate.pk for r in rows)
    folder = private_root / "candidate-evidence" / str(candidate.pk)
    assert stored_files(private_root) == sorted(folder / Path(r.storage_name).name for r in rows)
    # The sender's file name never reaches the disk.
    assert all("scan" not in r.storage_name and "photo" not in r.storage_name for r in rows)
    created = events(AuditAction.CREATE)
    assert [e.object_id for e in created] == [str(r.pk) for r in rows]
    assert all(e.organization_id is None and e.actor == candidate.user for e in created)

    page = candidate_client.get("/candidates/profile/").content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert "str-scan.pdf" in page
    assert "sip-photo.png" in page
    assert download_url(rows[0]) in page
    assert remove_url(rows[0]) in page


def test_a_text_file_named_pdf_is_refused_with_the_reason_and_nothing_is_written(
    candidate_client: Client, candidate: CandidateProfile, private_root: Path
) -> None:
    credential = declared(candidate)
    fake = pdf("certificate.pdf", b"This is not really a PDF, just text.\n")

    response = candidate_client.post(upload_url(credential), {"evidence": [png(), fake]})

    assert response.status_code == 400
    with translation.override(candidate.user.language):
        reason = gettext("“%(name)s” is not a PDF, PNG or JPEG file (its content was checked, not its name).") % {
            "name": "certificate.pdf"
        }
    assert reason in response.content.decode()
    assert not CandidateEvidence.objects.exists()
    assert stored_files(private_root) == []
    assert events(AuditAction.CREATE) == []


def test_the_service_says_why_a_file_is_refused_under_evidence(candidate: CandidateProfile, private_root: Path) -> None:
    credential = declared(candidate)
    with pytest.raises(ValidationError) as exc:
        attach_candidate_evidence(
            acting_user=candidate.user, credential=credential, uploads=[SimpleUploadedFile("empty.pdf", b"")]
        )
    assert exc.value.message_dict == {"evidence": [gettext("“%(name)s” is empty.") % {"name": "empty.pdf"}]}
    with pytest.raises(ValidationError) as exc:
        attach_candidate_evidence(acting_user=candidate.user, credential=credential, uploads=[])
    assert exc.value.message_dict == {"evidence": [gettext("Choose a file.")]}
    assert stored_files(private_root) == []


def test_more_files_than_a_credential_may_have_are_refused(
    candidate: CandidateProfile, candidate_client: Client, private_root: Path
) -> None:
    credential = declared(candidate)
    attach_candidate_evidence(
        acting_user=candidate.user,
        credential=credential,
        uploads=[pdf(f"page-{i}.pdf") for i in range(MAX_FILES_PER_CREDENTIAL - 1)],
    )
    before = stored_files(private_root)

    response = candidate_client.post(upload_url(credential), {"evidence": [pdf("one.pdf"), pdf("two.pdf")]})

    assert response.status_code == 400
    with translation.override(candidate.user.language):
        reason = gettext("A credential can have at most %(max)d evidence files.") % {"max": MAX_FILES_PER_CREDENTIAL}
    assert reason in response.content.decode()
    assert CandidateEvidence.objects.count() == MAX_FILES_PER_CREDENTIAL - 1
    assert stored_files(private_root) == before
    # The last place is still free.
    attach_candidate_evidence(acting_user=candidate.user, credential=credential, uploads=[pdf("last.pdf")])
    assert CandidateEvidence.objects.count() == MAX_FILES_PER_CREDENTIAL


def test_a_failed_transaction_leaves_no_file_on_disk(
    candidate: CandidateProfile, private_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    credential = declared(candidate)

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("audit storage unavailable")

    monkeypatch.setattr(services, "record_event", broken)
    with pytest.raises(RuntimeError):
        attach_candidate_evidence(acting_user=candidate.user, credential=credential, uploads=[pdf(), png()])
    assert not CandidateEvidence.objects.exists()
    assert stored_files(private_root) == []


def test_the_owner_downloads_the_file_as_an_attachment_of_its_sniffed_type(
    candidate: CandidateProfile, candidate_client: Client, private_root: Path
) -> None:
    credential = declared(candidate)
    # A PDF sent under a PNG name and type: it is a PDF, and is served as one.
    [row] = attach_candidate_evidence(
        acting_user=candidate.user,
        credential=credential,
        uploads=[SimpleUploadedFile("ijazah.png", PDF_BYTES, content_type="image/png")],
    )
    assert row.content_type == "application/pdf"

    response = candidate_client.get(download_url(row))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="ijazah.png.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    [read] = events(AuditAction.READ)
    assert read.object_id == str(row.pk)
    assert read.actor == candidate.user


def test_another_candidate_or_a_clinic_member_cannot_download_or_remove_a_file(
    candidate: CandidateProfile,
    private_root: Path,
    org: Organization,
    make_member: MakeMember,
    django_capture_on_commit_callbacks: Any,
) -> None:
    credential = declared(candidate)
    [row] = attach_candidate_evidence(acting_user=candidate.user, credential=credential, uploads=[pdf()])
    other = make_candidate("budi@example.id")
    staff = make_member(org, Role.CREDENTIALING_OFFICER, username="officer")

    for user in (other.user, staff):
        client = log_in(Client(), user)
        assert client.get(download_url(row)).status_code == 404
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(remove_url(row))
        assert response.status_code in (403, 404)
    # A candidate gets 404 (not told the file exists); staff are not candidates at all (403).
    assert log_in(Client(), other.user).post(remove_url(row)).status_code == 404
    assert Client().get(download_url(row)).status_code == 302  # to the login page
    assert CandidateEvidence.objects.filter(pk=row.pk).exists()
    assert len(stored_files(private_root)) == 1
    assert events(AuditAction.READ) == []
    with pytest.raises(PermissionDenied):
        remove_candidate_evidence(acting_user=other.user, evidence=row)
    with pytest.raises(PermissionDenied):
        attach_candidate_evidence(acting_user=other.user, credential=credential, uploads=[png()])
    assert CandidateEvidence.objects.count() == 1
    assert len(stored_files(private_root)) == 1


def test_a_removed_file_is_deleted_from_disk_once_committed(
    candidate: CandidateProfile,
    candidate_client: Client,
    private_root: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    credential = declared(candidate)
    kept, removed = attach_candidate_evidence(acting_user=candidate.user, credential=credential, uploads=[pdf(), png()])

    with django_capture_on_commit_callbacks(execute=True):
        response = candidate_client.post(remove_url(removed))

    assert response.status_code == 302
    assert list(CandidateEvidence.objects.values_list("pk", flat=True)) == [kept.pk]
    assert stored_files(private_root) == [evidence_files.path_of(kept.storage_name)]
    [cancel] = events(AuditAction.CANCEL)
    assert cancel.object_id == str(removed.pk)


def test_withdrawing_a_credential_deletes_its_files_from_disk_once_committed(
    candidate: CandidateProfile,
    candidate_client: Client,
    private_root: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    withdrawn = declared(candidate)
    kept = declared(candidate)
    attach_candidate_evidence(acting_user=candidate.user, credential=withdrawn, uploads=[pdf(), png()])
    [other_file] = attach_candidate_evidence(acting_user=candidate.user, credential=kept, uploads=[pdf()])

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = candidate_client.post(f"/candidates/profile/credentials/{withdrawn.pk}/withdraw/")

    assert response.status_code == 302
    # The deletion is one of the commit's callbacks (the audit chain keeps its own there too).
    assert callbacks
    assert not CandidateCredential.objects.filter(pk=withdrawn.pk).exists()
    assert list(CandidateEvidence.objects.all()) == [other_file]
    assert stored_files(private_root) == [evidence_files.path_of(other_file.storage_name)]


def test_a_withdrawal_that_does_not_commit_keeps_the_files(
    candidate: CandidateProfile, private_root: Path, django_capture_on_commit_callbacks: Any
) -> None:
    credential = declared(candidate)
    attach_candidate_evidence(acting_user=candidate.user, credential=credential, uploads=[pdf()])
    # Captured but not run: as if the transaction had rolled back before its commit.
    with django_capture_on_commit_callbacks(execute=False):
        withdraw_credential(acting_user=candidate.user, credential=credential)
    assert len(stored_files(private_root)) == 1


def test_the_files_can_be_handed_over_as_uploads_that_pass_the_checks_again(
    candidate: CandidateProfile, private_root: Path
) -> None:
    credential = declared(candidate)
    attach_candidate_evidence(acting_user=candidate.user, credential=credential, uploads=[pdf(), png()])

    with evidence_uploads(credential) as uploads:
        checked, errors = evidence_files.check_uploads(uploads)
        assert errors == []
        assert [(c.original_name, c.content_type) for c in checked] == [
            ("str-scan.pdf", "application/pdf"),
            ("sip-photo.png", "image/png"),
        ]
        stored = evidence_files.store(checked[0], organization_id=7)
    assert stored.storage_name.startswith("credential-evidence/7/")
    assert stored.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert all(u.file.closed for u in uploads)


def test_store_takes_exactly_one_of_an_organization_and_a_folder(private_root: Path) -> None:
    [checked], _errors = evidence_files.check_uploads([pdf()])
    with pytest.raises(TypeError):
        evidence_files.store(checked)
    with pytest.raises(TypeError):
        evidence_files.store(checked, organization_id=1, folder="candidate-evidence/1")
    with pytest.raises(ValueError, match="outside the private root"):
        evidence_files.store(checked, folder="../outside")
    assert stored_files(private_root) == []


def test_the_login_page_invites_job_seekers_to_sign_up_and_to_the_job_board(client: Client, org: Organization) -> None:
    # (An installation without any organization sends the login page to /setup/.)
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'href="/candidates/sign-up/"' in page
    assert "Looking for a job? Sign up as a candidate" in page
    assert 'href="/jobs/"' in page


def test_a_staff_user_is_not_a_candidate_for_the_upload_form(
    org: Organization, make_member: MakeMember, candidate: CandidateProfile, private_root: Path
) -> None:
    credential = declared(candidate)
    staff: User = make_member(org, Role.CREDENTIALING_OFFICER, username="officer")
    response = log_in(Client(), staff).post(upload_url(credential), {"evidence": [pdf()]})
    assert response.status_code == 403
    assert stored_files(private_root) == []
