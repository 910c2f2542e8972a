"""Reads of the hiring pipeline: a facility's applications ranked by eligibility, one
application in full, a candidate's own applications.

Eligibility is computed from the declarations at read time, in one batch per page
(``hiring.eligibility.evaluate_postings``), so that a candidate who declares a new
credential moves up the ranking at once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

from django.db import transaction
from django.db.models import Prefetch, QuerySet, Sum
from django.http import Http404

from nyeri.candidates.models import CandidateCredential, CandidateEvidence, CandidateHours, CandidateProfile
from nyeri.candidates.selectors import open_candidate_evidence
from nyeri.hiring.access import audit_read
from nyeri.hiring.eligibility import PostingEligibility, evaluate_postings
from nyeri.hiring.models import ACTIVE_STAGES, Application, ApplicationEvent, HandedOverCredential, Stage
from nyeri.jobs.models import JobPosting, JobRequirement
from nyeri.jobs.selectors import organization_postings
from nyeri.tenancy.scope import Scope


@dataclass(frozen=True)
class Ranked:
    application: Application
    eligibility: PostingEligibility


@dataclass(frozen=True)
class PostingSummary:
    posting: JobPosting
    by_stage: dict[str, int]
    active: int
    total: int


def _with_requirements(qs: QuerySet[JobPosting]) -> QuerySet[JobPosting]:
    return qs.select_related("facility", "organization").prefetch_related(
        Prefetch("requirements", queryset=JobRequirement.objects.order_by("position", "pk"))
    )


def postings_with_applications(scope: Scope) -> list[PostingSummary]:
    """The scope's postings that have applications, newest first, with counts per stage."""
    postings = list(organization_postings(scope).filter(applications__isnull=False).distinct())
    counts: dict[int, Counter[str]] = {p.pk: Counter() for p in postings}
    rows = Application.objects.filter(organization=scope.organization, posting_id__in=counts).values_list(
        "posting_id", "stage"
    )
    for posting_id, stage in rows:
        counts[posting_id][stage] += 1
    return [
        PostingSummary(
            p,
            dict(counts[p.pk]),
            sum(counts[p.pk][s] for s in ACTIVE_STAGES),
            sum(counts[p.pk].values()),
        )
        for p in postings
    ]


def scoped_posting(scope: Scope, posting_id: int) -> JobPosting | None:
    qs = _with_requirements(JobPosting.objects.filter(organization=scope.organization, pk=posting_id))
    posting = qs.first()
    if posting is None or not scope.covers_facility(posting.facility_id):
        return None
    return posting


def ranked_applications(posting: JobPosting, *, stage: str = "") -> list[Ranked]:
    """The posting's applications, the eligible first, then by fewest unmet requirements, then oldest."""
    qs = Application.objects.filter(posting=posting).select_related("candidate__user")
    if stage in Stage.values:
        qs = qs.filter(stage=stage)
    applications = list(qs.order_by("submitted_at", "pk"))
    batch = evaluate_postings([a.candidate_id for a in applications], [posting])
    ranked = [Ranked(a, batch.get(a.candidate_id, posting.pk)) for a in applications]
    # Closed applications (hired, rejected, withdrawn) after the open ones.
    ranked.sort(key=lambda r: (not r.application.is_active, r.eligibility.rank_key, r.application.submitted_at))
    return ranked


@dataclass(frozen=True)
class ApplicationDetail:
    application: Application
    eligibility: PostingEligibility
    credentials: list[CandidateCredential]
    declared_hours: Decimal
    events: list[ApplicationEvent]
    handed_over: list[HandedOverCredential]


def applicant_evidence(scope: Scope, application: Application, evidence_id: int) -> tuple[CandidateEvidence, BinaryIO]:
    """A file of the application's candidate, opened, with its READ audit row (another candidate's: 404)."""
    row = CandidateEvidence.objects.filter(pk=evidence_id, candidate_id=application.candidate_id).first()
    if row is None:
        raise Http404("No such evidence")
    try:
        handle = open_candidate_evidence(row)
    except FileNotFoundError:
        raise Http404("The evidence file is missing from storage") from None
    try:
        with transaction.atomic():
            audit_read(
                scope,
                application,
                f"evidence {row.pk} of candidate credential {row.credential_id}; sha256 {row.sha256}",
            )
    except BaseException:
        handle.close()
        raise
    return row, handle


def application_detail(application: Application) -> ApplicationDetail:
    posting = _with_requirements(JobPosting.objects.filter(pk=application.posting_id)).get()
    eligibility = evaluate_postings([application.candidate_id], [posting]).get(application.candidate_id, posting.pk)
    credentials = list(
        CandidateCredential.objects.filter(candidate_id=application.candidate_id)
        .prefetch_related(Prefetch("evidence", queryset=CandidateEvidence.objects.order_by("uploaded_at", "pk")))
        .order_by("kind", "-issued_on")
    )
    hours = CandidateHours.objects.filter(candidate_id=application.candidate_id).aggregate(total=Sum("hours"))["total"]
    events = list(application.events.select_related("actor").order_by("at", "pk"))
    handed = list(application.handed_over.select_related("credential").order_by("pk"))
    return ApplicationDetail(application, eligibility, credentials, hours or Decimal(0), events, handed)


@dataclass(frozen=True)
class OwnApplication:
    application: Application
    eligibility: PostingEligibility


def candidate_applications(profile: CandidateProfile) -> list[OwnApplication]:
    applications = list(
        Application.objects.filter(candidate=profile)
        .select_related("posting", "facility")
        .order_by("-submitted_at", "-pk")
    )
    for application in applications:
        application.candidate = profile  # the one asked for: not read again per application
    postings = list(_with_requirements(JobPosting.objects.filter(pk__in={a.posting_id for a in applications})))
    batch = evaluate_postings([profile.pk], postings)
    return [OwnApplication(a, batch.get(profile.pk, a.posting_id)) for a in applications]


def application_of(profile: CandidateProfile, posting_id: int) -> Application | None:
    return Application.objects.filter(candidate=profile, posting_id=posting_id).first()
