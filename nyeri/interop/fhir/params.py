"""Parsing FHIR search parameter values: dates with prefixes, tokens, references, numbers.

Each parser raises ``FhirError`` (400, naming the parameter) for a malformed value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _

from nyeri.interop.fhir.errors import FhirError

_DATE = re.compile(r"^(?P<prefix>eq|ne|lt|le|gt|ge|sa|eb)?(?P<value>\d{4}(-\d{2}(-\d{2}(T.+)?)?)?)$")
_SUPPORTED_PREFIXES = {"eq", "lt", "le", "gt", "ge", "sa", "eb"}


def invalid(name: str, value: str) -> FhirError:
    return FhirError(
        400,
        "invalid",
        _("The value %(value)s of the search parameter %(name)s is not valid.") % {"value": value, "name": name},
        expression=name,
    )


@dataclass(frozen=True)
class DateRange:
    """A FHIR date search value: a prefix and the half-open range [start, end) its precision spans."""

    prefix: str
    # Moments (aware datetimes), or days for a date column.
    start: date
    end: date

    def q(self, field: str) -> Q:
        if self.prefix == "eq":
            return Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})
        if self.prefix in ("ge",):
            return Q(**{f"{field}__gte": self.start})
        if self.prefix in ("gt", "sa"):
            return Q(**{f"{field}__gte": self.end})
        if self.prefix == "le":
            return Q(**{f"{field}__lt": self.end})
        return Q(**{f"{field}__lt": self.start})  # lt, eb

    def q_date(self, field: str) -> Q:
        """The same condition on a date (not a moment) column: the range widened to whole days."""
        if not isinstance(self.start, datetime) or not isinstance(self.end, datetime):
            return self.q(field)
        end = self.end.date()
        if self.end.timetz().replace(tzinfo=None) != time(0):
            end += timedelta(days=1)
        return DateRange(self.prefix, self.start.date(), end).q(field)


def _month_end(year: int, month: int) -> date:
    return date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)


def parse_date(name: str, raw: str) -> DateRange:
    found = _DATE.match(raw.strip())
    if found is None:
        raise invalid(name, raw)
    prefix = found.group("prefix") or "eq"
    if prefix not in _SUPPORTED_PREFIXES:
        raise invalid(name, raw)
    value = found.group("value")
    zone = ZoneInfo(settings.TIME_ZONE)
    try:
        if "T" in value:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=zone)
            return DateRange(prefix, moment, moment + timedelta(seconds=1))
        parts = [int(p) for p in value.split("-")]
        if len(parts) == 1:
            start, end = date(parts[0], 1, 1), date(parts[0] + 1, 1, 1)
        elif len(parts) == 2:
            start, end = date(parts[0], parts[1], 1), _month_end(parts[0], parts[1])
        else:
            start = date(parts[0], parts[1], parts[2])
            end = start + timedelta(days=1)
    except ValueError as exc:
        raise invalid(name, raw) from exc
    return DateRange(prefix, datetime.combine(start, time(0), tzinfo=zone), datetime.combine(end, time(0), tzinfo=zone))


def parse_id(name: str, raw: str, resource_type: str) -> int:
    """A logical id, bare (``12``) or as a reference (``Patient/12``); positive integers only."""
    value = raw.strip()
    if "/" in value:
        kind, _slash, value = value.rpartition("/")
        if kind.rsplit("/", 1)[-1] != resource_type:
            raise invalid(name, raw)
    if not value.isdigit() or len(value) > 18 or int(value) == 0:
        raise invalid(name, raw)
    return int(value)


def parse_logical_id(name: str, raw: str, resource_type: str, prefixes: tuple[str, ...]) -> tuple[str, int]:
    """A logical id of a type served from several tables, bare or as a reference: its prefix
    (one of ``prefixes``, "" for a bare number) and the row's pk (``procedure-12`` -> ("procedure-", 12))."""
    value = raw.strip()
    if "/" in value:
        kind, _slash, value = value.rpartition("/")
        if kind.rsplit("/", 1)[-1] != resource_type:
            raise invalid(name, raw)
    digits = value.lstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-.")
    prefix = value[: len(value) - len(digits)]
    if prefix not in prefixes or not digits.isdigit() or len(digits) > 18 or int(digits) == 0:
        raise invalid(name, raw)
    return prefix, int(digits)


def parse_token(raw: str) -> tuple[str | None, str]:
    """``system|code`` -> (system, code); ``code`` -> (None, code); ``|code`` -> ("", code)."""
    if "|" in raw:
        system, _bar, code = raw.partition("|")
        return system, code
    return None, raw


def parse_count(name: str, raw: str, *, maximum: int) -> int:
    if not raw.isdigit() or len(raw) > 6:
        raise invalid(name, raw)
    return min(int(raw), maximum)
