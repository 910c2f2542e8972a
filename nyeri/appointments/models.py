"""The appointment book: a patient's booked visit with a clinician at a facility.

Times are stored in UTC and typed and shown on the facility's clock
(``nyeri.tenancy.clock``). An appointment is never deleted: it is cancelled (with the
reason), marked a no-show, or checked in, which opens the clinical encounter it points to.

The database holds what one row can: the end after the start, a known kind and status, a
reason on every cancellation, an encounter on every checked-in or completed appointment.
That a clinician's active bookings do not overlap spans rows: PostgreSQL's exclusion
constraint would hold it but is not portable, so ``services`` checks it under a row lock on
the clinician (``workforce.Person``), which serialises the bookings of one clinician.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class AppointmentKind(models.TextChoices):
    NEW_PATIENT = "new_patient", _("New patient")
    FOLLOW_UP = "follow_up", _("Follow-up")
    PROCEDURE = "procedure", _("Procedure")


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CHECKED_IN = "checked_in", _("Checked in")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")
    COMPLETED = "completed", _("Completed")


# The statuses that hold the clinician's time (an overlap with one of these is refused).
ACTIVE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)


def _in(field: str, choices: type[models.TextChoices]) -> Q:
    return Q(**{f"{field}__in": [c.value for c in choices]})


class Appointment(models.Model):
    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    facility = models.ForeignKey(
        "tenancy.Facility", on_delete=models.PROTECT, related_name="+", verbose_name=_("facility")
    )
    patient = models.ForeignKey(
        "clinical.Patient", on_delete=models.PROTECT, related_name="appointments", verbose_name=_("patient")
    )
    clinician = models.ForeignKey(
        "workforce.Person", on_delete=models.PROTECT, related_name="appointments", verbose_name=_("clinician")
    )
    starts_at = models.DateTimeField(_("start"))
    ends_at = models.DateTimeField(_("end"))
    kind = models.CharField(_("kind of appointment"), max_length=16, choices=AppointmentKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    # The encounter a follow-up was booked from (the visit that asked for it).
    follow_up_of = models.ForeignKey(
        "clinical.Encounter", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The encounter the check-in opened.
    encounter = models.OneToOneField(
        "clinical.Encounter", on_delete=models.PROTECT, null=True, blank=True, related_name="appointment"
    )
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    booked_at = models.DateTimeField()
    # Who last changed the status, and when (the audit trail keeps every change).
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        indexes = [
            models.Index(fields=["organization", "facility", "starts_at"], name="appointment_facility_day"),
            models.Index(fields=["clinician", "starts_at"], name="appointment_clinician_day"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="appointment_ends_after_start"),
            models.CheckConstraint(condition=_in("kind", AppointmentKind), name="appointment_kind_valid"),
            models.CheckConstraint(condition=_in("status", AppointmentStatus), name="appointment_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=AppointmentStatus.CANCELLED) | ~Q(cancel_reason=""),
                name="appointment_cancel_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED])
                | Q(encounter__isnull=False),
                name="appointment_checked_in_has_encounter",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M}"
