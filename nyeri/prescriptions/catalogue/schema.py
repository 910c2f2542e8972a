"""The medication catalogue's file format, validated with pydantic when loaded.

One TOML file (``data/medications.toml``) holds the products a pain service prescribes:
generic name, strength, form, route, ATC code, controlled class per jurisdiction, and for
opioids the MME conversion factor of each factor table with the table's code. See
docs/prescriptions.md.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NOT_CONTROLLED = "none"

StrengthUnit = Literal["mg", "mg/mL", "mcg/h"]
DoseUnit = Literal["tablet", "capsule", "patch", "plaster", "mL"]
Form = Literal[
    "tablet",
    "tablet_modified_release",
    "film_coated_tablet",
    "capsule",
    "capsule_modified_release",
    "sublingual_tablet",
    "oral_solution",
    "transdermal_patch",
    "medicated_plaster",
]
Route = Literal["oral", "sublingual", "transdermal", "topical"]
# How a factor applies: to the milligrams taken in a day, or (a transdermal patch) to the
# delivery rate in micrograms per hour, whatever the change interval (CDC convention).
MmeBasis = Literal["mg_per_day", "mcg_per_hour"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MmeTable(_Strict):
    code: str = Field(pattern=r"^[A-Z][A-Za-z0-9-]*$")
    title: str = Field(min_length=1)
    source: str = Field(min_length=1)


class ControlledClass(_Strict):
    jurisdiction: str = Field(pattern=r"^[A-Z]{2}$")
    code: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    label_en: str = Field(min_length=1)
    label_id: str = Field(min_length=1)
    source: str = Field(min_length=1)

    @field_validator("code")
    @classmethod
    def _not_none(cls, code: str) -> str:
        if code == NOT_CONTROLLED:
            raise ValueError(f"{NOT_CONTROLLED!r} means not controlled; it is not a class")
        return code


class MmeFactor(_Strict):
    table: str = Field(min_length=1)
    factor: Decimal = Field(gt=0, max_digits=6, decimal_places=3)
    basis: MmeBasis = "mg_per_day"


class Medication(_Strict):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=60)
    generic_en: str = Field(min_length=1)
    generic_id: str = Field(min_length=1)
    # The product as a prescriber reads it, e.g. "Oxycodone 10 mg modified-release tablet".
    label_en: str = Field(min_length=1, max_length=160)
    label_id: str = Field(min_length=1, max_length=160)
    # Of the ingredient an MME factor applies to (for a combination: the opioid).
    strength: Decimal = Field(gt=0, max_digits=10, decimal_places=3)
    strength_unit: StrengthUnit
    # What one dose is counted in: a dose of 2 means two tablets (or 2 mL, or two patches worn at once).
    dose_unit: DoseUnit
    form: Form
    route: Route
    atc: str = Field(pattern=r"^[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}$")
    atc_note: str = ""
    # Jurisdictions where the product is marketed (and may be prescribed).
    markets: tuple[str, ...] = Field(min_length=1)
    # Jurisdiction -> controlled class code, or "none"; required for every market.
    controlled: dict[str, str]
    controlled_note: str = ""
    opioid: bool = False
    benzodiazepine: bool = False
    mme: tuple[MmeFactor, ...] = ()
    # Why an opioid has no factor, or the caveats of its factor (methadone, fentanyl).
    mme_note_en: str = ""
    mme_note_id: str = ""
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Medication:
        for market in self.markets:
            if market not in self.controlled:
                raise ValueError(f"controlled: no class (or {NOT_CONTROLLED!r}) for market {market}")
        if self.opioid and self.benzodiazepine:
            raise ValueError("a product is an opioid or a benzodiazepine, not both")
        if self.mme and not self.opioid:
            raise ValueError("mme: only opioids have MME conversion factors")
        if self.opioid and not self.mme and not (self.mme_note_en and self.mme_note_id):
            raise ValueError("an opioid without an MME factor must say why (mme_note_en and mme_note_id)")
        tables = [f.table for f in self.mme]
        if len(tables) != len(set(tables)):
            raise ValueError("mme: one factor per table")
        for factor in self.mme:
            if factor.basis == "mcg_per_hour" and self.strength_unit != "mcg/h":
                raise ValueError("mme: the mcg_per_hour basis needs a strength in mcg/h")
            if factor.basis == "mg_per_day" and self.strength_unit not in ("mg", "mg/mL"):
                raise ValueError("mme: the mg_per_day basis needs a strength in mg or mg/mL")
        if (self.strength_unit == "mg/mL") != (self.dose_unit == "mL"):
            raise ValueError("a strength in mg/mL goes with doses in mL, and only then")
        return self

    def factor(self, table: str) -> MmeFactor | None:
        return next((f for f in self.mme if f.table == table), None)


class Catalogue(_Strict):
    version: str = Field(min_length=1)
    sources: tuple[str, ...] = Field(min_length=1)
    mme_tables: tuple[MmeTable, ...] = Field(min_length=1)
    classes: tuple[ControlledClass, ...] = ()
    medications: tuple[Medication, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> Catalogue:
        codes = [m.code for m in self.medications]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValueError(f"duplicate medication code(s): {', '.join(duplicates)}")
        tables = {t.code for t in self.mme_tables}
        classes = {(c.jurisdiction, c.code) for c in self.classes}
        for med in self.medications:
            for factor in med.mme:
                if factor.table not in tables:
                    raise ValueError(f"{med.code}: unknown MME table {factor.table!r}")
            for jurisdiction, klass in med.controlled.items():
                if klass != NOT_CONTROLLED and (jurisdiction, klass) not in classes:
                    raise ValueError(f"{med.code}: unknown controlled class {klass!r} for {jurisdiction}")
        return self
