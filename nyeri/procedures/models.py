"""Procedure records: an order's life (ordered, scheduled, performed, cancelled, or performed
elsewhere on referral) and what was done.

- ``ProcedureRecord`` is the order of a procedure of the catalogue for a patient at a
  facility (optionally in an encounter): what was ordered (procedure, body site, side,
  guidance, anesthesia) and where it is in its life. Only the services move it from one
  status to the next (``kinds.TRANSITIONS``), each move audited; what was ordered never
  changes. On PostgreSQL a trigger refuses any other change and every delete (migrations
  0002, 0003 and 0004; *performed elsewhere* only with a referral of the record that is done;
  *entered in error* only from *performed*, with who marked it, when and why).
- ``ProcedurePerformance`` is what was done, written once when the procedure is
  performed: who performed it (and the anesthesiologist and the monitoring nurse at
  sedation or general anesthesia, and under fluoroscopy the radiographer or x-ray assistant who operated the
  C-arm), where on the body, with which guidance and anesthesia, the pain before and
  after, the complications, and the decisions of the requirements engine relied on. A
  correction is a new version that ``amends`` the previous one and says why; the earlier
  version is kept, with who recorded it and when. Rows are only inserted (on PostgreSQL a
  trigger refuses UPDATE and DELETE).
- ``ProcedureComplication``: one row per complication kind of a version (written once).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from nyeri.clinical.models import Laterality
from nyeri.clinical.outcomes.responders import reduction
from nyeri.procedures.kinds import (
    AnesthesiaLevel,
    ComplicationKind,
    Guidance,
    PerformanceKind,
    ProcedureStatus,
)

RATING_MIN = 0
RATING_MAX = 10


def _in(field: str, choices: type[models.TextChoices], *, blank: bool = False) -> Q:
    q = Q(**{f"{field}__in": [c.value for c in choices]})
    return q | Q(**{field: ""}) if blank else q


def _rating(field: str) -> Q:
    return Q(**{f"{field}__isnull": True}) | (Q(**{f"{field}__gte": RATING_MIN}) & Q(**{f"{field}__lte": RATING_MAX}))


class ProcedureRecord(models.Model):
    """The order of one procedure for one patient, and where it is in its life."""

    Status = ProcedureStatus

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "clinical.Patient", on_delete=models.PROTECT, related_name="procedures", verbose_name=_("patient")
    )
    # Where the procedure is done: the engine decides the performer's privilege here, and
    # the guidance equipment must be in service here.
    facility = models.ForeignKey(
        "tenancy.Facility", on_delete=models.PROTECT, related_name="+", verbose_name=_("facility")
    )
    encounter = models.ForeignKey(
        "clinical.Encounter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="procedures",
        verbose_name=_("visit"),
    )
    # What was ordered (never changed; what was done is the performance's).
    procedure_code = models.CharField(_("procedure"), max_length=40)
    catalogue_version = models.CharField(_("catalogue version"), max_length=20)
    body_site = models.CharField(_("body site"), max_length=40)
    laterality = models.CharField(_("side"), max_length=12, choices=Laterality.choices, blank=True)
    guidance = models.CharField(_("imaging guidance"), max_length=16, choices=Guidance.choices)
    anesthesia = models.CharField(_("anesthesia"), max_length=12, choices=AnesthesiaLevel.choices)
    indication = models.TextField(_("indication"), blank=True)

    status = models.CharField(
        _("status"), max_length=20, choices=ProcedureStatus.choices, default=ProcedureStatus.ORDERED
    )
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("ordered by")
    )
    ordered_at = models.DateTimeField(_("ordered at"))
    scheduled_for = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    scheduled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    # A performed procedure recorded by mistake (the wrong patient, or it never happened): the
    # record and its versions are kept as they were; these say who marked it, when and why.
    entered_in_error_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    entered_in_error_at = models.DateTimeField(null=True, blank=True)
    entered_in_error_reason = models.TextField(_("reason it was entered in error"), blank=True)

    class Meta:
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")
        indexes = [
            models.Index(fields=["organization", "patient", "ordered_at"], name="procedure_patient"),
            models.Index(fields=["organization", "facility", "status", "scheduled_for"], name="procedure_worklist"),
        ]
        constraints = [
            models.CheckConstraint(condition=_in("status", ProcedureStatus), name="procedure_status_valid"),
            models.CheckConstraint(condition=_in("guidance", Guidance), name="procedure_guidance_valid"),
            models.CheckConstraint(condition=_in("anesthesia", AnesthesiaLevel), name="procedure_anesthesia_valid"),
            models.CheckConstraint(
                condition=_in("laterality", Laterality, blank=True), name="procedure_laterality_valid"
            ),
            models.CheckConstraint(condition=~Q(procedure_code=""), name="procedure_code_present"),
            models.CheckConstraint(condition=~Q(body_site=""), name="procedure_body_site_present"),
            # An order waits: not yet scheduled, not cancelled.
            models.CheckConstraint(
                condition=~Q(status=ProcedureStatus.ORDERED) | Q(scheduled_for__isnull=True),
                name="procedure_ordered_not_scheduled",
            ),
            # A scheduled procedure has its time, and who set it when.
            models.CheckConstraint(
                condition=~Q(status=ProcedureStatus.SCHEDULED)
                | Q(scheduled_for__isnull=False, scheduled_by__isnull=False, scheduled_at__isnull=False),
                name="procedure_scheduled_has_time",
            ),
            # Only a cancelled procedure has a cancellation, and it has all of it.
            models.CheckConstraint(
                condition=(
                    Q(status=ProcedureStatus.CANCELLED)
                    & Q(cancelled_by__isnull=False, cancelled_at__isnull=False)
                    & ~Q(cancel_reason="")
                )
                | (
                    ~Q(status=ProcedureStatus.CANCELLED)
                    & Q(cancelled_by__isnull=True, cancelled_at__isnull=True, cancel_reason="")
                ),
                name="procedure_cancel_has_reason",
            ),
            # Only a record entered in error says so, and it says who, when and why.
            models.CheckConstraint(
                condition=(
                    Q(status=ProcedureStatus.ENTERED_IN_ERROR)
                    & Q(entered_in_error_by__isnull=False, entered_in_error_at__isnull=False)
                    & ~Q(entered_in_error_reason="")
                )
                | (
                    ~Q(status=ProcedureStatus.ENTERED_IN_ERROR)
                    & Q(entered_in_error_by__isnull=True, entered_in_error_at__isnull=True, entered_in_error_reason="")
                ),
                name="procedure_error_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.procedure_code} ({self.status}) of patient {self.patient_id}"


class ProcedurePerformance(models.Model):
    """One version of what was done (see the module docstring). Written once."""

    Kind = PerformanceKind

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    record = models.ForeignKey(ProcedureRecord, on_delete=models.PROTECT, related_name="performances")
    version = models.PositiveIntegerField(default=1)
    kind = models.CharField(_("record status"), max_length=12, choices=PerformanceKind.choices)
    amends = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="amended_by", editable=False
    )
    amendment_reason = models.TextField(_("reason for the amendment"), blank=True)

    procedure_code = models.CharField(_("procedure"), max_length=40)
    catalogue_version = models.CharField(_("catalogue version"), max_length=20)
    performed_at = models.DateTimeField(_("performed at"))
    performer = models.ForeignKey(
        "workforce.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("performer")
    )
    anesthesiologist = models.ForeignKey(
        "workforce.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("anesthesiologist"),
    )
    # Under fluoroscopy: the radiographer or x-ray assistant who operated the C-arm (the engine
    # allowed them ``operate_equipment:c_arm``). Older versions recorded before this field have none.
    imaging_operator = models.ForeignKey(
        "workforce.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("C-arm operator"),
    )
    # At sedation or general anesthesia: the nurse who watched the sedated patient (the engine
    # allowed them ``monitor_sedation``), never the performer (ASA: the one monitoring is not the
    # one performing). Required on every version recorded since migration 0005.
    monitoring_nurse = models.ForeignKey(
        "workforce.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("monitoring nurse"),
    )
    # True only on the versions recorded before the monitoring nurse was recorded (set by
    # migration 0005 on the rows it found); the services never set it, so every new version at
    # sedation or general anesthesia names its nurse (an amendment of an older one asks for it).
    before_monitoring_rule = models.BooleanField(default=False, editable=False)
    anesthesia = models.CharField(_("anesthesia"), max_length=12, choices=AnesthesiaLevel.choices)
    guidance = models.CharField(_("imaging guidance"), max_length=16, choices=Guidance.choices)
    body_site = models.CharField(_("body site"), max_length=40)
    laterality = models.CharField(_("side"), max_length=12, choices=Laterality.choices, blank=True)
    pain_before = models.PositiveSmallIntegerField(_("pain before (0-10)"), null=True, blank=True)
    pain_after = models.PositiveSmallIntegerField(_("pain after (0-10)"), null=True, blank=True)
    complication_note = models.TextField(_("note on complications"), blank=True)
    note = models.TextField(_("note"), blank=True)
    # The decisions relied on (engine decisions for the performer and the anesthesiologist,
    # the equipment in service), as the audit row states them.
    decision = models.TextField(_("decisions relied on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("procedure performance")
        verbose_name_plural = _("procedure performances")
        indexes = [models.Index(fields=["organization", "performed_at"], name="performance_org_time")]
        constraints = [
            models.UniqueConstraint(fields=["record", "version"], name="performance_version_unique"),
            models.CheckConstraint(condition=_in("kind", PerformanceKind), name="performance_kind_valid"),
            models.CheckConstraint(condition=_in("guidance", Guidance), name="performance_guidance_valid"),
            models.CheckConstraint(condition=_in("anesthesia", AnesthesiaLevel), name="performance_anesthesia_valid"),
            models.CheckConstraint(
                condition=_in("laterality", Laterality, blank=True), name="performance_laterality_valid"
            ),
            models.CheckConstraint(condition=~Q(body_site=""), name="performance_body_site_present"),
            models.CheckConstraint(condition=~Q(decision=""), name="performance_decision_present"),
            models.CheckConstraint(condition=_rating("pain_before"), name="performance_pain_before_range"),
            models.CheckConstraint(condition=_rating("pain_after"), name="performance_pain_after_range"),
            # Sedation and general anesthesia are given by an anesthesiologist, who is not the performer.
            models.CheckConstraint(
                condition=~Q(anesthesia__in=[AnesthesiaLevel.SEDATION, AnesthesiaLevel.GENERAL])
                | Q(anesthesiologist__isnull=False),
                name="performance_sedation_has_anesthesiologist",
            ),
            models.CheckConstraint(
                condition=Q(anesthesiologist__isnull=True) | ~Q(anesthesiologist=models.F("performer")),
                name="performance_anesthesiologist_not_performer",
            ),
            # Sedation and general anesthesia are watched by a monitoring nurse (recorded since 0005),
            # who is recorded at those levels only and is not the performer.
            models.CheckConstraint(
                condition=~Q(anesthesia__in=[AnesthesiaLevel.SEDATION, AnesthesiaLevel.GENERAL])
                | Q(monitoring_nurse__isnull=False)
                | Q(before_monitoring_rule=True),
                name="performance_sedation_has_monitoring_nurse",
            ),
            models.CheckConstraint(
                condition=Q(monitoring_nurse__isnull=True)
                | Q(anesthesia__in=[AnesthesiaLevel.SEDATION, AnesthesiaLevel.GENERAL]),
                name="performance_nurse_only_sedation",
            ),
            models.CheckConstraint(
                condition=Q(monitoring_nurse__isnull=True) | ~Q(monitoring_nurse=models.F("performer")),
                name="performance_nurse_not_performer",
            ),
            # A C-arm operator is recorded with fluoroscopy guidance only (the service requires one there).
            models.CheckConstraint(
                condition=Q(imaging_operator__isnull=True) | Q(guidance=Guidance.FLUOROSCOPY),
                name="performance_operator_only_fluoroscopy",
            ),
            # The first version amends nothing; every later one names the version it replaces and why.
            models.CheckConstraint(
                condition=Q(kind=PerformanceKind.ORIGINAL, amends__isnull=True, amendment_reason="", version=1)
                | (Q(kind=PerformanceKind.AMENDMENT, amends__isnull=False, version__gt=1) & ~Q(amendment_reason="")),
                name="performance_amendment_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.procedure_code} v{self.version} of record {self.record_id}"

    @property
    def relief(self) -> Relief | None:
        """The immediate relief (pain before against after), when both were rated."""
        if self.pain_before is None or self.pain_after is None:
            return None
        return Relief(self.pain_before, self.pain_after)


class Relief:
    """Immediate relief: the change of the 0-10 rating and the reduction in per cent.

    The reduction is ``nyeri.clinical.outcomes.responders.reduction`` (the one definition of
    a relative reduction): (before - after) / before, none when the pain before was 0.
    """

    __slots__ = ("after", "before")

    def __init__(self, before: int, after: int) -> None:
        self.before = before
        self.after = after

    @property
    def change(self) -> int:
        """After minus before: negative when the pain went down."""
        return self.after - self.before

    @property
    def percent(self) -> Decimal | None:
        """The reduction in whole per cent (50 = half the pain), rounded half up; None from 0."""
        relative = reduction(Decimal(self.before), Decimal(self.after))
        if relative is None:
            return None
        return (relative * 100).quantize(Decimal("1"), rounding="ROUND_HALF_UP")

    def __repr__(self) -> str:
        return f"Relief({self.before} -> {self.after})"


class ProcedureComplication(models.Model):
    """A complication recorded with a version of the performance (written once)."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    performance = models.ForeignKey(ProcedurePerformance, on_delete=models.PROTECT, related_name="complications")
    kind = models.CharField(_("complication"), max_length=40, choices=ComplicationKind.choices)

    class Meta:
        verbose_name = _("complication")
        verbose_name_plural = _("complications")
        constraints = [
            models.UniqueConstraint(fields=["performance", "kind"], name="complication_once_per_performance"),
            models.CheckConstraint(condition=_in("kind", ComplicationKind), name="complication_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} in performance {self.performance_id}"
