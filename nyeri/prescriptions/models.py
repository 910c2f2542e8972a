"""Prescriptions (resep): a draft, signed once, cancelled with a reason, never edited after signing.

- A **draft** is written by a prescriber and may be changed (its items replaced) until it
  is signed.
- **Signing** freezes it: the requirements engine's decision, the prescriber's licence
  numbers (STR, SIP), the MME of its opioids and of the patient's other active
  prescriptions, the warnings shown and the justification given are kept on the row. On
  PostgreSQL a trigger refuses any later change except the cancellation (migration 0002).
- A signed prescription is **cancelled** with a reason (the row stays) and, if need be,
  **reissued**: a new prescription that points to the cancelled one (``reissue_of``).

Items keep a copy of the catalogue entry they were written from (names, strength, class,
MME factor and its table), so a later catalogue never changes what was prescribed.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MAX_DAYS = 90
MAX_DOSES_PER_DAY = 24
MAX_DOSE = 100


def _in(field: str, choices: type[models.TextChoices]) -> Q:
    return Q(**{f"{field}__in": [c.value for c in choices]})


class PrescriptionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SIGNED = "signed", _("Signed")
    CANCELLED = "cancelled", _("Cancelled")


class Prescription(models.Model):
    """One prescription of a patient, written at a facility (see the module docstring)."""

    Status = PrescriptionStatus

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("clinical.Patient", on_delete=models.PROTECT, related_name="prescriptions")
    # Where it is written: the requirements engine decides at this facility.
    facility = models.ForeignKey(
        "tenancy.Facility", on_delete=models.PROTECT, related_name="+", verbose_name=_("facility")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=PrescriptionStatus.choices, default=PrescriptionStatus.DRAFT
    )
    # The organization's jurisdiction and the catalogue version the items were written from.
    jurisdiction = models.CharField(max_length=8)
    catalogue_version = models.CharField(max_length=20)
    # The client's key for this submission: a second submission with the same key returns
    # this prescription instead of creating another one.
    idempotency_key = models.CharField(max_length=64)
    contains_controlled = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    reissue_of = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reissued_as"
    )

    # --- The signature (set once, when signed) ---
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    prescriber = models.ForeignKey(
        "workforce.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="prescriptions"
    )
    prescriber_name = models.CharField(_("prescriber"), max_length=200, blank=True)
    # The numbers of the credentials the engine relied on: STR, SIP, controlled-drug authorisation.
    prescriber_registration = models.CharField(_("registration (STR)"), max_length=100, blank=True)
    prescriber_permit = models.CharField(_("practice permit (SIP)"), max_length=100, blank=True)
    prescriber_authorisation = models.CharField(_("controlled-substance authorisation"), max_length=100, blank=True)
    # The engine's decision relied on, as in the audit trail.
    decision = models.TextField(blank=True)
    # How the fresh second factor was given for a controlled prescription (empty otherwise).
    second_factor = models.CharField(max_length=40, blank=True)
    # The statement shown at signing, in the language it was shown in.
    legal_statement = models.TextField(blank=True)
    mme_table = models.CharField(max_length=20, blank=True)
    # MME/day of this prescription's opioids, and with the patient's other active prescriptions.
    mme_per_day = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    mme_total_per_day = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    # Codes of the warnings shown at signing (see nyeri/prescriptions/safety.py).
    warnings = models.JSONField(default=list, blank=True)
    justification = models.TextField(_("justification"), blank=True)

    # --- Cancellation ---
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)

    class Meta:
        verbose_name = _("prescription")
        verbose_name_plural = _("prescriptions")
        indexes = [
            models.Index(fields=["organization", "patient", "status", "signed_at"], name="prescription_patient"),
        ]
        constraints = [
            models.CheckConstraint(condition=_in("status", PrescriptionStatus), name="prescription_status_valid"),
            models.CheckConstraint(condition=~Q(idempotency_key=""), name="prescription_has_key"),
            # A double submission (same key) makes one prescription: the services rely on it.
            models.UniqueConstraint(fields=["organization", "idempotency_key"], name="prescription_key_once"),
            models.CheckConstraint(
                condition=~Q(status="draft")
                | Q(signed_at__isnull=True, signed_by__isnull=True, cancelled_at__isnull=True),
                name="prescription_draft_unsigned",
            ),
            models.CheckConstraint(
                condition=~Q(status="signed")
                | Q(signed_at__isnull=False, signed_by__isnull=False, cancelled_at__isnull=True),
                name="prescription_signed_has_signature",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled")
                | (Q(cancelled_at__isnull=False, cancelled_by__isnull=False) & ~Q(cancel_reason="")),
                name="prescription_cancel_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"R/{self.pk} ({self.get_status_display()})"

    @property
    def number(self) -> str:
        """The number printed on the prescription."""
        return self.number_of(self.organization_id, self.pk)

    @staticmethod
    def number_of(organization_id: int, pk: int) -> str:
        """The number of the prescription ``pk``, from its plain row (lists read no instances)."""
        return f"R-{organization_id}-{pk:06d}"

    @property
    def is_draft(self) -> bool:
        return self.status == PrescriptionStatus.DRAFT

    @property
    def is_signed(self) -> bool:
        return self.status == PrescriptionStatus.SIGNED


class PrescriptionItem(models.Model):
    """One medication of a prescription: dose, doses per day, days; quantity and MME computed."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    prescription = models.ForeignKey(Prescription, on_delete=models.PROTECT, related_name="items")
    position = models.PositiveSmallIntegerField()
    # The catalogue entry (nyeri/prescriptions/catalogue), and a copy of what the item relies on.
    medication_code = models.CharField(_("medication"), max_length=60)
    label_en = models.CharField(max_length=160)
    label_id = models.CharField(max_length=160)
    generic_en = models.CharField(max_length=120)
    generic_id = models.CharField(max_length=120)
    strength = models.DecimalField(max_digits=10, decimal_places=3)
    strength_unit = models.CharField(max_length=10)
    dose_unit = models.CharField(max_length=12)
    form = models.CharField(max_length=40)
    route = models.CharField(max_length=20)
    atc = models.CharField(max_length=8)
    # The class in the prescription's jurisdiction; empty when not controlled there.
    controlled_class = models.CharField(max_length=24, blank=True)
    opioid = models.BooleanField(default=False)
    benzodiazepine = models.BooleanField(default=False)

    # Units per dose (2 = two tablets), doses a day (0.333 = a patch every 72 hours), days.
    dose = models.DecimalField(_("dose"), max_digits=8, decimal_places=3)
    doses_per_day = models.DecimalField(_("doses per day"), max_digits=6, decimal_places=3)
    as_needed = models.BooleanField(_("as needed"), default=False)
    days = models.PositiveSmallIntegerField(_("days"))
    quantity = models.PositiveIntegerField(_("quantity"))
    instructions = models.CharField(_("instructions"), max_length=300, blank=True)

    # For opioids with a factor: the factor, its basis and table, and the MME/day it gives.
    mme_factor = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    mme_basis = models.CharField(max_length=16, blank=True)
    mme_table = models.CharField(max_length=20, blank=True)
    mme_per_day = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["prescription", "position"], name="prescription_item_position"),
            models.CheckConstraint(
                condition=Q(dose__gt=0) & Q(dose__lte=MAX_DOSE), name="prescription_item_dose_positive"
            ),
            models.CheckConstraint(
                condition=Q(doses_per_day__gt=0) & Q(doses_per_day__lte=MAX_DOSES_PER_DAY),
                name="prescription_item_frequency_valid",
            ),
            models.CheckConstraint(condition=Q(days__gte=1) & Q(days__lte=MAX_DAYS), name="prescription_item_days"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="prescription_item_quantity_positive"),
            models.CheckConstraint(condition=~Q(opioid=True, benzodiazepine=True), name="prescription_item_one_class"),
            models.CheckConstraint(
                condition=Q(mme_per_day__isnull=True) | Q(opioid=True, mme_factor__isnull=False),
                name="prescription_item_mme_of_opioid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.medication_code} x{self.quantity}"

    def label(self, language: str) -> str:
        return self.label_id if language == "id" else self.label_en

    @property
    def is_controlled(self) -> bool:
        return bool(self.controlled_class)

    @property
    def daily_amount(self) -> Decimal:
        return self.dose * self.doses_per_day
