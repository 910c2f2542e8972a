"""Diagnoses: a patient's problems, coded in WHO ICD-10 with an ICD-11 chronic pain category.

A diagnosis is a chain of *versions*, and a version is never changed once written:

- the first version (``record_status=original``) is the recording;
- a correction or a change of clinical status is a new version (``amendment``) that points
  to the version it replaces (``amends``) and says why (``amendment_reason``);
- a recording made by mistake gets a last version ``entered_in_error`` (with the reason):
  it is kept, and hidden from the problem list.

The *current* version of a diagnosis is the one no later version amends (``amends`` is
one-to-one, so a version has at most one successor and the history is a line). All the
versions of one diagnosis share its ``lineage``. Rows are only inserted: on PostgreSQL a
trigger refuses UPDATE and DELETE (migration 0002).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from nyeri.clinical.validators import validate_not_in_future
from nyeri.lib.bodysites import Side, body_sites, site_label


def _in(field: str, choices: type[models.TextChoices], *, blank: bool = False) -> Q:
    q = Q(**{f"{field}__in": [c.value for c in choices]})
    return q | Q(**{field: ""}) if blank else q


class ClinicalStatus(models.TextChoices):
    # FHIR Condition: active -> clinicalStatus active; resolved -> clinicalStatus resolved;
    # ruled_out -> verificationStatus refuted (see docs/diagnoses.md).
    ACTIVE = "active", _("Active")
    RESOLVED = "resolved", _("Resolved")
    RULED_OUT = "ruled_out", _("Ruled out")


class RecordStatus(models.TextChoices):
    """What this version is as a record (not whether it is still the current one)."""

    ORIGINAL = "original", _("Original recording")
    AMENDMENT = "amendment", _("Amendment")
    ENTERED_IN_ERROR = "entered_in_error", _("Entered in error")


class Icd11PainCategory(models.TextChoices):
    """ICD-11 MG30 chronic pain categories.

    The labels in both languages come from ``data/icd11_mg30.toml`` (``catalogue.icd11_title``),
    like the Indonesian ICD-10 titles: a catalogue is data, not interface text.
    """

    PRIMARY = "MG30.0", "MG30.0"
    CANCER = "MG30.1", "MG30.1"
    POSTSURGICAL_POSTTRAUMATIC = "MG30.2", "MG30.2"
    SECONDARY_MUSCULOSKELETAL = "MG30.3", "MG30.3"
    SECONDARY_VISCERAL = "MG30.4", "MG30.4"
    NEUROPATHIC = "MG30.5", "MG30.5"
    SECONDARY_HEADACHE_OROFACIAL = "MG30.6", "MG30.6"
    OTHER_SPECIFIED = "MG30.Y", "MG30.Y"
    UNSPECIFIED = "MG30.Z", "MG30.Z"


# The sides of the shared body-site vocabulary (nyeri/lib/bodysites.py).
Laterality = Side


def _site_valid() -> Q:
    # Every code of the vocabulary, retired ones included: a stored version never changes.
    # A site added to the vocabulary changes this constraint, so makemigrations asks for a migration.
    return Q(body_site__in=list(body_sites().codes)) | Q(body_site="")


class Diagnosis(models.Model):
    """One version of a diagnosis of a patient (see the module docstring)."""

    ClinicalStatus = ClinicalStatus
    RecordStatus = RecordStatus

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("clinical.Patient", on_delete=models.PROTECT, related_name="diagnoses")
    # Where the diagnosis was made: the requirements engine decides at this facility.
    facility = models.ForeignKey(
        "tenancy.Facility", on_delete=models.PROTECT, related_name="+", verbose_name=_("facility")
    )
    # The visit it was made in. A plain id for now: the Encounter model is being built in the
    # clinical app; this becomes a foreign key (same column) once it exists.
    encounter_id = models.BigIntegerField(_("visit"), null=True, blank=True, db_index=True)
    lineage = models.UUIDField(default=uuid.uuid4, editable=False)
    version = models.PositiveIntegerField(default=1)

    icd10_code = models.CharField(_("ICD-10 code"), max_length=8)
    # The WHO English title at the time of recording (the catalogue may change later).
    icd10_title = models.CharField(_("ICD-10 title"), max_length=255)
    icd10_edition = models.CharField(max_length=40)
    icd11_category = models.CharField(
        _("ICD-11 chronic pain category"), max_length=8, choices=Icd11PainCategory.choices, blank=True
    )
    suspected_cause = models.TextField(_("suspected cause"), blank=True)
    # A code of the shared body-site vocabulary (nyeri/lib/bodysites.toml); see body_site_label.
    body_site = models.CharField(_("body site"), max_length=20, blank=True)
    laterality = models.CharField(_("side"), max_length=10, choices=Laterality.choices, blank=True)
    clinical_status = models.CharField(
        _("clinical status"), max_length=12, choices=ClinicalStatus.choices, default=ClinicalStatus.ACTIVE
    )
    onset_date = models.DateField(_("onset"), null=True, blank=True, validators=[validate_not_in_future])

    record_status = models.CharField(
        _("record status"), max_length=20, choices=RecordStatus.choices, default=RecordStatus.ORIGINAL
    )
    amends = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by", editable=False
    )
    amendment_reason = models.TextField(_("reason"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("diagnosis")
        verbose_name_plural = _("diagnoses")
        indexes = [models.Index(fields=["organization", "patient"], name="diagnosis_org_patient")]
        constraints = [
            models.UniqueConstraint(fields=["lineage", "version"], name="diagnosis_version_unique"),
            models.CheckConstraint(condition=~Q(icd10_code=""), name="diagnosis_icd10_present"),
            models.CheckConstraint(condition=_in("clinical_status", ClinicalStatus), name="diagnosis_status_valid"),
            models.CheckConstraint(condition=_in("record_status", RecordStatus), name="diagnosis_record_valid"),
            models.CheckConstraint(
                condition=_in("icd11_category", Icd11PainCategory, blank=True), name="diagnosis_icd11_valid"
            ),
            models.CheckConstraint(condition=_site_valid(), name="diagnosis_site_valid"),
            models.CheckConstraint(condition=_in("laterality", Laterality, blank=True), name="diagnosis_side_valid"),
            # A side is the side of a body site.
            models.CheckConstraint(condition=Q(laterality="") | ~Q(body_site=""), name="diagnosis_side_has_site"),
            # The first version amends nothing and needs no reason; every later one names
            # the version it replaces and why.
            models.CheckConstraint(
                condition=(
                    Q(record_status=RecordStatus.ORIGINAL, amends__isnull=True, amendment_reason="", version=1)
                    | (
                        ~Q(record_status=RecordStatus.ORIGINAL)
                        & Q(amends__isnull=False, version__gt=1)
                        & ~Q(amendment_reason="")
                    )
                ),
                name="diagnosis_amendment_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.icd10_code} {self.icd10_title}"

    def body_site_label(self) -> str:
        """The body site's name in the active language ("" when none)."""
        return site_label(self.body_site) if self.body_site else ""

    @property
    def is_entered_in_error(self) -> bool:
        return self.record_status == RecordStatus.ENTERED_IN_ERROR
