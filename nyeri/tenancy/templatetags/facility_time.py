"""``{{ moment|facility_time:facility }}``: a stored (UTC) time as the facility's wall clock.

Shows the date and time in the facility's zone followed by its label ("14 Desember 2026
21:30 WITA"), so that a person working at facilities in two zones reads each facility's
times in its own zone and can tell which zone a time is in.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django import template

from nyeri.tenancy.clock import format_facility_time

if TYPE_CHECKING:
    from nyeri.tenancy.models import Facility

register = template.Library()


@register.filter(name="facility_time")
def facility_time(moment: datetime | None, facility: Facility | None) -> str:
    return format_facility_time(moment, facility)


@register.simple_tag(name="facility_time")
def facility_time_tag(
    moment: datetime | None, facility: Facility | None, format_string: str = "DATETIME_FORMAT"
) -> str:
    """``{% facility_time moment facility "Y-m-d H:i:s" %}``: the same, with a date format of one's own."""
    return format_facility_time(moment, facility, format_string)
