from __future__ import annotations

import pytest
from django.test import Client

from nyeri.accounts.models import User
from nyeri.candidates.models import CandidateCredential, CandidateProfile
from nyeri.candidates.services import declare_credential
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import Role
from tests.candidates.conftest import TODAY, make_candidate
from tests.conftest import MakeMember, log_in

pytestmark = pytest.mark.django_db

STAFF_PAGES = [
    "/patients/",
    "/workforce/credentials/",
    "/workforce/hours/",
    "/workforce/hours/expiring/",
    "/audit/",
    "/staffing/rules/",
    "/outcomes/",
]


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_a_candidate_cannot_reach_staff_pages(candidate_client: Client, path: str) -> None:
    response = candidate_client.get(path)
    assert response.status_code == 403, (path, response.status_code)


def test_a_candidate_cannot_reach_a_facility_page(candidate_client: Client, facility: Facility) -> None:
    for path in (
        f"/facilities/{facility.pk}/",
        f"/workforce/facilities/{facility.pk}/staff/",
        f"/staffing/facilities/{facility.pk}/plan/",
    ):
        assert candidate_client.get(path).status_code == 403, path


@pytest.mark.parametrize("path", ["/api/patients", "/api/workforce/people", "/api/staffing/rules"])
def test_a_candidate_cannot_reach_the_api(candidate_client: Client, path: str) -> None:
    response = candidate_client.get(path)
    assert response.status_code == 403, (path, response.status_code)


def test_staff_cannot_see_candidate_pages(make_member: MakeMember, org: object, candidate: CandidateProfile) -> None:
    admin = make_member(org, Role.CREDENTIALING_OFFICER, username="officer")
    client = log_in(Client(), admin)
    assert client.get("/candidates/profile/").status_code == 403
    assert client.get("/candidates/pathway/").status_code == 403


def test_a_candidate_sees_only_their_own_declarations(candidate: CandidateProfile) -> None:
    other = make_candidate("budi@example.id")
    credential = declare_credential(acting_user=other.user, profile=other, kind="registration", issued_on=TODAY)
    client = log_in(Client(), candidate.user)
    page = client.get("/candidates/profile/")
    assert page.status_code == 200
    assert b'data-testid="declared-credential"' not in page.content
    # Withdrawing another candidate's row is "not found", and it stays.
    assert client.post(f"/candidates/profile/credentials/{credential.pk}/withdraw/").status_code == 404
    assert CandidateCredential.objects.filter(pk=credential.pk).exists()


def test_an_unconfirmed_candidate_has_no_candidate_pages(db: None) -> None:
    profile = make_candidate("late@example.id")
    CandidateProfile.objects.filter(pk=profile.pk).update(email_confirmed_at=None)
    client = log_in(Client(), User.objects.get(pk=profile.user_id))
    assert client.get("/candidates/profile/").status_code == 403


def test_a_candidate_who_logs_in_lands_on_their_profile_not_a_refusal(candidate_client: Client) -> None:
    response = candidate_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/candidates/profile/"
