"""What a page shows of an assessment, in the active language (labels come from the data files).

Built from rows already loaded (prefetched): no queries here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from nyeri.clinical.assessments.selectors import InstrumentSeries
from nyeri.clinical.instruments import all_instruments
from nyeri.clinical.instruments.schema import Instrument, Score
from nyeri.clinical.models import BodyView, Laterality, PainAssessment
from nyeri.lib.bodysites import body_sites


@dataclass(frozen=True)
class ScoreLine:
    code: str
    label: str
    value: Decimal | None
    unit: str
    band_code: str
    band_label: str
    # Why there is no value (too few answers), when there is none.
    note: str = ""
    loinc: str = ""
    loinc_verified: bool = True


@dataclass(frozen=True)
class AnswerLine:
    code: str
    label: str
    value: int
    answer_label: str


@dataclass(frozen=True)
class SiteLine:
    region: str
    view: str
    side: str


@dataclass(frozen=True)
class AssessmentView:
    assessment: PainAssessment
    instrument: Instrument | None
    name: str
    scores: list[ScoreLine]
    answers: list[AnswerLine]
    sites: list[SiteLine]


def _language() -> str:
    return get_language() or "id"


def instrument_name(code: str, found: Instrument | None = None) -> str:
    found = found or all_instruments().get(code)
    return found.name(_language()) if found else code


def _score_line(
    score: Score | None, code: str, value: Decimal | None, band_code: str, note: str = "", language: str = ""
) -> ScoreLine:
    language = language or _language()
    if score is None:
        return ScoreLine(code, code, value, "", band_code, band_code, note)
    band = next((b for b in score.bands if b.code == band_code), None)
    if value is not None:
        # Stored with two decimals; shown with the instrument's own (NRS 7, PEG 6.3).
        value = value.quantize(Decimal(1).scaleb(-score.decimals))
    return ScoreLine(
        code,
        score.label(language),
        value,
        score.unit,
        band_code,
        band.label(language) if band else band_code,
        note,
        score.loinc.code if score.loinc else "",
        score.loinc.verified if score.loinc else True,
    )


def describe(assessment: PainAssessment, *, brief: bool = False) -> AssessmentView:
    """Scores (with a note for each score left out), answers and body sites of ``assessment``.

    ``brief``: the scores only (for lists, where answers and body sites are not loaded).
    """
    found = all_instruments().get(assessment.instrument_code)
    language = _language()
    stored = {s.score_code: s for s in assessment.scores.all()}
    answers = list(assessment.answers.all()) if not brief else []
    answered = {a.item_code for a in answers}
    scores = []
    for score in found.scores if found else ():
        row = stored.pop(score.code, None)
        if row is not None:
            scores.append(_score_line(score, score.code, row.value, row.band_code))
        elif not brief:
            count = sum(1 for c in score.items if c in answered)
            note = _("Not scored: %(answered)d of %(items)d items answered, at least %(needed)d needed.") % {
                "answered": count,
                "items": len(score.items),
                "needed": score.min_answered or len(score.items),
            }
            scores.append(_score_line(score, score.code, None, "", note))
    # Scores of an instrument version that no longer has them: shown by their code.
    scores.extend(_score_line(None, code, row.value, row.band_code) for code, row in stored.items())
    answer_lines = []
    order = [i.code for i in found.items] if found else []
    for answer in sorted(answers, key=lambda a: order.index(a.item_code) if a.item_code in order else len(order)):
        item = found.item(answer.item_code) if found else None
        option = item.answer(answer.value) if item else None
        answer_lines.append(
            AnswerLine(
                answer.item_code,
                item.label(language) if item else answer.item_code,
                answer.value,
                option.label(language) if option else "",
            )
        )
    catalogue = body_sites()
    sites = []
    for site in assessment.body_sites.all() if not brief else ():
        region = catalogue.site(site.region)
        sites.append(
            SiteLine(
                region.label(language) if region else site.region,
                str(BodyView(site.view).label),
                str(Laterality(site.laterality).label),
            )
        )
    name = instrument_name(assessment.instrument_code, found)
    return AssessmentView(assessment, found, name, scores, answer_lines, sites)


@dataclass(frozen=True)
class SeriesRow:
    assessment_id: int
    recorded_at: object
    cells: list[ScoreLine | None]
    time_zone: str = ""


@dataclass(frozen=True)
class SeriesTable:
    code: str
    name: str
    headers: list[str]
    rows: list[SeriesRow]


def series_tables(series: list[InstrumentSeries]) -> list[SeriesTable]:
    """One table per instrument: a row per assessment (oldest first), a column per score."""
    language = _language()
    tables = []
    for s in series:
        codes = s.score_codes
        scores = {c: (s.instrument.score(c) if s.instrument else None) for c in codes}
        headers = [sc.label(language) if sc else c for c, sc in scores.items()]
        rows = []
        for point in s.points:
            cells: list[ScoreLine | None] = []
            for code in codes:
                found = point.scores.get(code)
                cells.append(_score_line(scores[code], code, found[0], found[1]) if found else None)
            rows.append(SeriesRow(point.assessment_id, point.recorded_at, cells, point.time_zone))
        tables.append(SeriesTable(s.instrument_code, instrument_name(s.instrument_code, s.instrument), headers, rows))
    return tables


class ScoreLabels:
    """The score lines of many assessments (a list), in one language worked out once.

    ``describe(brief=True)`` per row asks for the language and looks up the instrument, the
    score and its band again for every row; a list of a hundred assessments has a handful
    of distinct (instrument, score, band) triples, so each line is built once and reused,
    with the row's own value.
    """

    def __init__(self) -> None:
        self.language = _language()
        self._instruments = all_instruments()
        self._lines: dict[tuple[str, str, str], tuple[ScoreLine, int | None]] = {}
        self._order: dict[str, dict[str, int]] = {}

    def _line(self, instrument_code: str, code: str, band_code: str) -> tuple[ScoreLine, int | None]:
        key = (instrument_code, code, band_code)
        found = self._lines.get(key)
        if found is None:
            instrument = self._instruments.get(instrument_code)
            score = instrument.score(code) if instrument else None
            line = _score_line(score, code, None, band_code, language=self.language)
            found = self._lines[key] = (line, score.decimals if score else None)
        return found

    def lines(self, instrument_code: str, stored: list[tuple[str, Decimal, str]]) -> list[ScoreLine]:
        """``stored`` (score code, value, band code) as lines: the instrument's scores in its
        own order, then those an old version of it had (as ``describe`` orders them)."""
        order = self._order.get(instrument_code)
        if order is None:
            instrument = self._instruments.get(instrument_code)
            scores = instrument.scores if instrument else ()
            order = self._order[instrument_code] = {s.code: n for n, s in enumerate(scores)}
        ranked = sorted(stored, key=lambda s: order.get(s[0], len(order)))
        out = []
        for code, value, band_code in ranked:
            line, decimals = self._line(instrument_code, code, band_code)
            shown = value.quantize(Decimal(1).scaleb(-decimals)) if decimals is not None else value
            out.append(
                ScoreLine(
                    code, line.label, shown, line.unit, band_code, line.band_label, "", line.loinc, line.loinc_verified
                )
            )
        return out
