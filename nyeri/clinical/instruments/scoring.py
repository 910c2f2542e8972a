"""Checking answers against an instrument and computing its scores.

Scores are always computed here from the answers, never typed in. Each rule:

- ``sum``: the sum of the items (all required);
- ``mean``: their mean (all required);
- ``mean_of_min_answered``: the mean of the answered items, scored only when at least
  ``min_answered`` are answered (BPI interference: 4 of 7);
- ``percent_of_max``: sum / (item maximum x items answered) x 100, scored when at least
  ``min_answered`` are answered (Oswestry Disability Index);
- ``weighted_sum``: the sum of answer x weight for the patient's sex (Opioid Risk Tool). For
  a sex recorded as other or unknown each item takes the higher of its two weights, so
  that a risk is never understated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from nyeri.clinical.instruments.schema import COMPLETE_RULES, Band, Instrument, Item, Score
from nyeri.lib.services import Errors, add_error


def answer_field(item_code: str) -> str:
    """The name of an item's field in an error: ``answers.<item>``."""
    return f"answers.{item_code}"


@dataclass(frozen=True)
class ScoreResult:
    score: Score
    # None: too few answers for this score (e.g. BPI interference with 3 of 7 answered).
    value: Decimal | None
    band: Band | None
    answered: int
    needed: int


def _range_message(item: Item) -> str:
    if item.answers:
        return _("Choose one of the answers.")
    if item.step != 1:
        return _("Enter a number from %(min)d to %(max)d in steps of %(step)d.") % {
            "min": item.min,
            "max": item.max,
            "step": item.step,
        }
    return _("Enter a whole number from %(min)d to %(max)d.") % {"min": item.min, "max": item.max}


def answer_errors(instrument: Instrument, answers: Mapping[str, object]) -> Errors:
    """Each bad answer under its item's field; unknown items under ``answers``.

    ``None`` is an unanswered item: refused only where the instrument needs every item.
    """
    errors: Errors = {}
    for code, value in answers.items():
        item = instrument.item(code)
        if item is None:
            add_error(
                errors,
                "answers",
                _("%(instrument)s has no item %(item)s.")
                % {"instrument": instrument.name(get_language()), "item": code},
            )
        elif value is None:
            continue
        elif isinstance(value, bool) or not isinstance(value, int) or not item.allowed(value):
            add_error(errors, answer_field(code), _range_message(item))
    for code in sorted(instrument.required_items(), key=[i.code for i in instrument.items].index):
        if answers.get(code) is None:
            add_error(errors, answer_field(code), _("This item needs an answer."))
    if not errors and all(v is None for v in answers.values()):
        add_error(errors, "answers", _("Answer at least one item."))
    return errors


def _weight(item: Item, sex: str) -> int:
    assert item.weights is not None
    if sex == "female":
        return item.weights.female
    if sex == "male":
        return item.weights.male
    return max(item.weights.female, item.weights.male)


def compute_score(score: Score, instrument: Instrument, answers: Mapping[str, int | None], *, sex: str) -> ScoreResult:
    answered = [(item, answers[item.code]) for item in _items(instrument, score) if answers.get(item.code) is not None]
    n = len(answered)
    # Rules that need every item were checked to have them; the others score what was answered.
    needed = len(score.items) if score.rule in COMPLETE_RULES else score.min_answered or 1
    if n < needed or n == 0:
        return ScoreResult(score, None, None, n, needed)
    total = Decimal(sum(value for _item, value in answered if value is not None))
    if score.rule == "sum":
        value = total
    elif score.rule in ("mean", "mean_of_min_answered"):
        value = total / n
    elif score.rule == "percent_of_max":
        value = total / (answered[0][0].max * n) * 100
    else:
        value = Decimal(sum(v * _weight(item, sex) for item, v in answered if v is not None))
    value = value.quantize(Decimal(1).scaleb(-score.decimals), rounding=ROUND_HALF_UP)
    return ScoreResult(score, value, score.band(value), n, needed)


def _items(instrument: Instrument, score: Score) -> list[Item]:
    by_code = {i.code: i for i in instrument.items}
    return [by_code[c] for c in score.items]


def compute_scores(instrument: Instrument, answers: Mapping[str, int | None], *, sex: str) -> list[ScoreResult]:
    """Every score of ``instrument`` for valid ``answers`` (check them with ``answer_errors`` first)."""
    return [compute_score(s, instrument, answers, sex=sex) for s in instrument.scores]
