"""Morphine milligram equivalents: pure arithmetic, no database.

MME/day of an item = strength x doses per day x factor, where a "dose" may be several units
(two tablets): milligrams a day = strength x units per dose x doses per day. A transdermal
patch follows the CDC convention instead: MME/day = delivery rate in mcg/h x units worn at
once x factor, whatever the change interval (fentanyl 25 mcg/h = 60 MME/day).

Worked examples of the CDC 2022 table (tests/prescriptions/test_mme.py):
hydrocodone 5 mg four times a day = 5 x 4 x 1.0 = 20 MME/day;
oxycodone 10 mg twice a day = 10 x 2 x 1.5 = 30 MME/day.

The factor table's code is kept with every result (``MmeResult.table``): the 2016 and 2022
tables differ (hydromorphone 4 vs 5; methadone tiered vs 4.7).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Literal

Basis = Literal["mg_per_day", "mcg_per_hour"]
CENT = Decimal("0.01")


@dataclass(frozen=True)
class MmeResult:
    """MME per day of one item, with the factor and table it was computed with."""

    mme_per_day: Decimal
    factor: Decimal
    table: str
    basis: Basis


def milligrams_per_day(*, strength: Decimal, dose: Decimal, doses_per_day: Decimal) -> Decimal:
    """The amount taken in a day: strength per unit x units per dose x doses per day."""
    return strength * dose * doses_per_day


def item_mme(
    *, strength: Decimal, dose: Decimal, doses_per_day: Decimal, factor: Decimal, table: str, basis: Basis
) -> MmeResult:
    """MME per day of one item, rounded half up to 0.01."""
    if strength <= 0 or dose <= 0 or doses_per_day <= 0 or factor <= 0:
        raise ValueError("strength, dose, doses per day and factor must be positive")
    if basis == "mcg_per_hour":
        # A patch delivers continuously: its rate counts, not how often it is changed.
        amount = strength * dose
    else:
        amount = milligrams_per_day(strength=strength, dose=dose, doses_per_day=doses_per_day)
    return MmeResult((amount * factor).quantize(CENT, rounding=ROUND_HALF_UP), factor, table, basis)


def total(values: Iterable[Decimal | None]) -> Decimal:
    """The daily total of several items; items without a factor (None) count for nothing."""
    return sum((v for v in values if v is not None), Decimal(0)).quantize(CENT, rounding=ROUND_HALF_UP)


def quantity(*, dose: Decimal, doses_per_day: Decimal, days: int) -> int:
    """Units to dispense for ``days``: units per dose x doses per day x days, rounded up."""
    return int((dose * doses_per_day * days).to_integral_value(rounding=ROUND_CEILING))
