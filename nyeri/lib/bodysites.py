"""The body-site vocabulary: one list of body sites and sides for every app that records where.

Pain assessments draw it as the body map (the sites with ``views``), diagnoses pick a site
from it, procedures name the sites they are done on. The list is data
(``bodysites.toml``, next to this module): codes, labels in both languages, the SNOMED CT
body structure where one matches, the views a site is drawn in, whether it is paired.
Stored codes never change, so a row written with any earlier version still reads.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from pydantic import Field, field_validator, model_validator

from nyeri.lib.toml import StrictData, load_data_file

BODY_SITES_PATH = Path(__file__).resolve().parent / "bodysites.toml"

CODE = r"^[a-z][a-z0-9_]*$"
SNOMED_ID = r"^[1-9][0-9]{5,17}$"


class Side(models.TextChoices):
    """The side of a body site. The models' ``Laterality`` choices are this one list."""

    LEFT = "left", _("Left")
    RIGHT = "right", _("Right")
    BILATERAL = "bilateral", _("Bilateral")
    MIDLINE = "midline", _("Midline")


PAIRED_SIDES = (Side.LEFT.value, Side.RIGHT.value, Side.BILATERAL.value)
AXIAL_SIDES = (Side.MIDLINE.value, *PAIRED_SIDES)


class BodySitesError(ValueError):
    """A vocabulary file that cannot be used (the message names the file, the entry, the problem)."""


class SideCode(StrictData):
    code: Literal["left", "right", "bilateral", "midline"]
    snomed: str = Field(pattern=SNOMED_ID)
    snomed_term: str = Field(min_length=1)


class Site(StrictData):
    code: str = Field(pattern=CODE, max_length=20)
    label_en: str = Field(min_length=1)
    label_id: str = Field(min_length=1)
    # Empty where no SNOMED CT body structure matches the site (see the file's header).
    snomed: str = Field(default="", pattern=rf"{SNOMED_ID}|^$")
    snomed_term: str = ""
    # Empty: not drawn on the body map, only picked from a list.
    views: tuple[Literal["front", "back"], ...] = ()
    paired: bool
    within: str = ""

    @field_validator("views")
    @classmethod
    def _unique(cls, views: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(views)) != len(views):
            raise ValueError("a view is listed twice")
        return views

    @model_validator(mode="after")
    def _term_with_code(self) -> Site:
        if bool(self.snomed) != bool(self.snomed_term):
            raise ValueError("snomed and snomed_term go together")
        return self

    def label(self, language: str | None = None) -> str:
        language = language or translation.get_language() or "id"
        return self.label_id if language.startswith("id") else self.label_en

    @property
    def sides(self) -> tuple[str, ...]:
        return PAIRED_SIDES if self.paired else AXIAL_SIDES

    @property
    def on_body_map(self) -> bool:
        return bool(self.views)


class BodySites(StrictData):
    version: str = Field(min_length=1)
    source: str = Field(min_length=1)
    sides: tuple[SideCode, ...] = Field(min_length=1)
    sites: tuple[Site, ...] = Field(min_length=1)

    @field_validator("sites")
    @classmethod
    def _codes_unique_and_known(cls, sites: tuple[Site, ...]) -> tuple[Site, ...]:
        codes = [s.code for s in sites]
        twice = sorted({c for c in codes if codes.count(c) > 1})
        if twice:
            raise ValueError(f"site(s) defined twice: {', '.join(twice)}")
        unknown = sorted({s.within for s in sites if s.within and s.within not in codes})
        if unknown:
            raise ValueError(f"'within' names unknown site(s): {', '.join(unknown)}")
        return sites

    def site(self, code: str) -> Site | None:
        return next((s for s in self.sites if s.code == code), None)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.sites)

    @property
    def body_map(self) -> tuple[Site, ...]:
        """The sites drawn on the body map, head to foot."""
        return tuple(s for s in self.sites if s.on_body_map)

    def side_snomed(self, code: str) -> SideCode | None:
        return next((s for s in self.sides if s.code == code), None)


def load_body_sites(path: Path) -> BodySites:
    return load_data_file(path, BodySites, BodySitesError)


@cache
def body_sites() -> BodySites:
    return load_body_sites(BODY_SITES_PATH)


def site_label(code: str, language: str | None = None) -> str:
    """The site's name in ``language`` (default: the active one); an unknown code as it is."""
    site = body_sites().site(code)
    return site.label(language) if site is not None else code


def side_label(code: str) -> str:
    """The side's name in the active language, lower case (it follows a site: "Knee, left")."""
    return str(Side(code).label).lower() if code in Side.values else code


def site_choices(codes: tuple[str, ...] | list[str] | set[str] | None = None) -> list[tuple[str, str]]:
    """(code, name) in the vocabulary's head-to-foot order, all or only ``codes``."""
    return [(s.code, s.label()) for s in body_sites().sites if codes is None or s.code in codes]
