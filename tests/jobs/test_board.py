"""The public job board: no login, filters, pagination, both languages, rate limit, only open postings."""

from __future__ import annotations

import pytest
from django.test import Client

from nyeri.accounts.models import User
from nyeri.jobs import services
from nyeri.jobs.models import JobPosting
from nyeri.jobs.requirements import RequirementInput
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope
from tests.facilities.conftest import scope_of
from tests.jobs.conftest import MakePosting


@pytest.fixture
def postings(
    make_posting: MakePosting, facility: Facility, other_facility: Facility, other_admin: User
) -> dict[str, JobPosting]:
    other = scope_of(other_admin)
    return {
        "nurse": make_posting(role="nurse", title="Perawat klinik nyeri", salary_min=6_000_000, salary_max=9_000_000),
        "radiographer": make_posting(
            role="radiographer",
            title="Radiografer",
            requirements=(RequirementInput(kind="action", code="operate_equipment:xray"),),
        ),
        "surabaya": make_posting(
            scope=other, user=other_admin, at=other_facility, role="nurse", title="Perawat Surabaya"
        ),
    }


def titles(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.title for p in response.context["page"]]


def test_anyone_searches_the_board_without_logging_in(postings: dict[str, JobPosting]) -> None:
    client = Client()
    response = client.get("/jobs/")
    assert response.status_code == 200
    assert sorted(titles(response)) == ["Perawat Surabaya", "Perawat klinik nyeri", "Radiografer"]
    assert titles(client.get("/jobs/", {"role": "radiographer"})) == ["Radiografer"]
    assert titles(client.get("/jobs/", {"province": "Jawa Timur"})) == ["Perawat Surabaya"]
    assert sorted(titles(client.get("/jobs/", {"regency": "Kota Bandung"}))) == ["Perawat klinik nyeri", "Radiografer"]
    assert titles(client.get("/jobs/", {"facility_kind": "pain_clinic"})) == ["Perawat Surabaya"]
    # Every word must match the title, the facility's name or its regency.
    assert titles(client.get("/jobs/", {"q": "perawat bandung"})) == ["Perawat klinik nyeri"]
    assert titles(client.get("/jobs/", {"role": "not-a-role"})) != []  # an unknown choice is ignored


def test_the_board_paginates_keeping_the_filters(make_posting: MakePosting) -> None:
    for n in range(25):
        make_posting(title=f"Perawat {n:02d}")
    client = Client()
    first = client.get("/jobs/", {"role": "nurse"})
    assert len(titles(first)) == 20
    assert 'href="?role=nurse&amp;page=2"' in first.content.decode()
    second = client.get("/jobs/", {"role": "nurse", "page": 2})
    assert len(titles(second)) == 5
    assert not set(titles(first)) & set(titles(second))


def test_the_board_and_a_posting_speak_both_languages(postings: dict[str, JobPosting]) -> None:
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = english.get(f"/jobs/{postings['radiographer'].pk}/").content.decode()
    assert '<html lang="en">' in page
    assert "Operate an X-ray unit" in page
    assert "Kota Bandung, Jawa Barat" in page
    indonesian = Client(HTTP_ACCEPT_LANGUAGE="id")
    page = indonesian.get(f"/jobs/{postings['radiographer'].pk}/").content.decode()
    assert '<html lang="id">' in page
    assert "Mengoperasikan pesawat sinar-X" in page
    assert 'action="/i18n/setlang/"' in page  # the language switcher
    switched = Client()
    switched.post("/i18n/setlang/", {"language": "en", "next": "/jobs/"})
    assert '<html lang="en">' in switched.get("/jobs/").content.decode()


def test_a_posting_page_shows_the_salary_when_given(postings: dict[str, JobPosting]) -> None:
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/jobs/{postings['nurse'].pk}/").content.decode()
    assert 'data-testid="salary"' in page
    assert "6,000,000" in page
    assert "9,000,000" in page
    page = Client().get(f"/jobs/{postings['radiographer'].pk}/").content.decode()
    assert 'data-testid="salary"' not in page


def test_closed_and_filled_postings_and_inactive_facilities_are_not_public(
    postings: dict[str, JobPosting], admin_scope: Scope, admin: User, facility: Facility
) -> None:
    services.close_posting(scope=admin_scope, acting_user=admin, posting=postings["nurse"])
    services.mark_filled(scope=admin_scope, acting_user=admin, posting=postings["radiographer"])
    client = Client()
    assert titles(client.get("/jobs/")) == ["Perawat Surabaya"]
    assert client.get(f"/jobs/{postings['nurse'].pk}/").status_code == 404
    assert client.get(f"/jobs/{postings['radiographer'].pk}/").status_code == 404
    Facility.objects.filter(pk=postings["surabaya"].facility_id).update(is_active=False)
    assert titles(client.get("/jobs/")) == []


def test_the_public_page_shows_nothing_of_the_organization_beyond_the_posting(postings: dict[str, JobPosting]) -> None:
    page = Client().get(f"/jobs/{postings['nurse'].pk}/").content.decode()
    assert postings["nurse"].organization.name not in page
    assert "/staffing/" not in page


def test_the_board_is_rate_limited_per_address_with_a_translated_page(
    postings: dict[str, JobPosting], settings: object
) -> None:
    settings.JOBS_BOARD_RATE_LIMIT = 3  # type: ignore[attr-defined]
    client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="203.0.113.7")
    assert [client.get("/jobs/").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(f"/jobs/{postings['nurse'].pk}/")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert "Too many requests" in refused.content.decode()
    assert Client(REMOTE_ADDR="203.0.113.8").get("/jobs/").status_code == 200


def test_the_board_has_no_inline_script_or_style(postings: dict[str, JobPosting]) -> None:
    response = Client().get("/jobs/")
    page = response.content.decode()
    assert "<script" not in page
    assert "style=" not in page
    assert "<style" not in page
    assert "jobs/jobs.css" in page
