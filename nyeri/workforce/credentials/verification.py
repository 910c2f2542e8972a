"""Verification at the source as data: where each kind of credential is checked, how, and
when it must be checked again (``verification_data/<JURISDICTION>.toml``, sources cited)."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

from pydantic import Field, model_validator

from nyeri.lib.toml import Bilingual, StrictData, load_jurisdiction_file
from nyeri.workforce.engine.periods import valid_through
from nyeri.workforce.kinds import CredentialKind

DATA_DIR = Path(__file__).resolve().parent / "verification_data"


class VerificationDataError(ValueError):
    """A verification data file that cannot be used; the message names the file and entry."""


class Labelled(Bilingual):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")


class Method(Labelled):
    pass


class Source(Labelled):
    kinds: tuple[CredentialKind, ...] = Field(min_length=1)
    methods: tuple[str, ...] = Field(min_length=1)
    source: str = Field(min_length=1)


class Reverify(StrictData):
    kind: CredentialKind
    months: int = Field(gt=0, le=120)
    source: str = Field(min_length=1)


class VerificationData(StrictData):
    jurisdiction: str = Field(pattern=r"^[A-Z]{2}$")
    version: str = Field(min_length=1)
    # What the file relies on, cited.
    cited: tuple[str, ...] = Field(min_length=1)
    methods: tuple[Method, ...] = Field(min_length=1)
    # The places to check at.
    sources: tuple[Source, ...] = Field(min_length=1)
    reverify: tuple[Reverify, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> VerificationData:
        codes = {m.code for m in self.methods}
        for place in self.sources:
            unknown = set(place.methods) - codes
            if unknown:
                raise ValueError(f"source {place.code}: unknown methods {', '.join(sorted(unknown))}")
        return self


@cache
def verification_data(jurisdiction: str) -> VerificationData:
    return load_jurisdiction_file(
        DATA_DIR / f"{jurisdiction}.toml", VerificationData, VerificationDataError, jurisdiction
    )


def sources_for(jurisdiction: str, kind: str) -> list[Source]:
    """The places a credential of ``kind`` is checked at, in the file's order."""
    return [s for s in verification_data(jurisdiction).sources if kind in s.kinds]


def method(jurisdiction: str, code: str) -> Method | None:
    return next((m for m in verification_data(jurisdiction).methods if m.code == code), None)


def source(jurisdiction: str, code: str) -> Source | None:
    return next((s for s in verification_data(jurisdiction).sources if s.code == code), None)


def reverify_by(jurisdiction: str, kind: str, checked_on: date, expires_on: date | None) -> date | None:
    """When a credential checked on ``checked_on`` must be checked at its source again:
    the policy's months after the check, never later than the credential's own expiry
    (its renewal is checked then). None: never again (a diploma)."""
    rule = next((r for r in verification_data(jurisdiction).reverify if r.kind == kind), None)
    due = valid_through(checked_on, rule.months) if rule is not None else None
    if expires_on is not None and (due is None or expires_on < due):
        return expires_on
    return due
