from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from nyeri.clinical.validators import validate_nik, validate_not_in_future


class AdministrativeSex(models.TextChoices):
    # FHIR AdministrativeGender codes.
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class Patient(models.Model):
    """A person whose pain the organization observes and treats. Never hard-deleted."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="patients")
    # The medical record number (nomor rekam medis), unique within the organization.
    mrn = models.CharField(_("record number"), max_length=32)
    nik = models.CharField(_("NIK"), max_length=16, blank=True, validators=[validate_nik])
    full_name = models.CharField(_("full name"), max_length=200)
    birth_date = models.DateField(_("birth date"), validators=[validate_not_in_future])
    sex = models.CharField(_("sex"), max_length=8, choices=AdministrativeSex.choices)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    regency = models.CharField(_("regency or city"), max_length=100, blank=True)
    registered_at = models.ForeignKey(
        "tenancy.Facility", on_delete=models.PROTECT, related_name="+", verbose_name=_("registered at")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        constraints = [
            models.UniqueConstraint(fields=["organization", "mrn"], name="patient_mrn_unique_per_org"),
            models.UniqueConstraint(
                fields=["organization", "nik"], condition=~Q(nik=""), name="patient_nik_unique_per_org"
            ),
            models.CheckConstraint(condition=Q(sex__in=[s.value for s in AdministrativeSex]), name="patient_sex_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.mrn})"
