"""The controlled-drug register: per facility and controlled product, an append-only ledger.

- ``StockBalance``: one row per (facility, product); its ``quantity`` is the stock now. It is
  changed only by the services, in the transaction that adds a movement, under
  ``SELECT ... FOR UPDATE``; a CheckConstraint keeps it at zero or more, so stock never goes
  negative, also under concurrent dispensing.
- ``Movement``: receipts, dispensings (linked to a signed prescription item), returns (from a
  patient, to a supplier), destructions (two witnesses), adjustments (a counted stock-take) and
  reversals (the correction of a movement). Rows are never changed or deleted: on PostgreSQL a
  trigger refuses UPDATE and DELETE (migration 0002).

A product is a catalogue code (nyeri/prescriptions/catalogue), which names the strength; the
balance keeps a copy of its labels, strength and unit.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class MovementKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    DISPENSING = "dispensing", _("Dispensing")
    RETURN_FROM_PATIENT = "return_from_patient", _("Return from a patient")
    RETURN_TO_SUPPLIER = "return_to_supplier", _("Return to a supplier")
    DESTRUCTION = "destruction", _("Destruction")
    ADJUSTMENT = "adjustment", _("Stock-take adjustment")
    REVERSAL = "reversal", _("Reversal")


INCOMING = (MovementKind.RECEIPT, MovementKind.RETURN_FROM_PATIENT)
OUTGOING = (MovementKind.DISPENSING, MovementKind.RETURN_TO_SUPPLIER, MovementKind.DESTRUCTION)


class StockBalance(models.Model):
    """The stock of one controlled product at one facility."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    facility = models.ForeignKey("tenancy.Facility", on_delete=models.PROTECT, related_name="+")
    medication_code = models.CharField(_("product"), max_length=60)
    label_en = models.CharField(max_length=160)
    label_id = models.CharField(max_length=160)
    strength = models.DecimalField(max_digits=10, decimal_places=3)
    strength_unit = models.CharField(max_length=10)
    dose_unit = models.CharField(max_length=12)
    controlled_class = models.CharField(max_length=24)
    quantity = models.IntegerField(_("stock"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("stock balance")
        constraints = [
            models.UniqueConstraint(fields=["facility", "medication_code"], name="register_balance_one_per_product"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="register_balance_not_negative"),
            models.CheckConstraint(condition=~Q(controlled_class=""), name="register_balance_controlled"),
        ]

    def __str__(self) -> str:
        return f"{self.medication_code} @ {self.facility_id}: {self.quantity}"

    def label(self, language: str) -> str:
        return self.label_id if language == "id" else self.label_en


def _kind(*kinds: MovementKind) -> Q:
    return Q(kind__in=[k.value for k in kinds])


class Movement(models.Model):
    """One line of the register (see the module docstring). Never changed: reverse it instead."""

    Kind = MovementKind

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    facility = models.ForeignKey("tenancy.Facility", on_delete=models.PROTECT, related_name="+")
    balance = models.ForeignKey(StockBalance, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(_("kind"), max_length=24, choices=MovementKind.choices)
    # Units (tablets, patches, mL) moved, always positive; ``delta`` is the signed effect on the stock.
    quantity = models.PositiveIntegerField(_("quantity"))
    delta = models.IntegerField()
    # The stock of the product at the facility just after this movement.
    balance_after = models.IntegerField()
    occurred_at = models.DateTimeField(_("date"))
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    # Receipt and return to a supplier.
    supplier = models.CharField(_("supplier"), max_length=200, blank=True)
    document_number = models.CharField(_("invoice number"), max_length=100, blank=True)
    batch_number = models.CharField(_("batch number"), max_length=100, blank=True)
    expiry_date = models.DateField(_("expiry date"), null=True, blank=True)
    # Dispensing (and, optionally, a return from the patient).
    prescription = models.ForeignKey(
        "prescriptions.Prescription", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    prescription_item = models.ForeignKey(
        "prescriptions.PrescriptionItem", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    patient = models.ForeignKey("clinical.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # Destruction.
    witness_1 = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    witness_2 = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Stock-take: what was counted.
    counted_quantity = models.PositiveIntegerField(_("counted quantity"), null=True, blank=True)
    # Reversal: the movement it corrects (once).
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by")
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("register movement")
        verbose_name_plural = _("register movements")
        ordering = ["occurred_at", "pk"]
        indexes = [
            models.Index(fields=["facility", "occurred_at"], name="register_movement_when"),
            models.Index(fields=["balance", "occurred_at"], name="register_movement_product"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in MovementKind]), name="register_movement_kind_valid"
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="register_movement_quantity_positive"),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="register_movement_stock_not_negative"),
            models.CheckConstraint(
                condition=(_kind(*INCOMING) & Q(delta=F("quantity")))
                | (_kind(*OUTGOING) & Q(delta=-F("quantity")))
                | (
                    _kind(MovementKind.ADJUSTMENT, MovementKind.REVERSAL)
                    & (Q(delta=F("quantity")) | Q(delta=-F("quantity")))
                ),
                name="register_movement_delta_matches_kind",
            ),
            models.CheckConstraint(
                condition=~Q(kind=MovementKind.RECEIPT)
                | (~Q(supplier="") & ~Q(document_number="") & ~Q(batch_number="") & Q(expiry_date__isnull=False)),
                name="register_receipt_documented",
            ),
            models.CheckConstraint(
                condition=~Q(kind=MovementKind.RETURN_TO_SUPPLIER) | ~Q(supplier=""),
                name="register_return_to_supplier_named",
            ),
            models.CheckConstraint(
                condition=~Q(kind=MovementKind.DISPENSING)
                | Q(prescription_item__isnull=False, prescription__isnull=False, patient__isnull=False),
                name="register_dispensing_prescribed",
            ),
            models.CheckConstraint(
                condition=~Q(kind=MovementKind.DESTRUCTION)
                | (
                    Q(witness_1__isnull=False, witness_2__isnull=False)
                    & ~Q(witness_1=F("witness_2"))
                    & ~Q(witness_1=F("recorded_by"))
                    & ~Q(witness_2=F("recorded_by"))
                    & ~Q(reason="")
                ),
                name="register_destruction_witnessed",
            ),
            models.CheckConstraint(
                condition=~Q(kind=MovementKind.ADJUSTMENT) | (Q(counted_quantity__isnull=False) & ~Q(reason="")),
                name="register_adjustment_counted",
            ),
            models.CheckConstraint(
                condition=~Q(kind=MovementKind.ADJUSTMENT) | Q(counted_quantity=F("balance_after")),
                name="register_adjustment_matches_count",
            ),
            models.CheckConstraint(
                condition=Q(kind=MovementKind.REVERSAL, reverses__isnull=False) & ~Q(reason="")
                | (~Q(kind=MovementKind.REVERSAL) & Q(reverses__isnull=True)),
                name="register_reversal_of_one_movement",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.delta:+d} {self.balance.medication_code}"
