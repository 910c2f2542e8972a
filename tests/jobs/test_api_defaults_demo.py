"""The JSON API, the defaults files, and the demo postings."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from nyeri.accounts.models import User
from nyeri.audit.models import AuditEvent
from nyeri.jobs.defaults import DefaultsFileError, all_defaults, default_requirements, load_defaults_file
from nyeri.jobs.models import JobPosting, PostingStatus
from nyeri.tenancy.models import Facility
from nyeri.workforce.models import Person
from tests.facilities.conftest import bearer
from tests.jobs.conftest import MakePosting


def test_managers_create_list_and_close_postings_through_the_api(admin: User, facility: Facility) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en", **bearer(admin))
    payload = {
        "facility_id": facility.pk,
        "role": "radiographer",
        "title": "Radiografer",
        "fte": "1",
        "salary_min": 6000000,
        "salary_max": 9000000,
        "requirements": [{"kind": "action", "code": "operate_equipment:xray"}],
    }
    created = client.post("/api/jobs/postings", payload, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["requirements"][0]["text_en"].startswith("Allowed at this facility to: Operate an X-ray unit")
    assert "Mengoperasikan" in body["requirements"][0]["text_id"]
    listed = client.get("/api/jobs/postings").json()
    assert [p["id"] for p in listed["items"]] == [body["id"]]
    # The listed posting reads as its creation answered it (the FTE as stored: two decimals).
    assert listed["items"][0] == {**body, "fte": "1.00"}
    second = client.post("/api/jobs/postings", {**payload, "title": "Radiografer 2"}, content_type="application/json")
    first_page = client.get("/api/jobs/postings", {"page_size": 1}).json()
    assert (first_page["count"], first_page["pages"]) == (2, 2)
    ids = [
        first_page["items"][0]["id"],
        client.get("/api/jobs/postings", {"page_size": 1, "page": 2}).json()["items"][0]["id"],
    ]
    assert sorted(ids) == sorted([body["id"], second.json()["id"]])
    closed = client.post(f"/api/jobs/postings/{body['id']}/close")
    assert closed.json()["status"] == PostingStatus.CLOSED


def test_the_api_refuses_bad_input_with_field_errors_and_saves_nothing(admin: User, facility: Facility) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en", **bearer(admin))
    payload = {
        "facility_id": facility.pk,
        "role": "",
        "title": "x",
        "requirements": [{"kind": "action", "code": "fly"}],
    }
    refused = client.post("/api/jobs/postings", payload, content_type="application/json")
    assert refused.status_code == 422
    text = refused.content.decode()
    assert "role" in text
    assert "requirements.0.code" in text
    assert not JobPosting.objects.exists()


def test_the_api_creates_a_posting_from_a_gap(admin: User, facility: Facility, clinic: dict[str, Person]) -> None:
    client = Client(**bearer(admin))
    made = client.post(
        f"/api/jobs/facilities/{facility.pk}/from-gap", {"role": "nurse"}, content_type="application/json"
    )
    assert made.status_code == 201, made.content
    assert made.json()["gap_fte"] == "2.65"


def test_the_public_board_api_needs_no_login_and_hides_internal_fields(
    make_posting: MakePosting, other_admin: User
) -> None:
    posting = make_posting()
    closed = make_posting(title="Tutup")
    closed.status, closed.closed_on = PostingStatus.CLOSED, closed.opened_on
    closed.save()
    board = Client().get("/api/jobs/board", {"role": "nurse"})
    assert board.status_code == 200
    data = board.json()
    assert data["count"] == 1
    assert data["results"][0]["id"] == posting.pk
    assert data["results"][0]["gap_rule_code"] == ""
    assert Client(**bearer(other_admin)).post(f"/api/jobs/postings/{posting.pk}/close").status_code == 404


def test_the_api_refuses_members_who_do_not_manage_postings(member_nurse: User) -> None:
    assert Client(**bearer(member_nurse)).get("/api/jobs/postings").status_code == 403
    assert AuditEvent.objects.filter(action="permission_denied", object_type="job_posting").exists()


def test_every_defaults_file_loads_and_names_real_codes() -> None:
    assert set(all_defaults()) >= {"ID"}
    (row,) = default_requirements("ID", "medical_assistant")
    assert (row.kind, row.months, row.employer_kinds) == ("experience", 12, ("hospital", "general_clinic"))
    assert default_requirements("ID", "administrator") == ()
    assert default_requirements("ZZ", "nurse") == ()


def test_a_defaults_file_with_an_unknown_code_or_role_is_refused_by_name(tmp_path: Path) -> None:
    bad = tmp_path / "ID.toml"
    bad.write_text(
        'jurisdiction = "ID"\nversion = "x"\n[[roles]]\nrole = "nurse"\n'
        'requires = [{ kind = "action", code = "operate_equipment:teleporter" }]\n',
        encoding="utf-8",
    )
    with pytest.raises(DefaultsFileError, match=r"ID.toml: roles \(nurse\) requires\[0\]: code: Unknown action"):
        load_defaults_file(bad)
    bad.write_text('jurisdiction = "ID"\nversion = "x"\n[[roles]]\nrole = "wizard"\n', encoding="utf-8")
    with pytest.raises(DefaultsFileError, match=r"ID\.toml: roles\.0\.role"):
        load_defaults_file(bad)


def test_the_demo_opens_a_posting_for_each_real_gap(
    admin: User, facility: Facility, second_facility: Facility, clinic: dict[str, Person]
) -> None:
    from nyeri.demo.jobs import seed_jobs

    summary = seed_jobs(org_id=facility.organization_id, facilities={"a": facility, "b": second_facility})
    here = JobPosting.objects.filter(facility=facility)
    assert sorted(here.values_list("role", flat=True)) == [
        "medical_assistant",
        "nurse",
        "nurse_assistant",
        "pain_physician",
        "pharmacist",
        "radiographer",
    ]
    assert all(p.gap_fte and p.gap_fte > 0 for p in JobPosting.objects.all())
    assert here.get(role="nurse").salary_min == 5_000_000
    assert len(summary.postings) == JobPosting.objects.count()
    assert not summary.skipped
