"""Postings: constraints, services, status changes, audit rows, requirement rows."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.models import AuditEvent
from nyeri.jobs import services
from nyeri.jobs.models import JobPosting, JobRequirement, PostingStatus
from nyeri.jobs.requirements import RequirementInput, describe, engine_requirements
from nyeri.jobs.services import PostingInput
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope
from nyeri.workforce.policy.loader import pack_for
from nyeri.workforce.policy.schema import ExperienceRequirement
from tests.facilities.conftest import scope_of
from tests.jobs.conftest import MakePosting

XRAY = RequirementInput(kind="action", code="operate_equipment:xray")
EXPERIENCE = RequirementInput(kind="experience", months=12, employer_kinds=("hospital", "general_clinic"))


def test_it_creates_an_open_posting_with_its_requirement_rows_and_an_audit_row(
    make_posting: MakePosting, admin: User
) -> None:
    posting = make_posting(
        role="radiographer", salary_min=8_000_000, salary_max=12_000_000, requirements=(XRAY, EXPERIENCE)
    )
    assert posting.status == PostingStatus.OPEN
    assert posting.opened_on == timezone.localdate()
    assert posting.salary_currency == "IDR"
    rows = list(posting.requirements.all())
    assert [(r.kind, r.code, r.months, r.employer_kinds) for r in rows] == [
        ("action", "operate_equipment:xray", None, ()),
        ("experience", "", 12, ("hospital", "general_clinic")),
    ]
    event = AuditEvent.objects.get(object_type="job_posting", object_id=str(posting.pk))
    assert event.action == "create"
    assert event.actor_id == admin.pk


def test_it_refuses_a_posting_without_a_role_naming_the_field_and_saves_nothing(make_posting: MakePosting) -> None:
    with pytest.raises(ValidationError) as caught:
        make_posting(role="")
    assert caught.value.message_dict["role"] == ["Choose the role of the position."]
    assert not JobPosting.objects.exists()
    assert not AuditEvent.objects.filter(object_type="job_posting").exists()


def test_it_refuses_an_unknown_action_or_certification_code_naming_the_row_field(make_posting: MakePosting) -> None:
    bad = (
        XRAY,
        RequirementInput(kind="action", code="operate_equipment:teleporter"),
        RequirementInput(kind="certification", code="astronaut"),
    )
    with pytest.raises(ValidationError) as caught:
        make_posting(requirements=bad)
    errors = caught.value.message_dict
    assert set(errors) == {"requirements.1.code", "requirements.2.code"}
    assert "Unknown action “operate_equipment:teleporter”" in errors["requirements.1.code"][0]
    assert "Unknown certification “astronaut”" in errors["requirements.2.code"][0]
    assert not JobPosting.objects.exists()
    assert not JobRequirement.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"salary_min": 5_000_000}, "salary_max"),
        ({"salary_max": 5_000_000}, "salary_min"),
        ({"salary_min": 9_000_000, "salary_max": 5_000_000}, "salary_max"),
        ({"salary_min": "lots", "salary_max": 5}, "salary_min"),
        ({"fte": 0}, "fte"),
        ({"fte": "12"}, "fte"),
        ({"title": "  "}, "title"),
        ({"employment_kind": "slavery"}, "employment_kind"),
        ({"role": "administrator"}, "role"),
    ],
)
def test_it_refuses_bad_fields_keyed_by_field(make_posting: MakePosting, fields: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        make_posting(**fields)
    assert field in caught.value.message_dict
    assert not JobPosting.objects.exists()


def test_it_refuses_experience_without_employer_kinds_and_a_credential_without_kind(make_posting: MakePosting) -> None:
    with pytest.raises(ValidationError) as caught:
        make_posting(requirements=(RequirementInput(kind="experience", months=0), RequirementInput(kind="credential")))
    assert set(caught.value.message_dict) == {
        "requirements.0.months",
        "requirements.0.employer_kinds",
        "requirements.1.credential_kind",
    }


def test_the_database_refuses_a_half_salary_range_and_a_mismatched_requirement_row(
    make_posting: MakePosting, facility: Facility
) -> None:
    posting = make_posting()
    with transaction.atomic(), pytest.raises(IntegrityError):
        JobPosting.objects.filter(pk=posting.pk).update(salary_min=100)
    with transaction.atomic(), pytest.raises(IntegrityError):
        JobPosting.objects.filter(pk=posting.pk).update(status=PostingStatus.CLOSED)  # without closed_on
    with transaction.atomic(), pytest.raises(IntegrityError):
        JobRequirement.objects.create(organization_id=posting.organization_id, posting=posting, kind="action")
    with transaction.atomic(), pytest.raises(IntegrityError):
        JobRequirement.objects.create(
            organization_id=posting.organization_id, posting=posting, kind="experience", months=12
        )


def test_closing_and_filling_are_audited_and_final(make_posting: MakePosting, admin_scope: Scope, admin: User) -> None:
    first, second = make_posting(), make_posting()
    services.close_posting(scope=admin_scope, acting_user=admin, posting=first)
    services.mark_filled(scope=admin_scope, acting_user=admin, posting=second)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (PostingStatus.CLOSED, PostingStatus.FILLED)
    assert first.closed_on == timezone.localdate()
    reasons = set(
        AuditEvent.objects.filter(action="update", object_type="job_posting").values_list("reason", flat=True)
    )
    assert reasons == {"job posting status: open -> closed", "job posting status: open -> filled"}
    with pytest.raises(ValidationError) as caught:
        services.mark_filled(scope=admin_scope, acting_user=admin, posting=first)
    assert "status" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.update_posting(
            scope=admin_scope,
            acting_user=admin,
            posting=first,
            data=PostingInput(role="nurse", title="x", employment_kind="permanent", fte=1),
            requirements=(),
        )


def test_editing_an_open_posting_replaces_its_fields_and_rows(
    make_posting: MakePosting, admin_scope: Scope, admin: User
) -> None:
    posting = make_posting(requirements=(XRAY,))
    services.update_posting(
        scope=admin_scope,
        acting_user=admin,
        posting=posting,
        data=PostingInput(role="medical_assistant", title="Asisten medis", employment_kind="contract", fte="0.5"),
        requirements=(EXPERIENCE,),
    )
    posting.refresh_from_db()
    assert (posting.role, posting.fte, posting.employment_kind) == ("medical_assistant", Decimal("0.50"), "contract")
    assert [r.kind for r in posting.requirements.all()] == ["experience"]
    assert AuditEvent.objects.filter(action="update", object_type="job_posting", object_id=str(posting.pk)).exists()


def test_only_managers_of_the_organization_write_postings(
    make_posting: MakePosting, member_nurse: User, other_admin: User, facility: Facility
) -> None:
    with pytest.raises(PermissionDenied):
        make_posting(scope=scope_of(member_nurse), user=member_nurse)
    assert AuditEvent.objects.filter(action="permission_denied", object_type="job_posting").exists()
    with pytest.raises(ValidationError) as caught:
        make_posting(scope=scope_of(other_admin), user=other_admin, at=facility)
    assert "facility" in caught.value.message_dict
    assert not JobPosting.objects.exists()


def test_a_credentialing_officer_manages_postings(make_posting: MakePosting, officer: User) -> None:
    posting = make_posting(scope=scope_of(officer), user=officer)
    assert posting.created_by == officer


def test_requirements_read_in_words_in_both_languages_and_map_to_the_engine() -> None:
    pack = pack_for("ID")
    assert describe(EXPERIENCE, pack, "en") == "At least 12 months of work experience at: hospital or general clinic"
    assert "Mengoperasikan pesawat sinar-X" in describe(XRAY, pack, "id")
    assert "Operate an X-ray unit" in describe(XRAY, pack, "en")
    preferred = RequirementInput(kind="certification", code="pain_nursing", importance="preferred")
    assert describe(preferred, pack, "en").endswith("(preferred)")
    (experience,) = engine_requirements(EXPERIENCE, pack)
    assert isinstance(experience, ExperienceRequirement)
    assert experience.at_least_months == 12
    assert engine_requirements(XRAY, pack) == pack.actions["operate_equipment:xray"].requirements
