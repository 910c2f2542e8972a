"""Demo applications: the demo candidates apply to the postings of their roles, and the
credentialing officer takes some of them through the pipeline, all through the services.

- each candidate applies to the first open posting of one of their roles (if there is one);
- the officer moves the applications of the eligible a step or more: one offer, one at
  interview, one in screening; rejects one whose STR has expired; hires a medical assistant
  (her declarations go to the credentialing queue).

The demo candidate (``DEMO_CANDIDATE``) keeps a fresh, received application to look at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError

from nyeri.accounts.models import User
from nyeri.candidates.models import CandidateProfile
from nyeri.hiring import services
from nyeri.hiring.models import Application
from nyeri.jobs.models import JobPosting, PostingStatus
from nyeri.tenancy.scope import Scope, resolve_scope
from nyeri.workforce.kinds import Citizenship

OFFICER = "kredensial"
# username -> what the officer does with the application: steps forward, then an end.
PIPELINE: dict[str, tuple[int, str]] = {
    "siti.rahma@kandidat.example": (3, ""),
    "hendra.wijaya@kandidat.example": (2, ""),
    "dewi.anggraini@kandidat.example": (1, ""),
    "budi.santoso@kandidat.example": (0, "reject"),
    "rina.marlina@kandidat.example": (3, "hire"),
}
REJECTION = "STR sudah kedaluwarsa; silakan melamar lagi setelah diperpanjang."


@dataclass
class HiringSummary:
    applications: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def seed_applications(*, org_id: int, now: datetime) -> HiringSummary:
    summary = HiringSummary()
    officer = User.objects.get(username=OFFICER)
    scope = resolve_scope(officer, org_id)
    assert scope is not None
    profiles = CandidateProfile.objects.select_related("user").prefetch_related("target_roles").order_by("pk")
    for n, profile in enumerate(profiles):
        roles = [t.role for t in profile.target_roles.all()]
        open_postings = JobPosting.objects.filter(organization_id=org_id, status=PostingStatus.OPEN, role__in=roles)
        # Near home first: a posting in the regency the candidate prefers, else any.
        posting = (
            open_postings.filter(facility__regency_code=profile.preferred_regency_code).order_by("pk").first()
            or open_postings.order_by("pk").first()
        )
        if posting is None:
            summary.skipped.append(f"{profile.user.username}: no open posting for {', '.join(roles)}")
            continue
        application = services.apply_to_posting(
            acting_user=profile.user,
            profile=profile,
            posting_id=posting.pk,
            note="",
            at=now - timedelta(days=20 - n),
        )
        summary.applications.append(f"{profile.user.username} -> {posting.title}")
        steps, end = PIPELINE.get(profile.user.username, (0, ""))
        for _step in range(steps):
            application = services.advance_application(scope=scope, acting_user=officer, application=application)
        if end == "reject":
            services.reject_application(scope=scope, acting_user=officer, application=application, reason=REJECTION)
        elif end == "hire":
            _hire(scope, officer, application, summary)
    return summary


def _hire(scope: Scope, officer: User, application: Application, summary: HiringSummary) -> None:
    try:
        services.hire(
            scope=scope,
            acting_user=officer,
            application=application,
            citizenship=Citizenship.CITIZEN,
            reason="Pengalaman rumah sakit diverifikasi saat wawancara.",
        )
    except ValidationError as error:
        summary.skipped.append(f"hire {application.pk}: {' '.join(error.messages)}")
