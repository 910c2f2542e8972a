"""The local date and time at a facility: the one way Nyeri asks "what day is it here?".

Indonesia keeps three time zones (Keppres 41/1987): WIB (UTC+7), WITA (UTC+8) and WIT
(UTC+9). A facility's ``time_zone`` (defaulted from its province, see places.py) decides
where its days turn: a SIP whose last valid day is 31 December lapses at 24:00 in
Jayapura (15:00 UTC), not at 24:00 in Jakarta (17:00 UTC). Every date-boundary rule
(validity of credentials and checks, SIP lapse, diary days, follow-up windows, outcomes
periods, expiry watch, a day's list) asks here.

Things that belong to no single facility (an organization's audit export, a candidate's
profile, the platform's scheduled jobs) pass ``None`` and get the installation's zone
(``TIME_ZONE``, Asia/Jakarta by default); docs/facilities.md lists which are which.

Times are stored in UTC; ``local_now`` and ``local_time`` only convert for reading and
showing, with the zone's label from ``zone_label``. A time typed at a facility (a form's
``datetime-local``, an API date-time without an offset) is that facility's wall-clock
time: ``at_facility`` reads it there, ``input_value`` shows one back there.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import formats, timezone

from nyeri.regions import TIME_ZONE_LABELS

if TYPE_CHECKING:
    from datetime import tzinfo

    from nyeri.tenancy.models import Facility

UTC = ZoneInfo("UTC")
# WIT: of Indonesia's zones, the first whose day turns.
LATEST_ZONE = ZoneInfo("Asia/Jayapura")
# WIB: of Indonesia's zones, the last whose day turns.
EARLIEST_ZONE = ZoneInfo("Asia/Jakarta")


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def facility_zone(facility: Facility | None) -> tzinfo:
    """The zone of ``facility`` (``None``: the installation's zone).

    A name the system's zone database does not know (the service validates every name,
    so only a hand-edited row) falls back to the installation's zone rather than failing
    every page of the facility.
    """
    if facility is None:
        return timezone.get_current_timezone()
    return zone_named(facility.time_zone)


def zone_named(name: str) -> tzinfo:
    """The zone of a facility's ``time_zone`` value read without its row (``values_list``)."""
    try:
        return _zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.get_current_timezone()


def local_now(facility: Facility | None, at: datetime | None = None) -> datetime:
    """``at`` (default: now) as the wall-clock time at ``facility``."""
    return (at or timezone.now()).astimezone(facility_zone(facility))


def local_date(facility: Facility | None, at: datetime | None = None) -> date:
    """The calendar day at ``facility`` at the moment ``at`` (default: now)."""
    return local_now(facility, at).date()


def zone_date(name: str, at: datetime | None = None) -> date:
    """The calendar day in the zone named ``name`` (a facility's ``time_zone`` read with
    ``values_list``) at the moment ``at`` (default: now)."""
    return (at or timezone.now()).astimezone(zone_named(name)).date()


def earliest_today() -> date:
    """The earliest calendar day of Indonesia's zones and the installation's: today at WIB
    (UTC+7, the last to turn) or earlier. For a query's bound before each row's own day is
    checked (``zone_date``): a date on or after it may still be today somewhere."""
    return min(timezone.localdate(), timezone.localdate(timezone=EARLIEST_ZONE))


def latest_today() -> date:
    """The latest calendar day of Indonesia's zones and the installation's: today at WIT
    (UTC+9, the first to turn) or later. For a bound that cannot know the facility (a
    model's validator, a date picker's ``max``); rules ask ``local_date``."""
    return max(timezone.localdate(), timezone.localdate(timezone=LATEST_ZONE))


def day_bounds(facility: Facility | None, day: date) -> tuple[datetime, datetime]:
    """The local ``day`` at ``facility`` as a half-open UTC range [start, end).

    Built from the two midnights, so a zone with a daylight-saving change (none in
    Indonesia, but the installation's zone may be any) gets a 23- or 25-hour day.
    """
    zone = facility_zone(facility)
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def period_bounds(facility: Facility | None, first: date, last: date) -> tuple[datetime, datetime]:
    """The local days ``first`` through ``last`` (both included) as a UTC range [start, end)."""
    return day_bounds(facility, first)[0], day_bounds(facility, last)[1]


def zone_label(zone: tzinfo | str) -> str:
    """ "WIB", "WITA" or "WIT" for an Indonesian zone; the IANA name (or offset) for any other."""
    name = zone if isinstance(zone, str) else str(zone)
    return TIME_ZONE_LABELS.get(name, name)


def format_facility_time(
    moment: datetime | None, facility: Facility | None, format_string: str = "DATETIME_FORMAT"
) -> str:
    """``moment`` in ``facility``'s zone with the zone's label ("14 Des 2026 21:30 WITA"); "" for none."""
    return format_zone_time(moment, facility_zone(facility), format_string)


def format_zone_time(moment: datetime | None, zone: tzinfo, format_string: str = "DATETIME_FORMAT") -> str:
    """``moment`` in ``zone`` with the zone's label; for rows read without their facility
    (``values_list`` of a facility's ``time_zone``: see ``zone_named``)."""
    if moment is None:
        return ""
    local = moment.astimezone(zone)
    return f"{formats.date_format(local, format_string)} {shown_zone(local)}"


def shown_zone(local: datetime) -> str:
    """The label after a time shown in its zone: WIB, WITA or WIT, else its UTC offset at that
    moment ("UTC+01:00"; an installation elsewhere, whose zone name would not say the hour)."""
    label = TIME_ZONE_LABELS.get(str(local.tzinfo))
    if label is not None:
        return label
    offset = local.strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"


# The value of an HTML ``datetime-local`` input: a wall-clock time without a zone.
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def at_facility(moment: datetime, facility: Facility | None) -> datetime:
    """``moment`` as typed at ``facility``: a naive time is read on the facility's clock,
    an aware one (an API date-time with an offset) is taken as given.

    Services call this once the facility is known, so a WIT clinic's 09:00 is stored as
    00:00 UTC, not as 09:00 in the installation's zone.
    """
    if timezone.is_aware(moment):
        return moment
    return timezone.make_aware(moment, facility_zone(facility))


def input_value(moment: datetime | None, facility: Facility | None) -> str:
    """``moment`` (default: now) as a ``datetime-local`` value on ``facility``'s clock."""
    return local_now(facility, moment).strftime(DATETIME_LOCAL)
