"""A facility's profile: its size, opening hours and diagnostic equipment.

- ``FacilityProfile`` (one per facility): rooms, recovery beds, planned volume. The
  facility's kind (hospital pain unit, stand-alone clinic) stays on ``tenancy.Facility``.
- ``OpeningHours``: one row per weekday the facility is open (a closed day has no row).
- ``Equipment``: one row per unit, with its current status; ``EquipmentStatusChange``
  keeps every status the unit has had, who changed it, when and why. Rows of the history
  are only inserted (on PostgreSQL a trigger refuses UPDATE and DELETE, migration 0002);
  the unit's ``status`` is only changed by ``services.change_equipment_status``, which
  writes the history row and the audit event in the same transaction.

Every number is zero or more, held by the database as well as by the services.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


def _in(field: str, choices: type[models.TextChoices], *, blank: bool = False) -> Q:
    q = Q(**{f"{field}__in": [c.value for c in choices]})
    return q | Q(**{field: ""}) if blank else q


class EquipmentKind(models.TextChoices):
    """The equipment catalogue. Each kind ``k`` is operated under the policy packs'
    ``operate_equipment:k`` action (a system check and a test hold them together)."""

    XRAY = "xray", _("X-ray unit")
    C_ARM = "c_arm", _("C-arm fluoroscopy")
    ULTRASOUND = "ultrasound", _("Ultrasound unit")
    CT = "ct", _("CT scanner")
    MRI = "mri", _("MRI scanner")


class EquipmentStatus(models.TextChoices):
    IN_SERVICE = "in_service", _("In service")
    UNDER_MAINTENANCE = "under_maintenance", _("Under maintenance")
    RETIRED = "retired", _("Retired")


class Weekday(models.IntegerChoices):
    # ISO 8601 numbering: Monday is 1.
    MONDAY = 1, _("Monday")
    TUESDAY = 2, _("Tuesday")
    WEDNESDAY = 3, _("Wednesday")
    THURSDAY = 4, _("Thursday")
    FRIDAY = 5, _("Friday")
    SATURDAY = 6, _("Saturday")
    SUNDAY = 7, _("Sunday")


# The size fields of a profile, in the order of the forms and the API.
SIZE_FIELDS = (
    "consultation_rooms",
    "procedure_rooms",
    "recovery_beds",
    "planned_visits_per_week",
    "sedation_room_days_per_week",
)


class FacilityProfile(models.Model):
    """How large a facility is and how much it plans to do (one per facility)."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    facility = models.OneToOneField("tenancy.Facility", on_delete=models.PROTECT, related_name="profile")
    consultation_rooms = models.IntegerField(_("consultation rooms"), default=0)
    procedure_rooms = models.IntegerField(_("procedure rooms"), default=0)
    recovery_beds = models.IntegerField(_("recovery beds"), default=0)
    planned_visits_per_week = models.IntegerField(_("planned visits per week"), default=0)
    # Procedure-room days a week with procedures under sedation (a room used for sedation
    # three days a week counts 3). At most 7 per procedure room.
    sedation_room_days_per_week = models.IntegerField(_("procedure-room days with sedation per week"), default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("facility profile")
        verbose_name_plural = _("facility profiles")
        constraints = [
            *(
                models.CheckConstraint(condition=Q(**{f"{name}__gte": 0}), name=f"profile_{name}_not_negative")
                for name in SIZE_FIELDS
            ),
            models.CheckConstraint(
                condition=Q(sedation_room_days_per_week__lte=F("procedure_rooms") * 7),
                name="profile_sedation_days_within_rooms",
            ),
        ]

    def __str__(self) -> str:
        return f"profile of facility {self.facility_id}"


class OpeningHours(models.Model):
    """The hours a facility is open on one weekday (no row: closed that day)."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    profile = models.ForeignKey(FacilityProfile, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "weekday"], name="opening_hours_one_per_weekday"),
            models.CheckConstraint(condition=Q(weekday__gte=1) & Q(weekday__lte=7), name="opening_hours_weekday_valid"),
            models.CheckConstraint(condition=Q(closes__gt=F("opens")), name="opening_hours_close_after_open"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"

    @property
    def hours(self) -> float:
        minutes = (self.closes.hour * 60 + self.closes.minute) - (self.opens.hour * 60 + self.opens.minute)
        return minutes / 60


class Equipment(models.Model):
    """One unit of diagnostic equipment of a facility, with its current status."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    facility = models.ForeignKey("tenancy.Facility", on_delete=models.PROTECT, related_name="equipment")
    kind = models.CharField(_("kind"), max_length=20, choices=EquipmentKind.choices)
    model_name = models.CharField(_("model"), max_length=200)
    serial_number = models.CharField(_("serial number"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=EquipmentStatus.choices)
    status_changed_at = models.DateTimeField(_("status since"))
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("equipment")
        verbose_name_plural = _("equipment")
        ordering = ["kind", "model_name", "pk"]
        indexes = [models.Index(fields=["organization", "kind", "status"], name="equipment_org_kind_status")]
        constraints = [
            models.CheckConstraint(condition=_in("kind", EquipmentKind), name="equipment_kind_valid"),
            models.CheckConstraint(condition=_in("status", EquipmentStatus), name="equipment_status_valid"),
            models.CheckConstraint(condition=~Q(model_name=""), name="equipment_model_required"),
            models.UniqueConstraint(
                fields=["organization", "kind", "serial_number"],
                condition=~Q(serial_number=""),
                name="equipment_serial_unique_per_org",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.model_name}".strip()


class EquipmentStatusChange(models.Model):
    """One status a unit of equipment took: from what, to what, who, when and why (append-only)."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    equipment = models.ForeignKey(Equipment, on_delete=models.PROTECT, related_name="status_changes")
    # Empty for the first row: the status the unit was added with.
    from_status = models.CharField(_("from"), max_length=20, choices=EquipmentStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=EquipmentStatus.choices)
    reason = models.TextField(_("reason"))
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("equipment status change")
        verbose_name_plural = _("equipment status changes")
        ordering = ["changed_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=_in("to_status", EquipmentStatus), name="equipment_change_to_valid"),
            models.CheckConstraint(
                condition=_in("from_status", EquipmentStatus, blank=True), name="equipment_change_from_valid"
            ),
            models.CheckConstraint(condition=~Q(from_status=F("to_status")), name="equipment_change_is_a_change"),
            models.CheckConstraint(condition=~Q(reason=""), name="equipment_change_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.equipment_id}: {self.from_status or '-'} -> {self.to_status}"
