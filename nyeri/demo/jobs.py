"""Demo job postings: one per real gap of each facility's staffing plan.

For every facility of the organization, the staffing plan (the organization's rules on the
demo's equipment, sizes and staff) is evaluated on ``now``, and each role with a gap gets a
posting through ``create_posting_from_gap`` (the role, the missing FTE, the rule that
produced it, the role's default requirements), made by the organization's administrator
and audited like a click on the plan page. Postings of physicians and radiographers get a
salary range (the rest has none, which the board shows as such). Called by ``seed_demo``::

    from nyeri.demo.jobs import seed_jobs
    seed_jobs(org_id=org.pk, facilities=facilities, now=now)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.jobs import services
from nyeri.jobs.models import JobPosting
from nyeri.jobs.requirements import RequirementInput
from nyeri.jobs.services import PostingInput
from nyeri.staffing.selectors import staffing_plan
from nyeri.tenancy.models import Facility, MembershipRole
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope, resolve_scope

# Monthly salary ranges (IDR) given to some roles' postings.
SALARIES = {
    Role.PAIN_PHYSICIAN.value: (25_000_000, 40_000_000),
    Role.ANESTHESIOLOGIST.value: (30_000_000, 45_000_000),
    Role.RADIOGRAPHER.value: (6_000_000, 9_000_000),
    Role.NURSE.value: (5_000_000, 8_000_000),
}


@dataclass
class JobsSummary:
    postings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def seed_jobs(*, org_id: int, facilities: dict[str, Facility], now: datetime | None = None) -> JobsSummary:
    """A posting for each gap of each facility's staffing plan (see the module docstring)."""
    moment = now or timezone.now()
    link = (
        MembershipRole.objects.filter(organization_id=org_id, role=Role.ADMINISTRATOR, membership__is_active=True)
        .select_related("membership__user")
        .order_by("membership_id")
        .first()
    )
    if link is None:
        raise ValueError("the demo organization has no administrator")
    admin = link.membership.user
    scope = resolve_scope(admin, org_id)
    assert scope is not None
    summary = JobsSummary()
    for code, facility in sorted(facilities.items()):
        plan = staffing_plan(scope, facility, at=moment).plan
        for line in plan.gaps:
            try:
                posting = services.create_posting_from_gap(
                    scope=scope, acting_user=admin, facility=facility, role=line.role, at=moment
                )
            except ValidationError as error:
                summary.skipped.append(f"{code}: {line.role}: {' '.join(error.messages)}")
                continue
            if line.role in SALARIES:
                low, high = SALARIES[line.role]
                posting = _with_salary(scope, admin, posting, low, high)
            summary.postings.append(f"{code}: {posting.role} {posting.fte} FTE ({posting.gap_rule_code})")
    return summary


def _with_salary(scope: Scope, admin: User, posting: JobPosting, low: int, high: int) -> JobPosting:
    return services.update_posting(
        scope=scope,
        acting_user=admin,
        posting=posting,
        data=PostingInput(
            role=posting.role,
            title=posting.title,
            employment_kind=posting.employment_kind,
            fte=posting.fte,
            description=posting.description,
            salary_min=low,
            salary_max=high,
        ),
        requirements=list(
            RequirementInput(
                kind=r.kind,
                importance=r.importance,
                code=r.code,
                credential_kind=r.credential_kind,
                specialty=r.specialty,
                months=r.months,
                employer_kinds=r.employer_kinds,
            )
            for r in posting.requirements.all()
        ),
    )
