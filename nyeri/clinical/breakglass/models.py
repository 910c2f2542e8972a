"""Break-glass grants: time-limited emergency access of one user to one patient.

A grant is written once (by ``services.break_glass``) and later marked reviewed, once, by a
compliance officer (``services.review_grant``). It is never deleted: it is the evidence.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual
from django.utils.translation import gettext_lazy as _

# A reason must say something: "emergency" alone is not a reason a reviewer can judge.
REASON_MIN_LENGTH = 20
REASON_MAX_LENGTH = 1000
NOTE_MAX_LENGTH = 2000


class ReviewOutcome(models.TextChoices):
    JUSTIFIED = "justified", _("Justified")
    NOT_JUSTIFIED = "not_justified", _("Not justified")


class BreakGlassGrant(models.Model):
    """Emergency access of ``user`` to ``patient`` from ``starts_at`` until ``ends_at``.

    Marked for review from the start: ``reviewed_at`` stays empty until a compliance
    officer records the outcome and a note.
    """

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    patient = models.ForeignKey(
        "clinical.Patient", on_delete=models.PROTECT, related_name="+", verbose_name=_("patient")
    )
    reason = models.TextField(_("reason"), max_length=REASON_MAX_LENGTH)
    starts_at = models.DateTimeField(_("start"))
    ends_at = models.DateTimeField(_("end"))
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    review_outcome = models.CharField(_("outcome"), max_length=16, choices=ReviewOutcome.choices, blank=True)
    review_note = models.TextField(_("note"), max_length=NOTE_MAX_LENGTH, blank=True)

    class Meta:
        verbose_name = _("emergency access")
        verbose_name_plural = _("emergency accesses")
        ordering = ["-starts_at", "-pk"]
        indexes = [
            # "Does this user hold an active grant for this patient?" (every patient access).
            models.Index(fields=["organization", "user", "patient", "ends_at"], name="breakglass_active"),
            # The review queue: unreviewed first, newest first.
            models.Index(fields=["organization", "reviewed_at", "starts_at"], name="breakglass_review"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="breakglass_ends_after_start"),
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length("reason"), REASON_MIN_LENGTH), name="breakglass_reason_min_length"
            ),
            models.CheckConstraint(
                condition=Q(review_outcome="") | Q(review_outcome__in=[o.value for o in ReviewOutcome]),
                name="breakglass_outcome_valid",
            ),
            # Unreviewed: no review fields at all. Reviewed: who, when, the outcome and a note.
            models.CheckConstraint(
                condition=(
                    Q(reviewed_at__isnull=True, reviewed_by__isnull=True, review_outcome="", review_note="")
                    | (
                        Q(reviewed_at__isnull=False, reviewed_by__isnull=False)
                        & ~Q(review_outcome="")
                        & ~Q(review_note="")
                    )
                ),
                name="breakglass_review_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"break-glass {self.pk}: user {self.user_id} -> patient {self.patient_id}"

    @property
    def is_reviewed(self) -> bool:
        return self.reviewed_at is not None
