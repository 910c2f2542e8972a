"""Hiring pages and API: the candidate's eligibility and application, the facility's pipeline."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from nyeri.accounts.models import User
from nyeri.audit.models import AuditEvent
from nyeri.candidates.models import CandidateProfile
from nyeri.hiring.models import Application, Stage
from nyeri.jobs.models import JobPosting
from nyeri.jobs.services import close_posting
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope
from nyeri.workforce.models import Credential
from tests.conftest import PASSWORD
from tests.facilities.conftest import client_of


def candidate_client(profile: CandidateProfile) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.post("/accounts/login/", {"username": profile.user.username, "password": PASSWORD}).status_code == 302
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def officer_client(officer: User) -> Client:
    return client_of(officer)


def test_the_public_posting_invites_an_anonymous_visitor_to_sign_up(posting: JobPosting, db: None) -> None:
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/jobs/{posting.pk}/").content.decode()
    assert 'data-testid="signup-link"' in page
    assert f"/accounts/login/?next=/hiring/apply/{posting.pk}/" in page


def test_a_candidate_sees_every_unmet_requirement_before_applying(posting: JobPosting, budi: CandidateProfile) -> None:
    client = candidate_client(budi)
    assert 'data-testid="apply-link"' in client.get(f"/jobs/{posting.pk}/").content.decode()
    page = client.get(f"/hiring/apply/{posting.pk}/").content.decode()
    assert 'data-testid="not-eligible"' in page
    assert "2,000 hours" in page or "hours" in page
    assert 'data-code="permit_after_hiring"' in page
    assert 'data-testid="apply-form"' in page
    assert 'data-testid="my-applications-link"' in page


def test_a_candidate_applies_and_finds_the_application_in_their_list(
    posting: JobPosting, ayu: CandidateProfile
) -> None:
    client = candidate_client(ayu)
    response = client.post(f"/hiring/apply/{posting.pk}/", {"note": "Siap mulai bulan depan"})
    assert response.status_code == 302
    assert response["Location"] == "/hiring/mine/"
    mine = client.get("/hiring/mine/").content.decode()
    assert posting.title in mine
    assert 'data-testid="stage">Received<' in mine
    again = client.post(f"/hiring/apply/{posting.pk}/", {"note": "again"})
    assert again.status_code == 400
    assert "You have already applied to this posting" in again.content.decode()
    assert Application.objects.count() == 1


def test_applying_to_a_closed_posting_shows_why_and_saves_nothing(
    posting: JobPosting, ayu: CandidateProfile, admin_scope: Scope, admin: User
) -> None:
    close_posting(scope=admin_scope, acting_user=admin, posting=posting)
    client = candidate_client(ayu)
    assert 'data-testid="closed"' in client.get(f"/hiring/apply/{posting.pk}/").content.decode()
    response = client.post(f"/hiring/apply/{posting.pk}/", {"note": ""})
    assert response.status_code == 400
    assert "This posting is closed: it no longer takes applications." in response.content.decode()
    assert not Application.objects.exists()


def test_the_candidate_withdraws_from_their_list_and_a_missing_reason_is_named(
    posting: JobPosting, ayu: CandidateProfile
) -> None:
    client = candidate_client(ayu)
    client.post(f"/hiring/apply/{posting.pk}/", {"note": ""})
    application = Application.objects.get()
    refused = client.post(f"/hiring/mine/{application.pk}/withdraw/", {"reason": ""})
    assert refused.status_code == 400
    assert "This field is required." in refused.content.decode()
    assert client.post(f"/hiring/mine/{application.pk}/withdraw/", {"reason": "Pindah kota"}).status_code == 302
    application.refresh_from_db()
    assert application.stage == Stage.WITHDRAWN


def test_a_candidate_cannot_reach_another_candidates_application(
    posting: JobPosting, ayu: CandidateProfile, budi: CandidateProfile
) -> None:
    candidate_client(ayu).post(f"/hiring/apply/{posting.pk}/", {"note": ""})
    application = Application.objects.get()
    response = candidate_client(budi).post(f"/hiring/mine/{application.pk}/withdraw/", {"reason": "x"})
    assert response.status_code == 404


def test_the_facility_sees_applications_ranked_and_hires_from_an_offer(
    posting: JobPosting, ayu: CandidateProfile, budi: CandidateProfile, officer_client: Client
) -> None:
    candidate_client(budi).post(f"/hiring/apply/{posting.pk}/", {"note": ""})
    candidate_client(ayu).post(f"/hiring/apply/{posting.pk}/", {"note": "Siap"})
    index = officer_client.get("/hiring/").content.decode()
    assert posting.title in index
    ranked = officer_client.get(f"/hiring/postings/{posting.pk}/").content.decode()
    ayu_app = Application.objects.get(candidate=ayu)
    budi_app = Application.objects.get(candidate=budi)
    assert ranked.index(f'data-application="{ayu_app.pk}"') < ranked.index(f'data-application="{budi_app.pk}"')
    detail = officer_client.get(f"/hiring/applications/{ayu_app.pk}/")
    assert "Unverified" in detail.content.decode()
    assert AuditEvent.objects.filter(action="read", object_type="application", object_id=str(ayu_app.pk)).exists()
    for _step in range(3):
        assert officer_client.post(f"/hiring/applications/{ayu_app.pk}/advance/", {"note": ""}).status_code == 302
    page = officer_client.get(f"/hiring/applications/{ayu_app.pk}/").content.decode()
    assert 'data-testid="hire-form"' in page
    hired = officer_client.post(
        f"/hiring/applications/{ayu_app.pk}/hire/", {"citizenship": "citizen", "fill_posting": "on"}
    )
    assert hired.status_code == 302
    after = officer_client.get(f"/hiring/applications/{ayu_app.pk}/").content.decode()
    assert 'data-testid="handed-over"' in after
    assert Credential.objects.filter(person__user=ayu.user).count() == 3


def test_hiring_an_ineligible_candidate_without_a_reason_shows_the_reason_field(
    posting: JobPosting, budi: CandidateProfile, officer_client: Client
) -> None:
    candidate_client(budi).post(f"/hiring/apply/{posting.pk}/", {"note": ""})
    application = Application.objects.get()
    for _step in range(3):
        officer_client.post(f"/hiring/applications/{application.pk}/advance/", {"note": ""})
    response = officer_client.post(f"/hiring/applications/{application.pk}/hire/", {"citizenship": "citizen"})
    assert response.status_code == 400
    assert "give the reason for hiring them anyway" in response.content.decode()
    application.refresh_from_db()
    assert application.stage == Stage.OFFER


def test_a_member_without_a_hiring_role_gets_403_and_another_organization_404(
    posting: JobPosting, ayu: CandidateProfile, member_nurse: User, other_admin: User
) -> None:
    candidate_client(ayu).post(f"/hiring/apply/{posting.pk}/", {"note": ""})
    application = Application.objects.get()
    assert client_of(member_nurse).get("/hiring/").status_code == 403
    assert client_of(member_nurse).get(f"/hiring/applications/{application.pk}/").status_code == 403
    assert client_of(other_admin).get(f"/hiring/applications/{application.pk}/").status_code == 404
    assert client_of(other_admin).get(f"/hiring/postings/{posting.pk}/").status_code == 404


def test_the_api_applies_ranks_and_refuses_a_duplicate_with_the_field(
    posting: JobPosting, ayu: CandidateProfile, budi: CandidateProfile, officer_client: Client
) -> None:
    for profile in (budi, ayu):
        client = candidate_client(profile)
        created = client.post(
            f"/api/hiring/postings/{posting.pk}/apply", json.dumps({"note": ""}), content_type="application/json"
        )
        assert created.status_code == 201, created.content
    duplicate = candidate_client(ayu).post(
        f"/api/hiring/postings/{posting.pk}/apply", json.dumps({"note": ""}), content_type="application/json"
    )
    assert duplicate.status_code == 422
    assert duplicate.json()["error"]["fields"][0]["field"] == "posting"
    eligibility = candidate_client(budi).get(f"/api/hiring/postings/{posting.pk}/eligibility").json()
    assert eligibility["eligible"] is False
    assert eligibility["unmet"]
    ranked = officer_client.get(f"/api/hiring/postings/{posting.pk}/applications").json()["items"]
    assert [r["candidate_id"] for r in ranked] == [ayu.pk, budi.pk]
    assert ranked[0]["eligibility"]["eligible"] is True
    # Paged: the rank is of all of them; the audit row names the page shown.
    second = officer_client.get(f"/api/hiring/postings/{posting.pk}/applications", {"page_size": 1, "page": 2})
    assert (second.json()["count"], second.json()["pages"]) == (2, 2)
    assert second.json()["items"] == ranked[1:]
    listed = AuditEvent.objects.filter(object_type="job_posting", object_id=str(posting.pk)).latest("pk")
    assert listed.reason == f"applications listed: {ranked[1]['id']}"
    mine = candidate_client(budi).get("/api/hiring/mine", {"page_size": 1}).json()
    assert (mine["count"], [a["id"] for a in mine["items"]]) == (1, [ranked[1]["id"]])
    assert candidate_client(budi).get("/api/hiring/mine", {"page": 2}).json()["items"] == []


def test_the_ranked_list_takes_as_many_queries_for_six_applications_as_for_two(
    posting: JobPosting, officer_client: Client
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from nyeri.hiring import services
    from tests.hiring.conftest import ready_nurse

    def apply_many(start: int, count: int) -> int:
        for n in range(start, start + count):
            profile = ready_nurse(f"perawat{n}@example.id")
            services.apply_to_posting(acting_user=profile.user, profile=profile, posting_id=posting.pk)
        with CaptureQueriesContext(connection) as queries:
            assert officer_client.get(f"/hiring/postings/{posting.pk}/").status_code == 200
        return len(queries)

    two = apply_many(0, 2)
    six = apply_many(2, 4)
    assert six == two


def test_a_posting_whose_facility_closed_is_not_found_on_the_page_nor_in_the_api(
    posting: JobPosting, ayu: CandidateProfile
) -> None:
    client = candidate_client(ayu)
    assert client.get(f"/api/hiring/postings/{posting.pk}/eligibility").status_code == 200
    Facility.objects.filter(pk=posting.facility_id).update(is_active=False)
    assert client.get(f"/hiring/apply/{posting.pk}/").status_code == 404
    assert client.get(f"/api/hiring/postings/{posting.pk}/eligibility").status_code == 404
    assert not Application.objects.exists()
