"""Hiring fixtures: the jobs fixtures (an organization, its facility, managers, postings),
a nurse posting with requirement rows, and candidates near to and far from it."""

# ruff: noqa: F811 - the jobs fixtures are imported to be shared, then used as parameters

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from nyeri.candidates.models import CandidateCredential, CandidateHours, CandidateProfile
from nyeri.jobs.models import JobPosting
from nyeri.jobs.requirements import RequirementInput
from tests.candidates.conftest import make_candidate
from tests.jobs.conftest import (  # noqa: F401 - fixtures shared with the jobs tests
    admin,
    admin_scope,
    english,
    fresh_cache,
    make_posting,
    member_nurse,
    officer,
    other_admin,
)


def declare(
    profile: CandidateProfile, kind: str, issued_on: date = date(2020, 1, 1), **fields: object
) -> CandidateCredential:
    values: dict[str, object] = {"issuer": "Konsil Kesehatan Indonesia", "number": f"{kind.upper()}-1"}
    values.update(fields)
    return CandidateCredential.objects.create(candidate=profile, kind=kind, issued_on=issued_on, **values)


def hours(profile: CandidateProfile, count: int, per_month: str, last: date = date(2026, 10, 1)) -> None:
    y, m = last.year, last.month
    for _ in range(count):
        CandidateHours.objects.create(candidate=profile, month=date(y, m, 1), hours=Decimal(per_month))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)


def ready_nurse(username: str = "ayu@example.id") -> CandidateProfile:
    """A nurse who declares everything the posting needs."""
    ayu = make_candidate(username, roles=("nurse",))
    declare(ayu, "registration", expires_on=date(2030, 1, 1))
    declare(ayu, "pain_nursing_certification", date(2025, 6, 1), exam_passed_on=date(2025, 5, 20))
    declare(ayu, "pain_training", date(2026, 3, 1), hours=Decimal(30))
    hours(ayu, 34, "60")
    return ayu


@pytest.fixture
def posting(make_posting: object) -> JobPosting:
    assert callable(make_posting)
    return make_posting(
        title="Perawat klinik nyeri",
        requirements=(
            RequirementInput(kind="action", code="record_assessment"),
            RequirementInput(kind="certification", code="pain_nursing"),
            RequirementInput(kind="experience", importance="preferred", months=12, employer_kinds=("hospital",)),
        ),
    )


@pytest.fixture
def ayu(db: None) -> CandidateProfile:
    return ready_nurse()


@pytest.fixture
def budi(db: None) -> CandidateProfile:
    """A nurse who declares only the registration: far from the posting."""
    budi = make_candidate("budi@example.id", roles=("nurse",))
    declare(budi, "registration", expires_on=date(2030, 1, 1))
    return budi
