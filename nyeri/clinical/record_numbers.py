"""Medical record numbers (nomor rekam medis): generated per facility or organization.

The format is the facility's ``RecordNumberFormat``, else the organization's, else
``DEFAULT_PATTERN``. A number is taken from a counter row locked with SELECT ... FOR
UPDATE, inside the registering transaction: two registrations at once wait for each other
and never get the same number; a registration that fails gives its number back (the
counter's change rolls back with it).
"""

from __future__ import annotations

import string
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from nyeri.clinical.models import RecordNumberCounter, RecordNumberFormat
from nyeri.tenancy.models import Facility

DEFAULT_PATTERN = "{facility}-{year}-{seq:06d}"
PLACEHOLDERS = frozenset({"facility", "year", "seq"})


def validate_pattern(pattern: str) -> None:
    """A format names ``{seq}`` (with an optional format such as ``{seq:06d}``) and only the known placeholders."""
    try:
        names = {name for _text, name, _spec, _conv in string.Formatter().parse(pattern) if name is not None}
        sample = format_number(pattern, facility_code="RS", year=2026, seq=1)
    except (ValueError, KeyError, IndexError):
        raise ValidationError(
            {"pattern": _("The format is not valid, e.g. {facility}-{year}-{seq:06d}.")}, code="invalid"
        ) from None
    if "seq" not in names:
        raise ValidationError({"pattern": _("The format must contain {seq}.")}, code="no_seq")
    unknown = names - PLACEHOLDERS
    if unknown:
        raise ValidationError(
            {"pattern": _("Unknown placeholder: %(names)s.") % {"names": ", ".join(sorted(unknown))}},
            code="unknown_placeholder",
        )
    if len(sample) > 28:
        raise ValidationError({"pattern": _("The format makes numbers too long.")}, code="too_long")


def format_number(pattern: str, *, facility_code: str, year: int, seq: int) -> str:
    return pattern.format(facility=facility_code.upper(), year=year, seq=seq)


def pattern_for(facility: Facility) -> str:
    """The record number format at ``facility`` (one query)."""
    formats = RecordNumberFormat.objects.filter(
        Q(facility=facility) | Q(facility__isnull=True), organization_id=facility.organization_id
    ).values_list("facility_id", "pattern")
    by_facility: dict[int | None, str] = dict(formats)
    return by_facility.get(facility.pk) or by_facility.get(None) or DEFAULT_PATTERN


def allocate_numbers(facility: Facility, *, on: date, count: int = 1) -> list[str]:
    """``count`` new record numbers at ``facility``, from its locked counter.

    Call inside the registering transaction (the lock holds until it ends). Three queries:
    the format, the locked counter, its update (a sequence's first number: one more).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_numbers must run inside the registering transaction")
    pattern = pattern_for(facility)
    sequence = f"f{facility.pk}" if "{facility" in pattern else "org"
    year = on.year if "{year" in pattern else 0
    counter = _locked_counter(facility.organization_id, sequence, year)
    first = counter.last_value + 1
    RecordNumberCounter.objects.filter(pk=counter.pk).update(last_value=F("last_value") + count)
    return [
        format_number(pattern, facility_code=facility.code, year=on.year, seq=n) for n in range(first, first + count)
    ]


def _locked_counter(organization_id: int, sequence: str, year: int) -> RecordNumberCounter:
    rows = RecordNumberCounter.objects.select_for_update()
    counter = rows.filter(organization_id=organization_id, sequence=sequence, year=year).first()
    if counter is not None:
        return counter
    # The sequence's first number. Two first registrations may race: the second insert waits
    # for the first's row and fails on the unique constraint; it then locks that row.
    try:
        with transaction.atomic():
            return RecordNumberCounter.objects.create(organization_id=organization_id, sequence=sequence, year=year)
    except IntegrityError:
        return rows.get(organization_id=organization_id, sequence=sequence, year=year)
