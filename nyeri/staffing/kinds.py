"""The closed vocabularies of staffing rules: rule kinds and the measures they count.

Code only knows how to evaluate a kind of rule on a measure; the rules themselves (which
role, which measure, how many FTE) are data: a file per jurisdiction and an organization's
own rows (see docs/staffing.md).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from nyeri.facilities.inputs import FacilityInputs


class RuleKind(models.TextChoices):
    # FTE = measure x amount (x the opening hours over one FTE's hours, when per shift).
    PER_UNIT = "per_unit", _("Per unit")
    # FTE = measure / per x amount.
    PER_VOLUME = "per_volume", _("Per volume")
    # At least ``amount`` FTE, whatever the other rules of the role give.
    MINIMUM = "minimum", _("Minimum")


class Measure(models.TextChoices):
    CONSULTATION_ROOMS = "consultation_rooms", _("Consultation rooms")
    PROCEDURE_ROOMS = "procedure_rooms", _("Procedure rooms")
    RECOVERY_BEDS = "recovery_beds", _("Recovery beds")
    PLANNED_VISITS_PER_WEEK = "planned_visits_per_week", _("Planned visits per week")
    # Procedure rooms x days open a week.
    PROCEDURE_ROOM_DAYS_PER_WEEK = "procedure_room_days_per_week", _("Procedure-room days per week")
    SEDATION_ROOM_DAYS_PER_WEEK = "sedation_room_days_per_week", _("Procedure-room days with sedation per week")
    OPENING_DAYS_PER_WEEK = "opening_days_per_week", _("Opening days per week")
    OPENING_HOURS_PER_WEEK = "opening_hours_per_week", _("Opening hours per week")
    # Units of the rule's ``equipment`` kind in service.
    EQUIPMENT_IN_SERVICE = "equipment_in_service", _("Units in service")


def measure_value(inputs: FacilityInputs, measure: str, equipment: str | None = None) -> Decimal:
    """The value of ``measure`` at a facility (``equipment``: the kind, for units in service)."""
    if measure == Measure.EQUIPMENT_IN_SERVICE:
        assert equipment, "units in service need an equipment kind"
        return Decimal(inputs.units_in_service(equipment))
    if measure == Measure.OPENING_HOURS_PER_WEEK:
        return inputs.opening_hours_per_week
    if measure == Measure.PROCEDURE_ROOM_DAYS_PER_WEEK:
        return Decimal(inputs.procedure_room_days_per_week)
    if measure in Measure.values:
        return Decimal(getattr(inputs, measure))
    raise ValueError(f"unknown measure {measure!r}")
