"""The procedure catalogue's file language, validated with pydantic when the file is loaded.

A bad file is refused with the file, the entry and the problem, e.g.

    procedures.toml: procedures[2] (esi_caudal) body_sites: unknown body-map region 'lumbar'

Besides its own shape, an entry is checked against the other catalogues it names: its
body sites against the body map (``nyeri/lib/bodysites.toml``) and its
procedure class against the policy packs (each pack must have ``perform_procedure:<class>``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from nyeri.lib.bodysites import PAIRED_SIDES, body_sites
from nyeri.workforce.policy.loader import all_packs

CODE = r"^[a-z][a-z0-9_]*$"
# ICD-9-CM volume 3 (procedures): two digits, optionally a point and one or two more.
ICD9CM_CODE = r"^\d{2}(\.\d{1,2})?$"

# The same codes as nyeri.procedures.kinds (a test holds them together).
Anesthesia = Literal["none", "local", "sedation", "general"]
GuidanceCode = Literal["none", "fluoroscopy", "ultrasound", "ct"]
Side = Literal["left", "right", "bilateral", "midline"]

ANESTHESIA_ORDER: tuple[str, ...] = ("none", "local", "sedation", "general")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Icd9cm(_Strict):
    """An ICD-9-CM procedure code with its title as the code list words it.

    ``verified``: the code and title were found in the list named by the file's
    ``icd9cm_source``; ``note`` says where the mapping is a coding choice to review.
    """

    code: str = Field(pattern=ICD9CM_CODE)
    title: str = Field(min_length=1)
    verified: bool
    note: str = ""


class Procedure(_Strict):
    code: str = Field(pattern=CODE, max_length=40)
    label_en: str = Field(min_length=1)
    label_id: str = Field(min_length=1)
    # Matches the policy packs' ``perform_procedure:<class>`` action.
    procedure_class: str = Field(pattern=CODE)
    body_sites: tuple[str, ...] = Field(min_length=1)
    laterality_required: bool
    # The sides allowed, when narrower than the body map's (a stellate ganglion block is
    # never bilateral). Empty: the region's sides.
    sides: tuple[Side, ...] = ()
    # The accepted imaging guidance, the usual one first.
    guidance: tuple[GuidanceCode, ...] = Field(min_length=1)
    # The usual anesthesia level, and every level the procedure may be done at.
    anesthesia: Anesthesia
    anesthesia_options: tuple[Anesthesia, ...] = ()
    icd9cm: Icd9cm | None = None
    source: str = Field(min_length=1)

    def label(self, language: str | None) -> str:
        return self.label_id if (language or "id").startswith("id") else self.label_en

    @property
    def action(self) -> str:
        """The policy-pack action the performer needs."""
        return f"perform_procedure:{self.procedure_class}"

    @property
    def anesthesia_levels(self) -> tuple[str, ...]:
        """The allowed levels, lightest first (the usual one when none are listed)."""
        levels = set(self.anesthesia_options) | {self.anesthesia}
        return tuple(level for level in ANESTHESIA_ORDER if level in levels)

    def sides_for(self, region_code: str) -> tuple[str, ...]:
        """The sides this procedure may be recorded with on ``region_code``."""
        region = body_sites().site(region_code)
        if region is None:
            return ()
        sides = region.sides
        if self.laterality_required or region.paired:
            sides = tuple(s for s in sides if s in PAIRED_SIDES)
        if self.sides:
            sides = tuple(s for s in sides if s in self.sides)
        return sides

    def side_required(self, region_code: str) -> bool:
        """A side is required when the entry says so, and always on a paired region (which knee?)."""
        region = body_sites().site(region_code)
        return self.laterality_required or (region is not None and region.paired)

    @field_validator("body_sites")
    @classmethod
    def _known_regions(cls, sites: tuple[str, ...]) -> tuple[str, ...]:
        known = body_sites().codes
        unknown = [s for s in sites if s not in known]
        if unknown:
            raise ValueError(f"unknown body site {', '.join(repr(s) for s in unknown)} (known: {', '.join(known)})")
        if len(set(sites)) != len(sites):
            raise ValueError("a body site is listed twice")
        return sites

    @field_validator("guidance", "anesthesia_options", "sides")
    @classmethod
    def _unique(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(values)) != len(values):
            raise ValueError("a value is listed twice")
        return values

    @field_validator("procedure_class")
    @classmethod
    def _class_in_every_pack(cls, value: str) -> str:
        action = f"perform_procedure:{value}"
        missing = sorted(j for j, pack in all_packs().items() if action not in pack.actions)
        if missing:
            raise ValueError(f"no action {action!r} in policy pack(s) {', '.join(missing)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Procedure:
        if self.anesthesia_options and self.anesthesia not in self.anesthesia_options:
            raise ValueError(f"anesthesia {self.anesthesia!r} is not one of anesthesia_options")
        if self.laterality_required and self.sides and "midline" in self.sides:
            raise ValueError("a procedure that requires a side cannot list 'midline'")
        for site in self.body_sites:
            if body_sites().site(site) is not None and not self.sides_for(site) and self.side_required(site):
                raise ValueError(f"no side in {list(self.sides)} is possible on body site {site!r}")
        return self


class ProcedureCatalogue(_Strict):
    version: str = Field(min_length=1)
    sources: tuple[str, ...] = Field(min_length=1)
    # The ICD-9-CM list the codes were checked against.
    icd9cm_edition: str = Field(min_length=1)
    icd9cm_source: str = Field(min_length=1)
    procedures: tuple[Procedure, ...] = Field(min_length=1)

    @field_validator("procedures")
    @classmethod
    def _codes_unique(cls, procedures: tuple[Procedure, ...]) -> tuple[Procedure, ...]:
        codes = [p.code for p in procedures]
        twice = sorted({c for c in codes if codes.count(c) > 1})
        if twice:
            raise ValueError(f"procedure(s) defined twice: {', '.join(twice)}")
        return procedures

    def procedure(self, code: str) -> Procedure | None:
        return next((p for p in self.procedures if p.code == code), None)
