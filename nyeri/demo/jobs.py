"""Demo job postings: one per real gap of each facility's staffing plan, described and published
(but one, left a draft for the facility manager).

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
from django.utils import timezone, translation

from nyeri.accounts.models import User
from nyeri.jobs import services
from nyeri.jobs.models import JobPosting
from nyeri.jobs.requirements import RequirementInput
from nyeri.jobs.selectors import description_template
from nyeri.jobs.services import PostingInput
from nyeri.staffing.selectors import staffing_plan
from nyeri.tenancy.models import Facility, MembershipRole
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope, resolve_scope

# What the demo's writer puts in the template's bracketed parts (nyeri.jobs.selectors.description_template).
DESCRIPTION_PARTS = {
    "[the patients, the team, the usual day]": "pasien nyeri kronis dewasa, tim multidisiplin, layanan pagi hari kerja",
    "[pasien, tim, hari kerja biasa]": "pasien nyeri kronis dewasa, tim multidisiplin, layanan pagi hari kerja",
    "[salary, schedule, training]": "gaji sesuai kisaran, jadwal tetap, pelatihan manajemen nyeri",
    "[gaji, jadwal, pelatihan]": "gaji sesuai kisaran, jadwal tetap, pelatihan manajemen nyeri",
}

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
    for n, (code, facility) in enumerate(sorted(facilities.items())):
        plan = staffing_plan(scope, facility, at=moment).plan
        for m, line in enumerate(plan.gaps):
            try:
                posting = services.create_posting_from_gap(
                    scope=scope, acting_user=admin, facility=facility, role=line.role, at=moment
                )
            except ValidationError as error:
                summary.skipped.append(f"{code}: {line.role}: {' '.join(error.messages)}")
                continue
            low, high = SALARIES.get(line.role, (None, None))
            posting = _described(scope, admin, posting, low, high)
            # The first facility's last gap stays a draft: the facility manager's home shows it
            # (a person writes and publishes a posting); the others are on the public board.
            if n == 0 and m == len(plan.gaps) - 1:
                summary.postings.append(f"{code}: {posting.role} (draft)")
                continue
            posting = services.publish_posting(scope=scope, acting_user=admin, posting=posting, today=posting.opened_on)
            people = f"{posting.headcount} x {posting.hours_per_week} h/week"
            summary.postings.append(f"{code}: {posting.role}, {people} ({posting.gap_rule_code})")
    return summary


def _described(scope: Scope, admin: User, posting: JobPosting, low: int | None, high: int | None) -> JobPosting:
    """The draft's description, as its writer would finish the offered template; a salary for some roles."""
    with translation.override("id"):
        text = description_template(posting)
    for blank, words in DESCRIPTION_PARTS.items():
        text = text.replace(blank, words)
    return services.update_posting(
        scope=scope,
        acting_user=admin,
        posting=posting,
        data=PostingInput(
            role=posting.role,
            title=posting.title,
            employment_kind=posting.employment_kind,
            fte=None,
            headcount=posting.headcount,
            hours_per_week=posting.hours_per_week,
            description=text,
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
