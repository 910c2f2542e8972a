"""Imaging orders, their in-house results, and referrals (of an order or of a waiting procedure).

- ``ImagingOrder``: a clinician's order of an examination (modality, body region, clinical
  question) for a patient at a facility. Only the services move its status
  (``kinds.ORDER_TRANSITIONS``), each move audited.
- ``ImagingResult``: the in-house result, written once by the operator whom the requirements
  engine allowed ``operate_equipment:<kind>`` at that moment (the decision is stored).
- ``Referral``: an imaging order or a procedure record sent to another facility of the
  network or to an outside provider; sent -> accepted | declined (with the reason) -> done
  (with the returned report and, optionally, a checked PDF/PNG/JPEG file in private storage).
- ``ResultRevision``: a correction of a result, never an edit. Version 1 of a result is the
  ``ImagingResult`` row (in-house) or the done referral's report (returned); each later
  version is a revision row: an *amendment* (the corrected text, with who, when and why) or
  *entered in error* (why; the result is kept, marked, and no longer the current result,
  which is final). Result and revision rows are written once; on PostgreSQL triggers refuse
  UPDATE and DELETE of them, and any change of a done referral (migration 0002).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from nyeri.imaging.kinds import Modality, OrderStatus, ReferralStatus, RevisionKind


def _in(field: str, choices: type[models.TextChoices]) -> Q:
    return Q(**{f"{field}__in": [c.value for c in choices]})


class ImagingOrder(models.Model):
    Status = OrderStatus

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "clinical.Patient", on_delete=models.PROTECT, related_name="imaging_orders", verbose_name=_("patient")
    )
    facility = models.ForeignKey(
        "tenancy.Facility", on_delete=models.PROTECT, related_name="+", verbose_name=_("facility")
    )
    modality = models.CharField(_("modality"), max_length=16, choices=Modality.choices)
    body_region = models.CharField(_("body region"), max_length=40)
    clinical_question = models.TextField(_("clinical question"))
    status = models.CharField(_("status"), max_length=12, choices=OrderStatus.choices, default=OrderStatus.ORDERED)
    ordered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ordered_at = models.DateTimeField(_("ordered at"))
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)

    class Meta:
        verbose_name = _("imaging order")
        verbose_name_plural = _("imaging orders")
        indexes = [
            models.Index(fields=["organization", "patient", "ordered_at"], name="imaging_order_patient"),
            models.Index(fields=["organization", "facility", "status"], name="imaging_order_worklist"),
        ]
        constraints = [
            models.CheckConstraint(condition=_in("status", OrderStatus), name="imaging_order_status_valid"),
            models.CheckConstraint(condition=_in("modality", Modality), name="imaging_order_modality_valid"),
            models.CheckConstraint(condition=~Q(body_region=""), name="imaging_order_region_present"),
            models.CheckConstraint(condition=~Q(clinical_question=""), name="imaging_order_question_present"),
            # Cancelled <=> who, when and why.
            models.CheckConstraint(
                condition=(
                    Q(status=OrderStatus.CANCELLED, cancelled_at__isnull=False, cancelled_by__isnull=False)
                    & ~Q(cancel_reason="")
                )
                | (
                    ~Q(status=OrderStatus.CANCELLED)
                    & Q(cancelled_at__isnull=True, cancelled_by__isnull=True, cancel_reason="")
                ),
                name="imaging_order_cancelled_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_modality_display()} {self.body_region}"


class ImagingResult(models.Model):
    """The in-house result of an order (written once)."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    order = models.OneToOneField(ImagingOrder, on_delete=models.PROTECT, related_name="result")
    operator = models.ForeignKey("workforce.Person", on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    performed_at = models.DateTimeField(_("performed at"))
    recorded_at = models.DateTimeField()
    findings = models.TextField(_("findings"))
    impression = models.TextField(_("impression"))
    # The engine's decision relied on, for the record.
    basis = models.TextField()

    class Meta:
        verbose_name = _("imaging result")
        constraints = [
            models.CheckConstraint(condition=~Q(findings=""), name="imaging_result_findings_present"),
            models.CheckConstraint(condition=~Q(impression=""), name="imaging_result_impression_present"),
            models.CheckConstraint(condition=Q(performed_at__lte=F("recorded_at")), name="imaging_result_not_future"),
        ]

    def __str__(self) -> str:
        return f"result of imaging order {self.order_id}"


class Referral(models.Model):
    Status = ReferralStatus

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("clinical.Patient", on_delete=models.PROTECT, related_name="referrals")
    # What is referred: exactly one of an imaging order or a procedure record.
    imaging_order = models.ForeignKey(
        ImagingOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    procedure = models.ForeignKey(
        "procedures.ProcedureRecord", on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    # The equipment kind needed (the facilities app's), fixed when sent.
    equipment_kind = models.CharField(max_length=16)
    from_facility = models.ForeignKey(
        "tenancy.Facility", on_delete=models.PROTECT, related_name="+", verbose_name=_("from")
    )
    # Where to: exactly one of a facility of the network or an outside provider.
    to_facility = models.ForeignKey(
        "tenancy.Facility", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("to")
    )
    outside_name = models.CharField(_("outside provider"), max_length=200, blank=True)
    outside_address = models.TextField(_("address"), blank=True)
    note = models.TextField(_("note"), blank=True)

    status = models.CharField(_("status"), max_length=12, choices=ReferralStatus.choices, default=ReferralStatus.SENT)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField()
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    report = models.TextField(_("report"), blank=True)
    # The returned file (optional): private storage, content-checked type.
    file_storage_name = models.CharField(max_length=200, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    file_content_type = models.CharField(max_length=40, blank=True)
    file_size = models.PositiveIntegerField(null=True, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [
            models.Index(fields=["organization", "to_facility", "status"], name="referral_incoming"),
            models.Index(fields=["organization", "from_facility", "status"], name="referral_outgoing"),
        ]
        constraints = [
            models.CheckConstraint(condition=_in("status", ReferralStatus), name="referral_status_valid"),
            models.CheckConstraint(
                condition=Q(imaging_order__isnull=False, procedure__isnull=True)
                | Q(imaging_order__isnull=True, procedure__isnull=False),
                name="referral_exactly_one_subject",
            ),
            models.CheckConstraint(
                condition=Q(to_facility__isnull=False, outside_name="", outside_address="")
                | (Q(to_facility__isnull=True) & ~Q(outside_name="")),
                name="referral_exactly_one_target",
            ),
            models.CheckConstraint(
                condition=Q(to_facility__isnull=True) | ~Q(to_facility=F("from_facility")),
                name="referral_not_to_itself",
            ),
            models.CheckConstraint(
                condition=Q(
                    status=ReferralStatus.SENT,
                    responded_at__isnull=True,
                    responded_by__isnull=True,
                    decline_reason="",
                    completed_at__isnull=True,
                )
                | (
                    Q(status=ReferralStatus.ACCEPTED, responded_at__isnull=False, responded_by__isnull=False)
                    & Q(decline_reason="", completed_at__isnull=True)
                )
                | (
                    Q(status=ReferralStatus.DECLINED, responded_at__isnull=False, responded_by__isnull=False)
                    & ~Q(decline_reason="")
                    & Q(completed_at__isnull=True)
                )
                | (
                    Q(status=ReferralStatus.DONE, responded_at__isnull=False, decline_reason="")
                    & Q(completed_at__isnull=False, completed_by__isnull=False)
                    & ~Q(report="")
                ),
                name="referral_status_facts",
            ),
            models.CheckConstraint(
                condition=Q(status=ReferralStatus.DONE) | Q(report="", file_storage_name=""),
                name="referral_result_only_when_done",
            ),
            models.CheckConstraint(
                condition=Q(file_storage_name="", file_content_type="", file_size__isnull=True)
                | (
                    ~Q(file_storage_name="")
                    & Q(file_content_type__in=["application/pdf", "image/png", "image/jpeg"], file_size__gt=0)
                ),
                name="referral_file_complete",
            ),
            # At most one open referral of an order or a procedure at a time.
            models.UniqueConstraint(
                fields=["imaging_order"],
                condition=Q(status__in=["sent", "accepted"], imaging_order__isnull=False),
                name="referral_one_open_per_order",
            ),
            models.UniqueConstraint(
                fields=["procedure"],
                condition=Q(status__in=["sent", "accepted"], procedure__isnull=False),
                name="referral_one_open_per_procedure",
            ),
        ]

    def __str__(self) -> str:
        return f"referral {self.pk} ({self.status})"

    @property
    def outside(self) -> bool:
        return self.to_facility_id is None

    @property
    def destination(self) -> str:
        return self.outside_name if self.to_facility is None else self.to_facility.name


class ResultRevision(models.Model):
    """A later version of a result: an amendment or *entered in error* (written once).

    Of exactly one of an in-house result or a done referral's returned result. In-house
    amendments carry the findings and the impression, referral amendments the report (the
    returned file, if any, stays the one returned).
    """

    Kind = RevisionKind

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("clinical.Patient", on_delete=models.PROTECT, related_name="+")
    result = models.ForeignKey(ImagingResult, on_delete=models.PROTECT, null=True, blank=True, related_name="revisions")
    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="result_revisions"
    )
    version = models.PositiveIntegerField()
    kind = models.CharField(_("record status"), max_length=20, choices=RevisionKind.choices)
    reason = models.TextField(_("reason"))
    findings = models.TextField(_("findings"), blank=True)
    impression = models.TextField(_("impression"), blank=True)
    report = models.TextField(_("report"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("result revision")
        verbose_name_plural = _("result revisions")
        constraints = [
            models.CheckConstraint(condition=_in("kind", RevisionKind), name="result_revision_kind_valid"),
            models.CheckConstraint(
                condition=Q(result__isnull=False, referral__isnull=True)
                | Q(result__isnull=True, referral__isnull=False),
                name="result_revision_exactly_one_subject",
            ),
            # Version 1 is the result itself.
            models.CheckConstraint(condition=Q(version__gte=2), name="result_revision_after_the_result"),
            models.CheckConstraint(condition=~Q(reason=""), name="result_revision_has_reason"),
            # An amendment says what the result is now; entered in error says nothing more.
            models.CheckConstraint(
                condition=(
                    Q(kind=RevisionKind.AMENDMENT, result__isnull=False, report="")
                    & ~Q(findings="")
                    & ~Q(impression="")
                )
                | (Q(kind=RevisionKind.AMENDMENT, referral__isnull=False, findings="", impression="") & ~Q(report=""))
                | Q(kind=RevisionKind.ENTERED_IN_ERROR, findings="", impression="", report=""),
                name="result_revision_content",
            ),
            models.UniqueConstraint(
                fields=["result", "version"], condition=Q(result__isnull=False), name="result_revision_version_unique"
            ),
            models.UniqueConstraint(
                fields=["referral", "version"],
                condition=Q(referral__isnull=False),
                name="referral_revision_version_unique",
            ),
            # Entered in error is final: one per result.
            models.UniqueConstraint(
                fields=["result"],
                condition=Q(kind=RevisionKind.ENTERED_IN_ERROR, result__isnull=False),
                name="result_entered_in_error_once",
            ),
            models.UniqueConstraint(
                fields=["referral"],
                condition=Q(kind=RevisionKind.ENTERED_IN_ERROR, referral__isnull=False),
                name="referral_result_entered_in_error_once",
            ),
        ]

    def __str__(self) -> str:
        subject = f"imaging result {self.result_id}" if self.result_id else f"referral {self.referral_id}"
        return f"{self.kind} v{self.version} of {subject}"
