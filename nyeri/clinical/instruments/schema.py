"""The instrument file language: items, scores (with their rule) and interpretation bands.

A file is validated with these models when it is loaded; a bad file is rejected with the
file, the item (or score) and the problem.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CODE = r"^[a-z][a-z0-9_]*$"

Rule = Literal["sum", "mean", "mean_of_min_answered", "percent_of_max", "weighted_sum"]
# Rules whose every item must be answered; the others score what was answered.
COMPLETE_RULES = frozenset({"sum", "mean", "weighted_sum"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Loinc(_Strict):
    """A LOINC code, marked verified only when checked against loinc.org (see instruments.md)."""

    code: str = Field(pattern=r"^(LA)?\d{1,7}-\d$")
    verified: bool
    note: str = ""


class Label(_Strict):
    label_en: str = Field(min_length=1)
    label_id: str = Field(min_length=1)

    def label(self, language: str | None) -> str:
        return self.label_id if (language or "id").startswith("id") else self.label_en


class Answer(Label):
    """A labelled value of an item (e.g. 0 "Not at all"), optionally with its LOINC answer code."""

    value: int
    loinc: Loinc | None = None


class SexWeights(_Strict):
    """Points a "yes" is worth for a female and for a male patient (Opioid Risk Tool)."""

    female: int = Field(ge=0)
    male: int = Field(ge=0)


class Item(Label):
    code: str = Field(pattern=CODE)
    min: int
    max: int
    step: int = Field(1, gt=0)
    # What the ends of a numeric scale mean (e.g. 0 "no pain", 10 "worst pain imaginable").
    min_anchor_en: str = ""
    min_anchor_id: str = ""
    max_anchor_en: str = ""
    max_anchor_id: str = ""
    # When given, exactly one per allowed value: the item is answered by choosing one.
    answers: tuple[Answer, ...] = ()
    weights: SexWeights | None = None

    @model_validator(mode="after")
    def _range(self) -> Item:
        if self.max <= self.min:
            raise ValueError(f"max ({self.max}) must be greater than min ({self.min})")
        if (self.max - self.min) % self.step:
            raise ValueError(f"the range {self.min}-{self.max} is not a whole number of steps of {self.step}")
        if self.answers:
            given = [a.value for a in self.answers]
            allowed = list(range(self.min, self.max + 1, self.step))
            if sorted(given) != allowed:
                raise ValueError(f"answers must label each allowed value {allowed} once; they label {given}")
        return self

    def allowed(self, value: int) -> bool:
        return self.min <= value <= self.max and (value - self.min) % self.step == 0

    def answer(self, value: int) -> Answer | None:
        return next((a for a in self.answers if a.value == value), None)

    def anchor(self, end: Literal["min", "max"], language: str | None) -> str:
        english = self.min_anchor_en if end == "min" else self.max_anchor_en
        indonesian = self.min_anchor_id if end == "min" else self.max_anchor_id
        return indonesian if (language or "id").startswith("id") else english


class Band(Label):
    """An interpretation band: values from ``min`` up to ``max`` (inclusive)."""

    code: str = Field(pattern=CODE)
    min: Decimal
    max: Decimal
    snomed: str = Field("", pattern=r"^(\d{6,18})?$")

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        if self.max < self.min:
            raise ValueError(f"band {self.code}: max ({self.max}) is below min ({self.min})")
        return self


class Score(Label):
    code: str = Field(pattern=CODE)
    rule: Rule
    items: tuple[str, ...] = Field(min_length=1)
    # mean_of_min_answered: needed; percent_of_max: optional (default: one item).
    min_answered: int | None = Field(None, gt=0)
    decimals: int = Field(0, ge=0, le=2)
    unit: str = ""
    loinc: Loinc | None = None
    bands: tuple[Band, ...] = ()

    @field_validator("items")
    @classmethod
    def _unique_items(cls, items: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(items)) != len(items):
            raise ValueError("an item is listed twice")
        return items

    @model_validator(mode="after")
    def _min_answered(self) -> Score:
        if self.rule == "mean_of_min_answered" and self.min_answered is None:
            raise ValueError("mean_of_min_answered needs min_answered")
        if self.rule not in ("mean_of_min_answered", "percent_of_max") and self.min_answered is not None:
            raise ValueError(f"min_answered does not apply to rule {self.rule}")
        if self.min_answered is not None and self.min_answered > len(self.items):
            raise ValueError(f"min_answered ({self.min_answered}) is more than the {len(self.items)} items")
        return self

    def band(self, value: Decimal) -> Band | None:
        """The band of ``value``: the highest band starting at or below it (None without bands)."""
        found = None
        for band in self.bands:
            if band.min <= value:
                found = band
        return found


class Instrument(Label):
    code: str = Field(pattern=CODE)
    version: str = Field(min_length=1, max_length=20)
    abbreviation: str = Field(min_length=1, max_length=20)
    instructions_en: str = ""
    instructions_id: str = ""
    source: str = Field(min_length=1)
    licence: str = ""
    panel_loinc: Loinc | None = None
    items: tuple[Item, ...] = Field(min_length=1)
    scores: tuple[Score, ...] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _shared_answers(cls, data: Any) -> Any:
        # A questionnaire whose items share one answer scale (PHQ-9: "Not at all" ... "Nearly
        # every day") writes it once at the top; each item without its own answers gets it.
        if isinstance(data, dict) and "answers" in data:
            data = dict(data)
            shared = data.pop("answers")
            items = data.get("items")
            if isinstance(items, list):
                data["items"] = [
                    {**item, "answers": shared} if isinstance(item, dict) and "answers" not in item else item
                    for item in items
                ]
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Instrument:
        problems = []
        codes = [i.code for i in self.items]
        for code in sorted({c for c in codes if codes.count(c) > 1}):
            problems.append(f"item {code!r} is defined twice")
        score_codes = [s.code for s in self.scores]
        for code in sorted({c for c in score_codes if score_codes.count(c) > 1}):
            problems.append(f"score {code!r} is defined twice")
        by_code = {i.code: i for i in self.items}
        weighted: set[str] = set()
        for score in self.scores:
            unknown = [c for c in score.items if c not in by_code]
            if unknown:
                problems.append(f"score {score.code!r}: unknown item(s) {', '.join(unknown)}")
                continue
            items = [by_code[c] for c in score.items]
            problems.extend(_rule_problems(score, items))
            if score.rule == "weighted_sum":
                weighted.update(score.items)
            if not problems:
                problems.extend(_band_problems(score, score_range(score, items)))
        for item in self.items:
            if item.weights is not None and item.code not in weighted:
                problems.append(f"item {item.code!r}: weights are only for items of a weighted_sum score")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def name(self, language: str | None) -> str:
        """The instrument in full with its acronym, as a person reads it: "Patient Health
        Questionnaire-9 (PHQ-9)". A label that already carries the acronym is shown as it is."""
        label = self.label(language)
        return label if f"({self.abbreviation})" in label else f"{label} ({self.abbreviation})"

    def item(self, code: str) -> Item | None:
        return next((i for i in self.items if i.code == code), None)

    def score(self, code: str) -> Score | None:
        return next((s for s in self.scores if s.code == code), None)

    def required_items(self) -> frozenset[str]:
        """Items every assessment must answer: those of the rules that need every item."""
        return frozenset(c for s in self.scores if s.rule in COMPLETE_RULES for c in s.items)

    def instructions(self, language: str | None) -> str:
        return self.instructions_id if (language or "id").startswith("id") else self.instructions_en


def _rule_problems(score: Score, items: list[Item]) -> list[str]:
    where = f"score {score.code!r}"
    if score.rule == "weighted_sum":
        missing = [i.code for i in items if i.weights is None]
        if missing:
            return [f"{where}: weighted_sum needs weights on item(s) {', '.join(missing)}"]
        if any(i.min < 0 for i in items):
            return [f"{where}: weighted_sum items cannot go below 0"]
    if score.rule in ("mean", "mean_of_min_answered", "percent_of_max"):
        ranges = {(i.min, i.max) for i in items}
        if len(ranges) > 1:
            return [f"{where}: {score.rule} needs items of one range, not {sorted(ranges)}"]
    if score.rule == "percent_of_max" and items[0].min != 0:
        return [f"{where}: percent_of_max needs items starting at 0"]
    return []


def score_range(score: Score, items: list[Item]) -> tuple[Decimal, Decimal]:
    """The lowest and highest value the score can take."""
    if score.rule == "sum":
        return Decimal(sum(i.min for i in items)), Decimal(sum(i.max for i in items))
    if score.rule == "weighted_sum":
        low = sum(i.min * min(i.weights.female, i.weights.male) for i in items if i.weights)
        high = sum(i.max * max(i.weights.female, i.weights.male) for i in items if i.weights)
        return Decimal(low), Decimal(high)
    if score.rule == "percent_of_max":
        return Decimal(0), Decimal(100)
    return Decimal(items[0].min), Decimal(items[0].max)


def _band_problems(score: Score, span: tuple[Decimal, Decimal]) -> list[str]:
    bands = score.bands
    if not bands:
        return []
    where = f"score {score.code!r}"
    low, high = span
    problems = []
    if bands[0].min != low:
        problems.append(f"{where}: the first band starts at {bands[0].min}, not at the lowest score {low}")
    if bands[-1].max != high:
        problems.append(f"{where}: the last band ends at {bands[-1].max}, not at the highest score {high}")
    for before, after in itertools.pairwise(bands):
        # Bands follow each other: no overlap, and no gap wider than one step of a whole-number score.
        if not before.max < after.min <= before.max + 1:
            problems.append(f"{where}: band {after.code} does not follow band {before.code}")
    codes = [b.code for b in bands]
    if len(set(codes)) != len(codes):
        problems.append(f"{where}: a band code is used twice")
    return problems
