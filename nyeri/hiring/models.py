"""Applications of candidates to job postings, and the hiring pipeline.

- ``Application``: one candidate's application to one posting (unique: a second one is
  refused), with its ``stage``. The stage only moves through ``services`` (``move``,
  ``hire``, ``withdraw``), each move written to ``ApplicationEvent`` and audited in the
  posting's organization. What the candidate's declarations met when they applied is kept
  (``eligible_at_apply``, ``unmet_at_apply``); the ranking a facility sees is computed
  anew from the declarations each time.
- ``ApplicationEvent``: the history of an application (applied, each stage move, hired,
  withdrawn), with who and why. Rows are only ever added.
- ``HandedOverCredential``: at hiring, each declared credential either becomes a submitted
  credential of the new staff member (waiting in the credentialing queue) or is recorded
  here as not handed over, with the reason (a SIP of another practice place, say).

The organization is copied onto every row so that every read is scoped by it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Stage(models.TextChoices):
    # With a context: "Received" and "Offer" mean other things elsewhere (the register's receipts).
    RECEIVED = "received", pgettext_lazy("application stage", "Received")
    SCREENING = "screening", pgettext_lazy("application stage", "Screening")
    INTERVIEW = "interview", pgettext_lazy("application stage", "Interview")
    OFFER = "offer", pgettext_lazy("application stage", "Offer")
    HIRED = "hired", pgettext_lazy("application stage", "Hired")
    REJECTED = "rejected", pgettext_lazy("application stage", "Rejected")
    WITHDRAWN = "withdrawn", pgettext_lazy("application stage", "Withdrawn by the candidate")


# Stages from which the application can still move.
ACTIVE_STAGES = (Stage.RECEIVED, Stage.SCREENING, Stage.INTERVIEW, Stage.OFFER)
# The pipeline's forward steps (hiring, from an offer, is its own service).
NEXT_STAGE: dict[str, str] = {
    Stage.RECEIVED: Stage.SCREENING,
    Stage.SCREENING: Stage.INTERVIEW,
    Stage.INTERVIEW: Stage.OFFER,
}


class Application(models.Model):
    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    facility = models.ForeignKey("tenancy.Facility", on_delete=models.PROTECT, related_name="+")
    posting = models.ForeignKey("jobs.JobPosting", on_delete=models.PROTECT, related_name="applications")
    candidate = models.ForeignKey("candidates.CandidateProfile", on_delete=models.PROTECT, related_name="applications")
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, default=Stage.RECEIVED)
    note = models.TextField(_("message to the employer"), blank=True, max_length=2000)
    eligible_at_apply = models.BooleanField(_("eligible when applying"))
    unmet_at_apply = models.PositiveSmallIntegerField(_("requirements unmet when applying"))
    submitted_at = models.DateTimeField(_("applied at"))
    stage_changed_at = models.DateTimeField(_("stage changed at"))
    # Set when hired: the staff record the candidate became.
    person = models.ForeignKey("workforce.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["posting", "candidate"], name="application_one_per_candidate"),
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="application_stage_valid"),
            models.CheckConstraint(
                condition=Q(stage=Stage.HIRED, person__isnull=False) | (~Q(stage=Stage.HIRED) & Q(person__isnull=True)),
                name="application_person_iff_hired",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "posting", "stage"], name="application_posting_stage"),
            models.Index(fields=["candidate", "-submitted_at"], name="application_candidate"),
        ]

    def __str__(self) -> str:
        return f"{self.candidate_id} → {self.posting_id} ({self.stage})"

    @property
    def is_active(self) -> bool:
        return self.stage in ACTIVE_STAGES


class EventKind(models.TextChoices):
    APPLIED = "applied", pgettext_lazy("application event", "Applied")
    MOVED = "moved", pgettext_lazy("application event", "Stage changed")
    HIRED = "hired", pgettext_lazy("application event", "Hired")
    REJECTED = "rejected", pgettext_lazy("application event", "Rejected")
    WITHDRAWN = "withdrawn", pgettext_lazy("application event", "Withdrawn")


class ApplicationEvent(models.Model):
    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    from_stage = models.CharField(_("from"), max_length=16, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("to"), max_length=16, choices=Stage.choices)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("application event")
        verbose_name_plural = _("application events")
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EventKind.values), name="application_event_kind_valid"),
            models.CheckConstraint(condition=Q(to_stage__in=Stage.values), name="application_event_stage_valid"),
            models.CheckConstraint(
                condition=~Q(kind__in=[EventKind.REJECTED, EventKind.WITHDRAWN]) | ~Q(note=""),
                name="application_event_end_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.from_stage}→{self.to_stage}"


class HandedOverCredential(models.Model):
    """What became of one declared credential when its candidate was hired."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="handed_over")
    declared = models.ForeignKey(
        "candidates.CandidateCredential", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    declared_kind = models.CharField(_("kind"), max_length=32)
    # The submitted credential now in the credentialing queue; empty when not handed over.
    credential = models.ForeignKey(
        "workforce.Credential", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    problem = models.TextField(_("why it was not handed over"), blank=True)

    class Meta:
        verbose_name = _("handed-over credential")
        verbose_name_plural = _("handed-over credentials")
        constraints = [
            models.CheckConstraint(
                condition=(Q(credential__isnull=False) & Q(problem="")) | (Q(credential__isnull=True) & ~Q(problem="")),
                name="handed_over_credential_or_problem",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.declared_kind}: {self.credential_id or self.problem}"
