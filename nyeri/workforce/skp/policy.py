"""The SKP policy as data: the period, the categories (ranah) with their minimum shares,
the total per professional role and how verified care hours count (``policy/<JURISDICTION>.toml``)."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from nyeri.lib.toml import Bilingual, StrictData, load_jurisdiction_file
from nyeri.tenancy.roles import Role

POLICY_DIR = Path(__file__).resolve().parent / "policy"


class SkpPolicyError(ValueError):
    """An SKP policy file that cannot be used; the message names the file and the entry."""


class Category(Bilingual):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    min_percent: int = Field(ge=0, le=100)
    from_hours: bool = False
    source: str = Field(min_length=1)


# Where a figure comes from: a regulation (with its source), or the facility's own setting
# (no rule was found; the pages say so, and an administrator may change it).
Basis = Literal["regulation", "facility_setting"]
REGULATION = "regulation"
FACILITY_SETTING = "facility_setting"
# The code of the organization's own hours-per-credit setting (``SkpSetting.code``); the
# totals' settings use the totals' codes.
HOURS_SETTING = "service_hours_per_credit"


class Total(StrictData):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    roles: tuple[Role, ...] = Field(min_length=1)
    credits: Decimal = Field(gt=0)
    basis: Basis
    source: str = Field(min_length=1)


class SkpPolicy(StrictData):
    jurisdiction: str = Field(pattern=r"^[A-Z]{2}$")
    version: str = Field(min_length=1)
    period_years: int = Field(gt=0, le=10)
    cited: tuple[str, ...] = Field(min_length=1)
    categories: tuple[Category, ...] = Field(min_length=1)
    service_hours_per_credit: Decimal = Field(gt=0)
    service_hours_basis: Basis
    service_hours_source: str = Field(min_length=1)
    totals: tuple[Total, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> SkpPolicy:
        if sum(c.min_percent for c in self.categories) > 100:
            raise ValueError("the categories' minimum shares add up to more than 100 %")
        if sum(1 for c in self.categories if c.from_hours) > 1:
            raise ValueError("hours of care count toward one category at most")
        codes = [t.code for t in self.totals]
        if len(codes) != len(set(codes)) or HOURS_SETTING in codes:
            raise ValueError(f"the totals' codes must be unique and not {HOURS_SETTING}")
        return self

    def category(self, code: str) -> Category | None:
        return next((c for c in self.categories if c.code == code), None)

    @property
    def hours_category(self) -> Category | None:
        return next((c for c in self.categories if c.from_hours), None)

    def total_for(self, roles: frozenset[str] | set[str]) -> Total | None:
        return next((t for t in self.totals if roles & set(t.roles)), None)

    def setting_codes(self) -> tuple[str, ...]:
        """What an administrator may set for the organization: each total, then the hours per credit."""
        return (*(t.code for t in self.totals), HOURS_SETTING)


@cache
def skp_policy(jurisdiction: str) -> SkpPolicy | None:
    """The jurisdiction's SKP policy, or None where no continuing-education rule is kept."""
    path = POLICY_DIR / f"{jurisdiction}.toml"
    if not path.exists():
        return None
    return load_jurisdiction_file(path, SkpPolicy, SkpPolicyError, jurisdiction)
