"""The SKP policy as data: the period, the categories (ranah) with their minimum shares,
the total per professional role and how verified care hours count (``policy/<JURISDICTION>.toml``)."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path

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


class Total(StrictData):
    roles: tuple[Role, ...] = Field(min_length=1)
    credits: Decimal = Field(gt=0)
    source: str = Field(min_length=1)


class SkpPolicy(StrictData):
    jurisdiction: str = Field(pattern=r"^[A-Z]{2}$")
    version: str = Field(min_length=1)
    period_years: int = Field(gt=0, le=10)
    cited: tuple[str, ...] = Field(min_length=1)
    categories: tuple[Category, ...] = Field(min_length=1)
    service_hours_per_credit: Decimal = Field(gt=0)
    service_hours_source: str = Field(min_length=1)
    totals: tuple[Total, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> SkpPolicy:
        if sum(c.min_percent for c in self.categories) > 100:
            raise ValueError("the categories' minimum shares add up to more than 100 %")
        if sum(1 for c in self.categories if c.from_hours) > 1:
            raise ValueError("hours of care count toward one category at most")
        return self

    def category(self, code: str) -> Category | None:
        return next((c for c in self.categories if c.code == code), None)

    @property
    def hours_category(self) -> Category | None:
        return next((c for c in self.categories if c.from_hours), None)

    def total_for(self, roles: frozenset[str] | set[str]) -> Total | None:
        return next((t for t in self.totals if roles & set(t.roles)), None)


@cache
def skp_policy(jurisdiction: str) -> SkpPolicy | None:
    """The jurisdiction's SKP policy, or None where no continuing-education rule is kept."""
    path = POLICY_DIR / f"{jurisdiction}.toml"
    if not path.exists():
        return None
    return load_jurisdiction_file(path, SkpPolicy, SkpPolicyError, jurisdiction)
