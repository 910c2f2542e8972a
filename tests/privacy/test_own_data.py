"""A candidate's and a staff member's own data: the export, and a candidate's erasure."""

from __future__ import annotations

import json

import pytest
from axes.models import AccessLog
from django.test import Client

from nyeri.accounts.models import User
from nyeri.accounts.session_keys import SESSION_PASSWORD_AT
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.candidates.models import CandidateCredential, CandidateProfile
from nyeri.hiring.models import Application, Stage
from nyeri.hiring.services import apply_to_posting, reject_application
from nyeri.jobs.models import JobPosting
from nyeri.privacy import services
from nyeri.tenancy.scope import Scope
from tests.conftest import PASSWORD
from tests.hiring.conftest import declare

pytestmark = pytest.mark.django_db


def test_a_candidate_exports_their_own_data(candidate_client: Client, candidate: CandidateProfile) -> None:
    declare(candidate, "registration")
    assert candidate_client.get("/privacy/me/").status_code == 200
    response = candidate_client.get("/privacy/me/export/", {"file_format": "json", "language": "id"})
    assert response.status_code == 200
    body = json.loads(response.content)
    sections = {s["key"]: s for s in body["sections"]}
    assert sections["accounts.user"]["rows"][0]["username"] == "ayu@example.id"
    assert "password" not in sections["accounts.user"]["rows"][0]
    assert sections["candidates.candidatecredential"]["rows"][0]["kind"] == "registration"
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="own_data_export").count() == 1
    pdf = candidate_client.get("/privacy/me/export/", {"file_format": "pdf", "language": "en"})
    assert pdf.content.startswith(b"%PDF")


def test_a_staff_member_exports_their_professional_record(clinician_client: Client, clinician: User) -> None:
    body = json.loads(clinician_client.get("/privacy/me/export/", {"file_format": "json", "language": "en"}).content)
    keys = {s["key"] for s in body["sections"]}
    assert {"accounts.user", "workforce.person", "workforce.credential", "workforce.personrole"} <= keys
    assert 'data-testid="erase-start"' not in clinician_client.get("/privacy/me/").content.decode()
    assert clinician_client.get("/privacy/me/erase/").status_code in (302, 403)


def test_the_profile_pages_link_to_the_own_data_page(candidate_client: Client, clinician_client: Client) -> None:
    assert "/privacy/me/" in candidate_client.get("/candidates/profile/").content.decode()
    assert "/privacy/me/" in clinician_client.get("/accounts/profile/").content.decode()


def test_erasing_an_account_asks_for_the_password_again(candidate_client: Client) -> None:
    session = candidate_client.session
    session[SESSION_PASSWORD_AT] = 0.0
    session.save()
    response = candidate_client.get("/privacy/me/erase/")
    assert response.status_code == 302
    assert "/accounts/reauthenticate/" in response["Location"]


def test_erasing_needs_the_confirmation(candidate_client: Client, candidate: CandidateProfile) -> None:
    response = candidate_client.post("/privacy/me/erase/", {})
    assert response.status_code == 400
    candidate.user.refresh_from_db()
    assert candidate.user.is_active


def test_a_candidate_erases_their_account_and_declarations(
    candidate_client: Client, candidate: CandidateProfile
) -> None:
    declare(candidate, "registration")
    user_id = candidate.user_id
    response = candidate_client.post("/privacy/me/erase/", {"confirm": "on"})
    assert response.status_code == 302
    assert response["Location"] == "/privacy/erased/"
    user = User.objects.get(pk=user_id)
    assert (user.username, user.email, user.full_name, user.is_active) == (f"erased-{user_id}", "", "", False)
    assert not user.has_usable_password()
    assert not CandidateProfile.objects.filter(pk=candidate.pk).exists()
    assert not CandidateCredential.objects.exists()
    event = AuditEvent.objects.get(object_type="candidate_erasure")
    assert "ayu" not in event.reason
    assert "ayu" not in event.actor_label
    assert not AccessLog.objects.filter(username="ayu@example.id").exists()
    # Signed out, and the old name and password no longer open anything.
    assert candidate_client.get("/privacy/me/").status_code == 302
    login = Client().post("/accounts/login/", {"username": "ayu@example.id", "password": PASSWORD})
    assert login.status_code != 302


def test_an_application_an_organization_decided_on_is_kept_anonymised(
    candidate: CandidateProfile, posting: JobPosting, admin: User, admin_scope: Scope
) -> None:
    decided = apply_to_posting(
        acting_user=candidate.user, profile=candidate, posting_id=posting.pk, note="Saya Ayu, 0812"
    )
    reject_application(scope=admin_scope, acting_user=admin, application=decided, reason="Posisi terisi")
    services.erase_candidate(acting_user=candidate.user, confirmed=True)
    kept = Application.objects.get(pk=decided.pk)
    assert kept.stage == Stage.REJECTED
    assert kept.note == ""
    profile = CandidateProfile.objects.get(pk=candidate.pk)
    assert (profile.phone, profile.about, profile.preferred_regency) == ("", "", "")


def test_an_open_application_is_withdrawn_at_erasure(candidate: CandidateProfile, posting: JobPosting) -> None:
    application = apply_to_posting(acting_user=candidate.user, profile=candidate, posting_id=posting.pk)
    services.erase_candidate(acting_user=candidate.user, confirmed=True)
    assert Application.objects.get(pk=application.pk).stage == Stage.WITHDRAWN
