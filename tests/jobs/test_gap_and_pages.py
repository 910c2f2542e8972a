"""A posting from a staffing-plan gap in one click, the managers' pages and the network view."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from nyeri.accounts.models import User
from nyeri.audit.models import AuditEvent
from nyeri.facilities.selectors import evaluate_facility_services
from nyeri.jobs import services
from nyeri.jobs.models import JobPosting, PostingSource, PostingStatus
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope
from nyeri.workforce.models import Person
from tests.facilities.conftest import client_of
from tests.jobs.conftest import MakePosting


def test_a_gap_becomes_a_draft_posting_with_the_role_the_rule_and_the_default_requirements(
    admin_scope: Scope, admin: User, facility: Facility, clinic: dict[str, Person]
) -> None:
    posting = services.create_posting_from_gap(
        scope=admin_scope, acting_user=admin, facility=facility, role="medical_assistant"
    )
    # A draft (issue 13): not public until a person writes its description and publishes it.
    assert posting.status == PostingStatus.DRAFT
    assert posting.description == ""
    assert posting.source == PostingSource.GAP
    assert (posting.role, posting.fte, posting.gap_fte) == ("medical_assistant", Decimal("0.80"), Decimal("0.80"))
    assert (posting.headcount, posting.hours_per_week) == (1, 32)
    assert (posting.gap_required_fte, posting.gap_current_fte) == (Decimal("0.80"), Decimal("0.00"))
    assert posting.gap_rule_code
    assert posting.gap_rules_label.startswith("ID@")
    assert posting.employment_kind == "part_time"
    rows = list(posting.requirements.all())
    assert [(r.kind, r.months, r.employer_kinds) for r in rows] == [("experience", 12, ("hospital", "general_clinic"))]
    event = AuditEvent.objects.get(action="create", object_type="job_posting")
    assert "from gap: medical_assistant 0.80 FTE" in event.reason


def test_a_radiographer_gap_requires_operating_the_xray_unit_here(
    admin_scope: Scope, admin: User, facility: Facility, clinic: dict[str, Person]
) -> None:
    posting = services.create_posting_from_gap(
        scope=admin_scope, acting_user=admin, facility=facility, role="radiographer"
    )
    assert [(r.code, r.importance) for r in posting.requirements.all()] == [
        ("operate_equipment:xray", "required"),
        ("operate_equipment:c_arm", "preferred"),
    ]
    assert posting.fte == Decimal("1.20")
    assert (posting.headcount, posting.hours_per_week) == (2, 24)
    assert posting.employment_kind == "permanent"


def test_a_role_without_a_gap_or_a_second_click_is_refused(
    admin_scope: Scope, admin: User, facility: Facility, clinic: dict[str, Person]
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.create_posting_from_gap(
            scope=admin_scope, acting_user=admin, facility=facility, role="anesthesiologist"
        )
    assert "role" in caught.value.message_dict
    services.create_posting_from_gap(scope=admin_scope, acting_user=admin, facility=facility, role="nurse")
    with pytest.raises(ValidationError) as caught:
        services.create_posting_from_gap(scope=admin_scope, acting_user=admin, facility=facility, role="nurse")
    assert "already exists" in caught.value.message_dict["role"][0]
    assert JobPosting.objects.count() == 1


def test_the_plan_page_has_a_button_per_gap_that_opens_a_posting(
    admin: User, facility: Facility, clinic: dict[str, Person]
) -> None:
    client = client_of(admin)
    page = client.get(f"/staffing/facilities/{facility.pk}/plan/").content.decode()
    # Gaps: pain physician, nurse, nurse assistant, medical assistant, radiographer, pharmacist.
    assert page.count('data-testid="post-gap"') == 6
    response = client.post(f"/jobs/manage/from-gap/{facility.pk}/", {"role": "pharmacist"})
    posting = JobPosting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/jobs/manage/{posting.pk}/edit/?template=1"
    edit = client.get(response["Location"]).content.decode()
    assert 'data-testid="gap-source"' in edit
    assert 'data-testid="draft-badge"' in edit
    # The description template is offered in the field, naming the role; nothing is saved by itself.
    assert "for the role of Pharmacist" in edit
    assert JobPosting.objects.get().description == ""


def test_managers_list_create_edit_close_and_fill_through_the_pages(admin: User, facility: Facility) -> None:
    client = client_of(admin)
    data = {
        "facility": facility.pk,
        "role": "medical_assistant",
        "title": "Asisten medis",
        "employment_kind": "permanent",
        "headcount": "1",
        "hours_per_week": "40",
        "description": "",
        "req-TOTAL_FORMS": "3",
        "req-INITIAL_FORMS": "0",
        "req-0-kind": "experience",
        "req-0-importance": "required",
        "req-0-months": "12",
        "req-0-employer_kinds": ["hospital", "general_clinic"],
        "req-1-kind": "certification",
        "req-1-importance": "required",
        "req-1-code": "nonexistent",
        "req-2-importance": "required",
    }
    bad = client.post("/jobs/manage/new/", data)
    assert bad.status_code == 400
    assert "Unknown certification “nonexistent”" in bad.content.decode()
    assert not JobPosting.objects.exists()
    data["req-1-code"] = "medical_assistant_ready"
    assert client.post("/jobs/manage/new/", data).status_code == 302
    posting = JobPosting.objects.get()
    assert posting.requirements.count() == 2
    data["title"] = "Asisten medis senior"
    assert client.post(f"/jobs/manage/{posting.pk}/edit/", data).status_code == 302
    posting.refresh_from_db()
    assert posting.title == "Asisten medis senior"
    listing = client.get("/jobs/manage/").content.decode()
    assert "Asisten medis senior" in listing
    assert client.post(f"/jobs/manage/{posting.pk}/fill/").status_code == 302
    posting.refresh_from_db()
    assert posting.status == PostingStatus.FILLED


def test_other_members_and_organizations_cannot_manage(
    make_posting: MakePosting, member_nurse: User, other_admin: User
) -> None:
    posting = make_posting()
    assert client_of(member_nurse).get("/jobs/manage/").status_code == 403
    assert client_of(member_nurse).post(f"/jobs/manage/{posting.pk}/close/").status_code == 403
    other = client_of(other_admin)
    assert other.get(f"/jobs/manage/{posting.pk}/edit/").status_code == 404
    assert other.post(f"/jobs/manage/{posting.pk}/close/").status_code == 404
    assert "Perawat nyeri" not in other.get("/jobs/manage/").content.decode()
    posting.refresh_from_db()
    assert posting.status == PostingStatus.OPEN


def test_the_network_view_shows_equipment_staffing_positions_and_referrals(
    admin: User,
    admin_scope: Scope,
    facility: Facility,
    second_facility: Facility,
    clinic: dict[str, Person],
    make_posting: MakePosting,
) -> None:
    make_posting(role="nurse")
    make_posting(role="nurse", at=second_facility)
    response = client_of(admin).get("/jobs/network/")
    assert response.status_code == 200
    view = response.context["network"]
    assert [f.facility for f in view.facilities] == [second_facility, facility]
    here = view.facilities[1]
    assert ("C-arm fluoroscopy", 1, 0) in here.equipment
    assert ("X-ray unit", 0, 1) in here.equipment
    assert next(s for s in here.staffing if s.role == "nurse").gap == "2.65"
    assert here.open_positions == 1
    assert ("Jawa Barat · Kota Bandung", "Nurse", 1, Decimal("1.00")) in view.positions
    # Referrals: exactly the services one facility cannot offer and the other can.
    offered = {
        f.pk: {r.code for r in evaluate_facility_services(f, jurisdiction="ID")[0] if r.offered}
        for f in (facility, second_facility)
    }
    referred = {(r.facility.pk, r.service_code, tuple(t.pk for t in r.to)) for r in view.referrals}
    expected = {
        (second_facility.pk, code, (facility.pk,)) for code in offered[facility.pk] - offered[second_facility.pk]
    }
    expected |= {
        (facility.pk, code, (second_facility.pk,)) for code in offered[second_facility.pk] - offered[facility.pk]
    }
    assert referred == expected
    assert expected  # the bare clinic in Cimahi lacks what the equipped unit in Bandung offers
    assert 'data-testid="network-referrals"' in response.content.decode()


def test_only_administrators_read_the_network_view(officer: User, other_admin: User) -> None:
    assert client_of(officer).get("/jobs/network/").status_code == 403
    assert AuditEvent.objects.filter(action="permission_denied", object_type="network").exists()
