"""The body-map catalogue: the regions a painful site is recorded on, with views and sides.

A region is seen from the front, the back or both; a paired region (a knee) is on the
left, the right or both sides; an axial one (the lower back) may also be in the midline.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator

from nyeri.clinical.instruments.schema import CODE, Label, _Strict
from nyeri.lib.toml import describe_errors, read_toml

BODY_MAP_PATH = Path(__file__).resolve().parent / "body_map.toml"

PAIRED_SIDES = ("left", "right", "bilateral")
AXIAL_SIDES = ("midline", "left", "right", "bilateral")


class BodyMapError(ValueError):
    """A body-map file that cannot be used (the message names the file, the region, the problem)."""


class Region(Label):
    code: str = Field(pattern=CODE)
    views: tuple[Literal["front", "back"], ...] = Field(min_length=1)
    paired: bool

    @field_validator("views")
    @classmethod
    def _unique(cls, views: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(views)) != len(views):
            raise ValueError("a view is listed twice")
        return views

    @property
    def sides(self) -> tuple[str, ...]:
        return PAIRED_SIDES if self.paired else AXIAL_SIDES


class BodyMap(_Strict):
    version: str = Field(min_length=1)
    source: str = ""
    regions: tuple[Region, ...] = Field(min_length=1)

    @field_validator("regions")
    @classmethod
    def _codes_unique(cls, regions: tuple[Region, ...]) -> tuple[Region, ...]:
        codes = [r.code for r in regions]
        twice = sorted({c for c in codes if codes.count(c) > 1})
        if twice:
            raise ValueError(f"region(s) defined twice: {', '.join(twice)}")
        return regions

    def region(self, code: str) -> Region | None:
        return next((r for r in self.regions if r.code == code), None)


def load_body_map(path: Path) -> BodyMap:
    raw = read_toml(path, BodyMapError)
    try:
        return BodyMap.model_validate(raw)
    except ValidationError as exc:
        raise BodyMapError(describe_errors(path.name, raw, exc)) from exc


@cache
def body_map() -> BodyMap:
    return load_body_map(BODY_MAP_PATH)
