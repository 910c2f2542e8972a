"""Job-posting writes, each audited in the same transaction.

- ``create_posting``: by hand, with its requirement rows;
- ``create_posting_from_gap``: in one click from a gap of the facility's staffing plan: the
  role, the missing FTE, the rule that produced the gap, and the role's default requirement
  rows (``defaults/<JURISDICTION>.toml``); refused when the role has no gap, or when an open
  posting made from a gap for that role and facility already exists;
- ``update_posting``: fields and requirement rows, while the posting is open;
- ``close_posting`` / ``mark_filled``: open -> closed / filled (the only status changes).

Bad input raises ``ValidationError`` keyed by field with translated messages (a requirement
row's field is keyed ``requirements.<n>.<field>``); nothing is saved.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.jobs.access import require_manager
from nyeri.jobs.defaults import default_requirements
from nyeri.jobs.models import EmploymentKind, JobPosting, JobRequirement, PostingSource, PostingStatus
from nyeri.jobs.requirements import RequirementInput, requirement_problems
from nyeri.lib.services import Errors
from nyeri.tenancy.clock import local_date
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import CLINICAL_ROLES, Role
from nyeri.tenancy.scope import Scope
from nyeri.workforce.policy.loader import pack_for

TITLE_MAX_LENGTH = 200
SALARY_MAX = 10**12
FTE_MAX = Decimal(10)


@dataclass(frozen=True)
class PostingInput:
    """The editable fields of a posting."""

    role: str
    title: str
    employment_kind: str
    fte: Any
    description: str = ""
    salary_min: Any = None
    salary_max: Any = None
    # Whole people and each one's hours a week (the form asks these; the FTE follows). When
    # both are missing (the API), they follow from the FTE instead.
    headcount: Any = None
    hours_per_week: Any = None


def _number(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(value) from None
    if not number.is_finite():
        raise ValueError(value)
    return number


def _clean(
    data: PostingInput, requirements: Sequence[RequirementInput], jurisdiction: str
) -> tuple[dict[str, Any], Errors]:
    errors: Errors = {}
    clean: dict[str, Any] = {"description": (data.description or "").strip()}
    if not data.role:
        errors["role"] = [_("Choose the role of the position.")]
    elif data.role not in Role.values or data.role not in CLINICAL_ROLES:
        errors["role"] = [_("Unknown role “%(role)s”.") % {"role": data.role}]
    else:
        clean["role"] = data.role
    title = (data.title or "").strip()
    if not title:
        errors["title"] = [_("Give the posting a title.")]
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = [_("At most %(limit)s characters.") % {"limit": TITLE_MAX_LENGTH}]
    clean["title"] = title
    if data.employment_kind not in EmploymentKind.values:
        errors["employment_kind"] = [_("Choose the kind of employment.")]
    clean["employment_kind"] = data.employment_kind
    try:
        fte = _number(data.fte)
    except ValueError:
        fte = None
        errors["fte"] = [_("Enter a number.")]
    else:
        if fte is None or fte <= 0 or fte > FTE_MAX or fte != fte.quantize(Decimal("0.01")):
            errors["fte"] = [_("Give the FTE as a number above 0 and at most 10 (two decimals).")]
    clean["fte"] = fte
    _clean_people(data, clean, errors)
    salary: dict[str, Decimal | None] = {}
    for name in ("salary_min", "salary_max"):
        try:
            amount = _number(getattr(data, name))
        except ValueError:
            errors[name] = [_("Enter a whole amount in rupiah.")]
            continue
        if amount is not None and (amount < 0 or amount > SALARY_MAX or amount != amount.to_integral_value()):
            errors[name] = [_("Enter a whole amount in rupiah.")]
            continue
        salary[name] = amount
    low, high = salary.get("salary_min"), salary.get("salary_max")
    if "salary_min" not in errors and "salary_max" not in errors:
        if (low is None) != (high is None):
            errors["salary_max" if high is None else "salary_min"] = [
                _("Give both ends of the salary range, or neither.")
            ]
        elif low is not None and high is not None and low > high:
            errors["salary_max"] = [_("The upper end of the salary range is below its lower end.")]
    clean["salary_min"] = int(low) if low is not None else None
    clean["salary_max"] = int(high) if high is not None else None
    pack = pack_for(jurisdiction)
    for n, row in enumerate(requirements):
        for field, messages in requirement_problems(row, pack).items():
            errors[f"requirements.{n}.{field}"] = messages
    return clean, errors


# The legal working week (40 hours: UU 13/2003 art. 77, kept by UU 6/2023): one FTE.
FULL_TIME_HOURS = 40
HEADCOUNT_MAX = 100
HOURS_MAX = 60


def _whole(value: Any) -> int | None:
    number = _number(value)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise ValueError(value)
    return int(number)


def _clean_people(data: PostingInput, clean: dict[str, Any], errors: Errors) -> None:
    """Headcount and hours per week: asked, or (both missing) derived from the FTE."""
    if data.headcount in (None, "") and data.hours_per_week in (None, ""):
        fte = clean.get("fte")
        if fte is not None and "fte" not in errors:
            whole = max(int(fte.to_integral_value(rounding=ROUND_CEILING)), 1)
            each = (fte * FULL_TIME_HOURS / whole).to_integral_value(rounding=ROUND_CEILING)
            clean["headcount"], clean["hours_per_week"] = whole, min(max(int(each), 1), HOURS_MAX)
        return
    people: int | None = None
    hours: int | None = None
    with contextlib.suppress(ValueError):
        people = _whole(data.headcount)
    if people is None or not 1 <= people <= HEADCOUNT_MAX:
        errors["headcount"] = [_("Give the number of people to hire, from 1 to %(limit)s.") % {"limit": HEADCOUNT_MAX}]
    with contextlib.suppress(ValueError):
        hours = _whole(data.hours_per_week)
    if hours is None or not 1 <= hours <= HOURS_MAX:
        errors["hours_per_week"] = [
            _("Give each person's hours per week as a whole number from 1 to %(limit)s.") % {"limit": HOURS_MAX}
        ]
    # Asked in people and hours, the FTE is not the person's to give.
    errors.pop("fte", None)
    if people is None or hours is None or "headcount" in errors or "hours_per_week" in errors:
        return
    clean["headcount"], clean["hours_per_week"] = people, hours
    fte = (Decimal(people * hours) / FULL_TIME_HOURS).quantize(Decimal("0.01"))
    if fte > FTE_MAX:
        errors["headcount"] = [_("At most %(limit)s full-time people in one posting.") % {"limit": int(FTE_MAX)}]
    clean["fte"] = fte


def _write_requirements(posting: JobPosting, requirements: Sequence[RequirementInput]) -> None:
    JobRequirement.objects.filter(posting=posting).delete()
    JobRequirement.objects.bulk_create(
        [
            JobRequirement(organization_id=posting.organization_id, posting=posting, position=n, **row.model_fields())
            for n, row in enumerate(requirements)
        ]
    )


def _facility_of_scope(scope: Scope, facility: Facility) -> None:
    if facility.organization_id != scope.organization.pk or not scope.covers_facility(facility.pk):
        raise ValidationError({"facility": [_("Choose a facility of your organization.")]})


def create_posting(
    *,
    scope: Scope,
    acting_user: User,
    facility: Facility,
    data: PostingInput,
    requirements: Sequence[RequirementInput] = (),
    today: date | None = None,
) -> JobPosting:
    """A posting made by hand (open from ``today``)."""
    require_manager(scope, reason="create job posting")
    with transaction.atomic():
        return _create_by_hand(scope, acting_user, facility, data, requirements, today)


def _create_by_hand(
    scope: Scope,
    acting_user: User,
    facility: Facility,
    data: PostingInput,
    requirements: Sequence[RequirementInput],
    today: date | None,
) -> JobPosting:
    _facility_of_scope(scope, facility)
    clean, errors = _clean(data, requirements, scope.organization.jurisdiction)
    if errors:
        raise ValidationError(errors)
    posting = JobPosting.objects.create(
        organization=scope.organization,
        facility=facility,
        opened_on=today or local_date(facility),
        created_by=acting_user,
        source=PostingSource.MANUAL,
        **clean,
    )
    _write_requirements(posting, requirements)
    record_event(
        actor=acting_user,
        action=AuditAction.CREATE,
        organization=scope.organization,
        facility=facility,
        object_type="job_posting",
        object_id=posting.pk,
        reason=f"job posting by hand: {posting.role}, {len(requirements)} requirements",
    )
    return posting


def create_posting_from_gap(
    *, scope: Scope, acting_user: User, facility: Facility, role: str, at: datetime | None = None
) -> JobPosting:
    """A DRAFT posting for the gap of ``role`` in the facility's staffing plan, with the role's
    default requirements, in whole people and hours per week. Not public until a person
    writes its description and publishes it (``publish_posting``)."""
    from nyeri.staffing.selectors import access_plan_facility, gap_hours, staffing_plan, whole_people

    require_manager(scope, reason="create job posting from gap")
    _facility_of_scope(scope, facility)
    access_plan_facility(scope, facility.pk)
    found = staffing_plan(scope, facility, at=at)
    line = found.plan.role(role) if role in Role.values else None
    if line is None or line.gap <= 0:
        raise ValidationError({"role": [_("The staffing plan shows no gap for this role at this facility.")]})
    with transaction.atomic():
        duplicate = JobPosting.objects.select_for_update().filter(
            organization=scope.organization,
            facility=facility,
            role=role,
            status__in=[PostingStatus.OPEN, PostingStatus.DRAFT],
            source=PostingSource.GAP,
        )
        if duplicate.exists():
            raise ValidationError(
                {"role": [_("A posting made from this gap already exists for this role at this facility.")]}
            )
        producing = line.producing
        fte = min(line.gap, FTE_MAX)
        people = min(whole_people(fte), HEADCOUNT_MAX)
        hours = min(max(-(-gap_hours(fte, found.plan.fte_hours) // people), 1), HOURS_MAX)
        requirements = default_requirements(scope.organization.jurisdiction, role)
        title = _("%(role)s at %(facility)s") % {"role": Role(role).label, "facility": facility.name}
        data = PostingInput(
            role=role,
            title=title[:TITLE_MAX_LENGTH],
            employment_kind=EmploymentKind.PERMANENT if fte >= 1 else EmploymentKind.PART_TIME,
            fte=fte,
            headcount=people,
            hours_per_week=hours,
        )
        clean, errors = _clean(data, requirements, scope.organization.jurisdiction)
        if errors:
            raise ValidationError(errors)
        posting = JobPosting.objects.create(
            organization=scope.organization,
            facility=facility,
            opened_on=local_date(facility, at),
            created_by=acting_user,
            status=PostingStatus.DRAFT,
            source=PostingSource.GAP,
            gap_rule_code=producing[0].code if producing else "",
            gap_rules_label=found.plan.rules_label,
            gap_required_fte=line.required,
            gap_current_fte=line.current,
            gap_fte=line.gap,
            **clean,
        )
        _write_requirements(posting, requirements)
        record_event(
            actor=acting_user,
            action=AuditAction.CREATE,
            organization=scope.organization,
            facility=facility,
            object_type="job_posting",
            object_id=posting.pk,
            reason=(
                f"draft job posting from gap: {role} {line.gap} FTE ({people} people, {hours} h/week), "
                f"rule {posting.gap_rule_code} ({posting.gap_rules_label})"
            ),
        )
    return posting


def _must_be_open(posting: JobPosting, *, or_draft: bool = False) -> None:
    allowed = (PostingStatus.OPEN, PostingStatus.DRAFT) if or_draft else (PostingStatus.OPEN,)
    if posting.status not in allowed:
        raise ValidationError(
            {
                "status": [
                    _("This posting is %(status)s: only an open posting can be changed.")
                    % {"status": posting.get_status_display().lower()}
                ]
            }
        )


def update_posting(
    *,
    scope: Scope,
    acting_user: User,
    posting: JobPosting,
    data: PostingInput,
    requirements: Sequence[RequirementInput],
) -> JobPosting:
    require_manager(scope, object_id=posting.pk, reason="edit job posting")
    with transaction.atomic():
        return _update(scope, acting_user, posting, data, requirements)


def _update(
    scope: Scope, acting_user: User, posting: JobPosting, data: PostingInput, requirements: Sequence[RequirementInput]
) -> JobPosting:
    posting = JobPosting.objects.select_for_update().get(pk=posting.pk, organization=scope.organization)
    _must_be_open(posting, or_draft=True)
    clean, errors = _clean(data, requirements, scope.organization.jurisdiction)
    if errors:
        raise ValidationError(errors)
    changed = sorted(k for k, v in clean.items() if getattr(posting, k) != v)
    for key, value in clean.items():
        setattr(posting, key, value)
    posting.save()
    _write_requirements(posting, requirements)
    record_event(
        actor=acting_user,
        action=AuditAction.UPDATE,
        organization=scope.organization,
        facility=posting.facility,
        object_type="job_posting",
        object_id=posting.pk,
        reason=f"job posting edited: {', '.join(changed) or 'requirements'}; {len(requirements)} requirements",
    )
    return posting


def _end(scope: Scope, acting_user: User, posting: JobPosting, status: PostingStatus, today: date | None) -> JobPosting:
    require_manager(scope, object_id=posting.pk, reason=f"job posting {status}")
    with transaction.atomic():
        posting = JobPosting.objects.select_for_update().get(pk=posting.pk, organization=scope.organization)
        _must_be_open(posting)
        posting.status = status
        posting.closed_on = max(today or local_date(posting.facility), posting.opened_on)
        posting.save(update_fields=["status", "closed_on", "updated_at"])
        record_event(
            actor=acting_user,
            action=AuditAction.UPDATE,
            organization=scope.organization,
            facility=posting.facility,
            object_type="job_posting",
            object_id=posting.pk,
            reason=f"job posting status: open -> {status}",
        )
    return posting


def close_posting(*, scope: Scope, acting_user: User, posting: JobPosting, today: date | None = None) -> JobPosting:
    """Open -> closed (no longer on the public board)."""
    return _end(scope, acting_user, posting, PostingStatus.CLOSED, today)


def mark_filled(*, scope: Scope, acting_user: User, posting: JobPosting, today: date | None = None) -> JobPosting:
    """Open -> filled (no longer on the public board)."""
    return _end(scope, acting_user, posting, PostingStatus.FILLED, today)


def publish_posting(*, scope: Scope, acting_user: User, posting: JobPosting, today: date | None = None) -> JobPosting:
    """Draft -> open: on the public job board from ``today``. Refused without a description."""
    require_manager(scope, object_id=posting.pk, reason="publish job posting")
    with transaction.atomic():
        posting = (
            JobPosting.objects.select_for_update()
            .select_related("facility")
            .get(pk=posting.pk, organization=scope.organization)
        )
        if posting.status != PostingStatus.DRAFT:
            raise ValidationError({"status": [_("Only a draft posting can be published.")]})
        if not posting.description.strip():
            raise ValidationError(
                {"description": [_("Write a description before publishing: candidates read it on the job board.")]}
            )
        posting.status = PostingStatus.OPEN
        posting.opened_on = today or local_date(posting.facility)
        posting.save(update_fields=["status", "opened_on", "updated_at"])
        record_event(
            actor=acting_user,
            action=AuditAction.UPDATE,
            organization=scope.organization,
            facility=posting.facility,
            object_type="job_posting",
            object_id=posting.pk,
            reason="job posting status: draft -> open",
        )
    return posting
