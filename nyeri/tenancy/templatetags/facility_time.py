"""``{{ moment|facility_time:facility }}``: a stored (UTC) time as the facility's wall clock.

``facility`` may also be a facility's ``time_zone`` value (a row read with ``values_list``
carries the zone's name, not the facility).

Shows the date and time in the facility's zone followed by its label ("14 Desember 2026
21:30 WITA"), so that a person working at facilities in two zones reads each facility's
times in its own zone and can tell which zone a time is in.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django import template
from django.utils import formats

from nyeri.tenancy.clock import facility_zone, format_facility_time, format_zone_time, local_now, zone_named

if TYPE_CHECKING:
    from nyeri.tenancy.models import Facility

register = template.Library()


def _shown(moment: datetime | None, facility: Facility | str | None, format_string: str) -> str:
    if isinstance(facility, str):
        return format_zone_time(moment, zone_named(facility), format_string)
    return format_facility_time(moment, facility, format_string)


@register.filter(name="facility_time")
def facility_time(moment: datetime | None, facility: Facility | str | None) -> str:
    return _shown(moment, facility, "DATETIME_FORMAT")


@register.simple_tag(name="facility_time")
def facility_time_tag(
    moment: datetime | None, facility: Facility | str | None, format_string: str = "DATETIME_FORMAT"
) -> str:
    """``{% facility_time moment facility "Y-m-d H:i:s" %}``: the same, with a date format of one's own
    (``{% facility_time moment facility "j M Y H:i" as shown %}`` for a translated sentence)."""
    return _shown(moment, facility, format_string)


@register.simple_tag(name="facility_date")
def facility_date_tag(
    moment: datetime | None, facility: Facility | str | None, format_string: str = "DATE_FORMAT"
) -> str:
    """``{% facility_date moment facility "j M Y" %}``: the calendar day of ``moment`` at the
    facility, without a time and so without the zone's label (the day is the facility's)."""
    if moment is None:
        return ""
    zone = zone_named(facility) if isinstance(facility, str) else facility_zone(facility)
    return formats.date_format(moment.astimezone(zone), format_string)


@register.simple_tag(name="facility_clock")
def facility_clock_tag(moment: datetime | None, facility: Facility | None, format_string: str = "TIME_FORMAT") -> str:
    """``{% facility_clock moment facility %}``: the facility's wall clock without the zone's label,
    for a list whose heading names the zone once (a day's appointments)."""
    if moment is None:
        return ""
    return formats.date_format(local_now(facility, moment), format_string)
