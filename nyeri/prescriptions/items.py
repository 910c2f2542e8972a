"""Turning submitted items into prescription items: every field checked, each problem named.

Errors are keyed ``items.<n>.<field>`` (n counts from 0 in the order given), so a form or an
API client can put each message next to the field it concerns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from nyeri.lib.services import Errors, add_error
from nyeri.prescriptions import catalogue, mme
from nyeri.prescriptions.catalogue import Medication
from nyeri.prescriptions.models import MAX_DAYS, MAX_DOSE, MAX_DOSES_PER_DAY, PrescriptionItem

MAX_ITEMS = 10
INSTRUCTIONS_MAX_LENGTH = 300
THOUSANDTH = Decimal("0.001")


@dataclass(frozen=True)
class ItemIn:
    """One item as submitted: a catalogue code, units per dose, doses per day, days."""

    medication: str
    dose: Any
    doses_per_day: Any
    days: Any
    as_needed: bool = False
    instructions: str = ""


@dataclass(frozen=True)
class ParsedItem:
    medication: Medication
    dose: Decimal
    doses_per_day: Decimal
    days: int
    as_needed: bool
    instructions: str
    controlled_class: str
    quantity: int
    mme: mme.MmeResult | None


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _whole(value: Any) -> int | None:
    number = _decimal(value)
    if number is None or number != number.to_integral_value():
        return None
    return int(number)


def _dose(raw: Any, field: str, errors: Errors) -> Decimal | None:
    dose = _decimal(raw)
    if dose is None:
        add_error(errors, field, _("Enter the dose as a number of units (for example 1 or 0.5)."))
    elif dose <= 0:
        add_error(errors, field, _("The dose must be more than zero."))
    elif dose > MAX_DOSE:
        add_error(errors, field, _("At most %(max)d units in one dose.") % {"max": MAX_DOSE})
    elif dose != dose.quantize(THOUSANDTH):
        add_error(errors, field, _("Use at most three decimals."))
    else:
        return dose
    return None


def _doses_per_day(raw: Any, field: str, errors: Errors) -> Decimal | None:
    value = _decimal(raw)
    if value is None:
        add_error(errors, field, _("Enter how many doses a day (for example 2, or 0.333 for every 72 hours)."))
    elif value <= 0 or value > MAX_DOSES_PER_DAY:
        add_error(
            errors,
            field,
            _("The number of doses a day must be more than zero and at most %(max)d.") % {"max": MAX_DOSES_PER_DAY},
        )
    elif value != value.quantize(THOUSANDTH):
        add_error(errors, field, _("Use at most three decimals."))
    else:
        return value
    return None


def _days(raw: Any, field: str, errors: Errors) -> int | None:
    days = _whole(raw)
    if days is None:
        add_error(errors, field, _("Enter the number of days as a whole number."))
    elif days < 1:
        add_error(errors, field, _("Prescribe for at least one day."))
    elif days > MAX_DAYS:
        add_error(errors, field, _("At most %(max)d days on one prescription.") % {"max": MAX_DAYS})
    else:
        return days
    return None


def _medication(code: str, jurisdiction: str, field: str, errors: Errors) -> Medication | None:
    found = catalogue.medication((code or "").strip())
    if found is None:
        add_error(
            errors, field, _("%(code)s is not in the medication catalogue.") % {"code": (code or "").strip()[:60]}
        )
        return None
    if jurisdiction not in found.markets:
        add_error(
            errors,
            field,
            _("%(medication)s is not available in this jurisdiction (%(jurisdiction)s).")
            % {"medication": found.label_en, "jurisdiction": jurisdiction},
        )
        return None
    return found


def parse_items(items: Sequence[ItemIn], *, jurisdiction: str, mme_table: str) -> list[ParsedItem]:
    """Check every item; ValidationError naming each bad field, or the parsed items."""
    errors: Errors = {}
    if not items:
        add_error(errors, "items", _("Add at least one medication."))
    elif len(items) > MAX_ITEMS:
        add_error(errors, "items", _("At most %(max)d medications on one prescription.") % {"max": MAX_ITEMS})
    parsed: list[ParsedItem] = []
    for n, item in enumerate(items[:MAX_ITEMS]):
        prefix = f"items.{n}."
        med = _medication(item.medication, jurisdiction, prefix + "medication", errors)
        dose = _dose(item.dose, prefix + "dose", errors)
        per_day = _doses_per_day(item.doses_per_day, prefix + "doses_per_day", errors)
        days = _days(item.days, prefix + "days", errors)
        instructions = (item.instructions or "").strip()
        if len(instructions) > INSTRUCTIONS_MAX_LENGTH:
            add_error(
                errors,
                prefix + "instructions",
                _("At most %(max)d characters.") % {"max": INSTRUCTIONS_MAX_LENGTH},
            )
        if med is None or dose is None or per_day is None or days is None:
            continue
        factor = med.factor(mme_table) if med.opioid else None
        result = None
        if factor is not None:
            result = mme.item_mme(
                strength=med.strength,
                dose=dose,
                doses_per_day=per_day,
                factor=factor.factor,
                table=factor.table,
                basis=factor.basis,
            )
        parsed.append(
            ParsedItem(
                medication=med,
                dose=dose,
                doses_per_day=per_day,
                days=days,
                as_needed=bool(item.as_needed),
                instructions=instructions,
                controlled_class=catalogue.controlled_class(med, jurisdiction),
                quantity=mme.quantity(dose=dose, doses_per_day=per_day, days=days),
                mme=result,
            )
        )
    if errors:
        raise ValidationError(errors)
    return parsed


def item_row(parsed: ParsedItem, *, position: int, **relations: Any) -> PrescriptionItem:
    """An unsaved item row: the submitted values and a copy of the catalogue entry."""
    med = parsed.medication
    result = parsed.mme
    return PrescriptionItem(
        position=position,
        medication_code=med.code,
        label_en=med.label_en,
        label_id=med.label_id,
        generic_en=med.generic_en,
        generic_id=med.generic_id,
        strength=med.strength,
        strength_unit=med.strength_unit,
        dose_unit=med.dose_unit,
        form=med.form,
        route=med.route,
        atc=med.atc,
        controlled_class=parsed.controlled_class,
        opioid=med.opioid,
        benzodiazepine=med.benzodiazepine,
        dose=parsed.dose,
        doses_per_day=parsed.doses_per_day,
        as_needed=parsed.as_needed,
        days=parsed.days,
        quantity=parsed.quantity,
        instructions=parsed.instructions,
        mme_factor=result.factor if result else None,
        mme_basis=result.basis if result else "",
        mme_table=result.table if result else "",
        mme_per_day=result.mme_per_day if result else None,
        **relations,
    )


def item_in(row: PrescriptionItem) -> ItemIn:
    """The submission that would write ``row`` again (a reissue, an edit form's first values)."""
    return ItemIn(
        medication=row.medication_code,
        dose=row.dose,
        doses_per_day=row.doses_per_day,
        days=row.days,
        as_needed=row.as_needed,
        instructions=row.instructions,
    )
