"""A patient's requests about their personal data: a correction (answered by an amendment or
refused with a reason) and an erasure of the medical record (refused with the legal basis
while the record must be kept). Rows are never deleted: the request and its answer are the
clinic's proof that the right was honoured."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RequestKind(models.TextChoices):
    CORRECTION = "correction", _("Correction")
    ERASURE = "erasure", _("Erasure")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    REFUSED = "refused", _("Refused")


class PatientDataRequest(models.Model):
    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("clinical.Patient", on_delete=models.PROTECT, related_name="data_requests")
    kind = models.CharField(_("kind"), max_length=16, choices=RequestKind.choices)
    status = models.CharField(_("status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.OPEN)
    # Who asked: the patient, or who asked on their behalf (a parent, a guardian...).
    requested_by = models.CharField(_("asked by"), max_length=200)
    received_at = models.DateTimeField(_("received at"))
    # A correction: the demographic field concerned (empty: another part of the record),
    # what is wrong and what it should be.
    field = models.CharField(_("field"), max_length=40, blank=True)
    what_is_wrong = models.TextField(_("what is wrong"), max_length=2000)
    should_be = models.TextField(_("what it should be"), blank=True, max_length=2000)
    # When the clinic must answer by (from the law's deadline; null where none applies).
    due_at = models.DateTimeField(_("answer due by"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answer = models.TextField(_("answer"), blank=True, max_length=4000)
    # The legal basis shown with a refusal, in the language the person asked for.
    legal_basis = models.TextField(_("legal basis"), blank=True)
    # An accepted correction of the demographics: the edit that amended the record.
    edit = models.ForeignKey("clinical.PatientEdit", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("personal data request")
        verbose_name_plural = _("personal data requests")
        indexes = [models.Index(fields=["organization", "status", "due_at"], name="privacy_request_open")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=[k.value for k in RequestKind]), name="privacy_request_kind"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in RequestStatus]), name="privacy_request_status"
            ),
            # Open: no answer yet; answered: when, by whom and (refused) why.
            models.CheckConstraint(
                condition=Q(status=RequestStatus.OPEN, answered_at__isnull=True, answered_by__isnull=True)
                | (~Q(status=RequestStatus.OPEN) & Q(answered_at__isnull=False, answered_by__isnull=False)),
                name="privacy_request_answered",
            ),
            models.CheckConstraint(
                condition=~Q(status=RequestStatus.REFUSED) | ~Q(answer=""), name="privacy_refusal_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(kind=RequestKind.CORRECTION) | Q(field="", edit__isnull=True),
                name="privacy_erasure_has_no_edit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} ({self.status})"
