"""Eligibility for a job posting, on what a candidate declared, through the requirements engine.

A posting's requirement rows (``jobs.JobRequirement``) become two requirement sets for
``candidates.eligibility.evaluate_many``:

- ``posting:<id>``: the posting's role and its *required* rows (what makes a candidate
  eligible; a SIP for the facility is reported as needed after hiring, never blocking);
- ``posting:<id>:preferred``: its *preferred* rows (shown as "preferred, not met", never
  blocking), only when it has any.

One batch evaluates any number of candidates against any number of postings: ranking the
applications of a posting, or showing a candidate every posting they applied to.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from nyeri.candidates.eligibility import (
    Eligibility,
    EligibilityBatch,
    RequirementSet,
    dedupe,
    evaluate_many,
    role_set,
    without_role,
)
from nyeri.jobs.models import Importance, JobPosting
from nyeri.jobs.requirements import engine_requirements
from nyeri.workforce.engine.decisions import Unmet
from nyeri.workforce.policy.loader import pack_for
from nyeri.workforce.policy.schema import Requirement


def required_code(posting_id: int) -> str:
    return f"posting:{posting_id}"


def preferred_code(posting_id: int) -> str:
    return f"posting:{posting_id}:preferred"


def posting_sets(posting: JobPosting) -> list[RequirementSet]:
    """The posting's required set, and its preferred set when it has preferred rows.

    The posting's requirement rows must be loaded (prefetch ``requirements`` for many).
    """
    pack = pack_for(posting.organization.jurisdiction)
    required: list[Requirement] = []
    preferred: list[Requirement] = []
    for row in posting.requirements.all():
        (preferred if row.importance == Importance.PREFERRED else required).extend(engine_requirements(row, pack))
    facility = posting.facility
    place = {"regency_code": facility.regency_code, "regency": facility.regency}
    labels = {"label_en": posting.title, "label_id": posting.title}
    main = role_set(required_code(posting.pk), posting.role, required, **place, **labels)
    extra = tuple(r for r in dedupe(without_role(preferred, posting.role)) if r not in main.requirements)
    if not extra:
        return [main]
    return [
        main,
        RequirementSet(preferred_code(posting.pk), posting.role, posting.title, posting.title, extra, **place),
    ]


@dataclass(frozen=True)
class PostingEligibility:
    """One candidate and one posting: eligible or not, and everything still missing."""

    candidate_id: int
    posting_id: int
    required: Eligibility
    preferred_unmet: tuple[Unmet, ...]

    @property
    def eligible(self) -> bool:
        return self.required.eligible

    @property
    def unmet(self) -> tuple[Unmet, ...]:
        return self.required.unmet

    @property
    def after_hiring(self) -> tuple[Unmet, ...]:
        return self.required.after_hiring

    @property
    def rank_key(self) -> tuple[bool, int, int]:
        """Eligible first, then fewer unmet requirements, then fewer unmet preferences."""
        return (not self.eligible, len(self.unmet), len(self.preferred_unmet))


class PostingBatch:
    """Candidates against postings, evaluated at once."""

    def __init__(self, batch: EligibilityBatch, postings: Sequence[JobPosting]) -> None:
        self._batch = batch
        self._codes = {s.code for s in batch.sets}
        self.postings = {p.pk: p for p in postings}

    def get(self, candidate_id: int, posting_id: int) -> PostingEligibility:
        required = self._batch.get(candidate_id, required_code(posting_id))
        code = preferred_code(posting_id)
        preferred = self._batch.get(candidate_id, code).unmet if code in self._codes else ()
        return PostingEligibility(candidate_id, posting_id, required, preferred)


def evaluate_postings(
    candidate_ids: Iterable[int], postings: Sequence[JobPosting], *, at: datetime | None = None
) -> PostingBatch:
    sets = [s for p in postings for s in posting_sets(p)]
    return PostingBatch(evaluate_many(list(candidate_ids), sets, at=at), postings)


def posting_eligibility(candidate_id: int, posting: JobPosting, *, at: datetime | None = None) -> PostingEligibility:
    return evaluate_postings([candidate_id], [posting], at=at).get(candidate_id, posting.pk)
