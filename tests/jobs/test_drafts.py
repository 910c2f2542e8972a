"""Postings are drafts: a gap makes a draft in whole people and hours, a person describes and publishes it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from nyeri.accounts.models import User
from nyeri.audit.models import AuditEvent
from nyeri.jobs import selectors, services
from nyeri.jobs.models import JobPosting, PostingStatus
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope
from nyeri.workforce.models import Person
from tests.facilities.conftest import client_of
from tests.jobs.conftest import MakePosting


def test_a_draft_is_not_on_the_public_board_until_published_and_publishing_needs_a_description(
    admin_scope: Scope, admin: User, facility: Facility, clinic: dict[str, Person]
) -> None:
    draft = services.create_posting_from_gap(scope=admin_scope, acting_user=admin, facility=facility, role="nurse")
    assert draft.status == PostingStatus.DRAFT
    assert client_of(admin).get(f"/jobs/{draft.pk}/").status_code == 404
    with translation.override("id"), pytest.raises(ValidationError) as caught:
        services.publish_posting(scope=admin_scope, acting_user=admin, posting=draft)
    assert "deskripsi" in caught.value.message_dict["description"][0]
    draft.refresh_from_db()
    assert draft.status == PostingStatus.DRAFT
    draft.description = "Perawat untuk layanan nyeri."
    draft.save(update_fields=["description"])
    services.publish_posting(scope=admin_scope, acting_user=admin, posting=draft)
    draft.refresh_from_db()
    assert draft.status == PostingStatus.OPEN
    assert AuditEvent.objects.filter(object_type="job_posting", reason="job posting status: draft -> open").exists()
    assert client_of(admin).get(f"/jobs/{draft.pk}/").status_code == 200


def test_publishing_without_a_description_through_the_page_names_the_field_and_changes_nothing(
    admin_scope: Scope, admin: User, facility: Facility, clinic: dict[str, Person]
) -> None:
    draft = services.create_posting_from_gap(scope=admin_scope, acting_user=admin, facility=facility, role="nurse")
    client = client_of(admin)
    response = client.post(f"/jobs/manage/{draft.pk}/publish/", follow=True)
    assert "Write a description before publishing" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == PostingStatus.DRAFT


def test_the_public_board_shows_whole_people_and_hours_never_a_fraction_of_an_fte(
    admin_scope: Scope, admin: User, facility: Facility, clinic: dict[str, Person]
) -> None:
    draft = services.create_posting_from_gap(
        scope=admin_scope, acting_user=admin, facility=facility, role="radiographer"
    )
    draft.description = "Radiografer."
    draft.save(update_fields=["description"])
    services.publish_posting(scope=admin_scope, acting_user=admin, posting=draft)
    board = client_of(admin).get("/jobs/").content.decode()
    assert "2 people, 24 hours a week each" in board
    assert "FTE" not in board
    detail = client_of(admin).get(f"/jobs/{draft.pk}/").content.decode()
    assert "FTE" not in detail
    assert "1,2" not in detail


def test_a_draft_warns_of_an_open_posting_for_the_same_role_and_facility(
    admin_scope: Scope, admin: User, facility: Facility, clinic: dict[str, Person], make_posting: MakePosting
) -> None:
    open_one = make_posting(role="nurse")
    draft = services.create_posting_from_gap(scope=admin_scope, acting_user=admin, facility=facility, role="nurse")
    assert selectors.open_postings_like(draft) == [open_one]
    page = client_of(admin).get(f"/jobs/manage/{draft.pk}/edit/").content.decode()
    assert 'data-testid="same-role-open"' in page
    assert open_one.title in page


def test_the_description_template_is_offered_in_words_and_the_person_writes_it(
    admin_scope: Scope, admin: User, facility: Facility, clinic: dict[str, Person]
) -> None:
    draft = services.create_posting_from_gap(
        scope=admin_scope, acting_user=admin, facility=facility, role="radiographer"
    )
    with translation.override("id"):
        text = selectors.description_template(draft)
    assert facility.name in text
    assert "2 orang" in text
    assert "24 jam" in text
    assert "FTE" not in text
    page = client_of(admin, "id").get(f"/jobs/manage/{draft.pk}/edit/?template=1")
    with translation.override(page.wsgi_request.LANGUAGE_CODE):
        shown = selectors.description_template(draft)
    assert page.context["form"]["description"].value() == shown
    assert JobPosting.objects.get(pk=draft.pk).description == ""


def test_headcount_and_hours_are_whole_numbers_in_range_named_by_field(
    admin_scope: Scope, admin: User, facility: Facility
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.create_posting(
            scope=admin_scope,
            acting_user=admin,
            facility=facility,
            data=services.PostingInput(
                role="nurse", title="Perawat", employment_kind="permanent", fte=None, headcount="1.5", hours_per_week=99
            ),
        )
    assert set(caught.value.message_dict) == {"headcount", "hours_per_week"}
    posting = services.create_posting(
        scope=admin_scope,
        acting_user=admin,
        facility=facility,
        data=services.PostingInput(
            role="nurse", title="Perawat", employment_kind="part_time", fte=None, headcount=3, hours_per_week=20
        ),
    )
    assert (posting.headcount, posting.hours_per_week, str(posting.fte)) == (3, 20, "1.50")
