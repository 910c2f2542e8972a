"""A candidate's evidence files: the facility they applied to may read them (audited); at
hiring they are copied, checked again, with the credential into the credentialing queue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from nyeri.accounts.models import User
from nyeri.audit.models import AuditEvent
from nyeri.candidates.models import CandidateCredential, CandidateProfile
from nyeri.candidates.services import attach_candidate_evidence
from nyeri.hiring import services
from nyeri.hiring.models import Application
from nyeri.jobs.models import JobPosting
from nyeri.workforce.credentials import evidence as evidence_files
from nyeri.workforce.models import CredentialEvidence
from tests.candidates.test_evidence import PDF_BYTES
from tests.facilities.conftest import client_of, scope_of

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def storage(settings: Any, tmp_path: Path) -> Path:
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    return tmp_path


def attach(profile: CandidateProfile, kind: str) -> None:
    credential = CandidateCredential.objects.get(candidate=profile, kind=kind)
    attach_candidate_evidence(
        acting_user=profile.user,
        credential=credential,
        uploads=[SimpleUploadedFile("str.pdf", PDF_BYTES, content_type="application/pdf")],
    )


def test_the_facility_reads_an_applicants_file_and_the_read_is_audited(
    storage: Path, posting: JobPosting, ayu: CandidateProfile, budi: CandidateProfile, officer: User, other_admin: User
) -> None:
    attach(ayu, "registration")
    attach(budi, "registration")
    application = services.apply_to_posting(acting_user=ayu.user, profile=ayu, posting_id=posting.pk)
    evidence = ayu.evidence.get()
    officer_client: Client = client_of(officer)
    page = officer_client.get(f"/hiring/applications/{application.pk}/").content.decode()
    assert f"/hiring/applications/{application.pk}/evidence/{evidence.pk}/" in page
    response = officer_client.get(f"/hiring/applications/{application.pk}/evidence/{evidence.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES  # type: ignore[attr-defined]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert AuditEvent.objects.filter(object_type="application", reason__startswith=f"evidence {evidence.pk}").exists()
    # Budi did not apply: his file is not reachable through Ayu's application, nor by another organization.
    budi_file = budi.evidence.get()
    assert officer_client.get(f"/hiring/applications/{application.pk}/evidence/{budi_file.pk}/").status_code == 404
    other = client_of(other_admin).get(f"/hiring/applications/{application.pk}/evidence/{evidence.pk}/")
    assert other.status_code == 404


def test_hiring_copies_the_files_with_the_credential_into_the_queue(
    storage: Path, posting: JobPosting, ayu: CandidateProfile, officer: User
) -> None:
    attach(ayu, "registration")
    scope = scope_of(officer)
    application: Application = services.apply_to_posting(acting_user=ayu.user, profile=ayu, posting_id=posting.pk)
    for _step in range(3):
        application = services.advance_application(scope=scope, acting_user=officer, application=application)
    services.hire(scope=scope, acting_user=officer, application=application, citizenship="citizen")
    copied = CredentialEvidence.objects.get(credential__person__user=ayu.user, credential__kind="registration")
    assert copied.organization_id == posting.organization_id
    assert copied.original_name == "str.pdf"
    assert evidence_files.path_of(copied.storage_name).read_bytes() == PDF_BYTES
    # A copy under the organization, not the candidate's own file.
    assert copied.storage_name != ayu.evidence.get().storage_name
