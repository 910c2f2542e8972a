"""The NIK (Nomor Induk Kependudukan), Indonesia's 16-digit national identity number.

Layout: ``PP RR DD DDMMYY SSSS``: province (2 digits), regency/city (2), district
(kecamatan, 2), birth date as day, month and two-digit year (the day plus 40 for women:
a woman born on the 5th has ``45``), and a 4-digit serial. ``3273014508900001`` is a woman
born on 5 August (19)90 whose NIK was issued in district 32.73.01 of Kota Bandung.

What is checked:

- ``parse_nik`` refuses, with a ``ValidationError`` whose code says why:
  ``nik_format`` (not exactly 16 digits; the message says how many were given),
  ``nik_province`` (no province of that code), ``nik_birth_date`` (an impossible encoded
  date: month 13, day 32 or 72, 31 April; 29 February passes when either 19YY or 20YY is a
  leap year) and ``nik_regency`` (the regency/city is not in the current list).
- ``check_nik`` returns the problems as a list instead, each naming the form field it is
  about (``nik``, ``birth_date`` or ``sex``), and compares the NIK with the birth date
  (day, month and two-digit year) and the sex (FHIR codes; only "female" and "male" are
  compared, "other" and "unknown" never contradict) given on the same form.

Unknown province versus unknown regency: a NIK keeps the regency code of the place and time
it was issued, and regencies are split and renumbered (the 2022 Papua splits moved Kabupaten
Merauke from 91.01 to 93.01, for example). A genuine NIK issued before such a change may
therefore carry a regency code that is no longer in the list, while province codes are
never reused. So an unknown province is a refusal (``nik_province``, the number is wrong),
and an unknown regency is reported as its own problem (``nik_regency``, on the field
``nik``) that a form may show as a warning; ``check_nik`` still checks the birth date and
sex of such a NIK, and ``nik_regency`` returns None for it. The district is not checked
(there is no district list here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from nyeri.regions import Regency, province, regency

NIK_LENGTH = 16
FEMALE_DAY_OFFSET = 40

MESSAGES = {
    "nik_format_digits": _("A NIK has 16 digits; %(count)d were given."),
    # The same message as nyeri.clinical.validators.validate_nik.
    "nik_format_characters": _("A NIK has exactly 16 digits; %(count)d characters were given."),
    "nik_province": _("The NIK starts with %(code)s, which is not the code of an Indonesian province."),
    "nik_regency": _("The NIK's regency or city code %(code)s is not in the list of regencies and cities."),
    "nik_birth_date": _("The NIK encodes an impossible birth date (day %(day)s, month %(month)s)."),
    "birth_date_mismatch": _(
        "The birth date does not match the NIK, which encodes %(day)s-%(month)s-%(year)s (day-month-year)."
    ),
    "sex_mismatch_female": _("The NIK is that of a woman (birth day plus 40), but the sex given is male."),
    "sex_mismatch_male": _("The NIK is that of a man, but the sex given is female."),
}


@dataclass(frozen=True)
class NikFacts:
    """What a well-formed NIK says about its holder."""

    nik: str
    province_code: str  # "32"
    regency_code: str  # "32.73"
    district_code: str  # "32.73.01"
    birth_day: int  # 1-31, the 40 added for women removed
    birth_month: int
    birth_year_2digits: int
    female: bool


class NikProblem(NamedTuple):
    """One problem of a NIK, on the form field it concerns ("nik", "birth_date" or "sex")."""

    field: str
    code: str
    message: str


def _refusal(code: str, key: str, params: dict[str, Any]) -> ValidationError:
    return ValidationError(MESSAGES[key], code=code, params=params)


def _possible_date(day: int, month: int, year_2digits: int) -> bool:
    for century in (1900, 2000):
        try:
            date(century + year_2digits, month, day)
        except ValueError:
            continue
        return True
    return False


def _decode(nik: str) -> NikFacts:
    """The facts of a NIK, refusing its format, province and birth date (not its regency)."""
    nik = nik.strip()
    if len(nik) != NIK_LENGTH or not (nik.isascii() and nik.isdigit()):
        digits_only = nik.isascii() and nik.isdigit()
        key = "nik_format_digits" if digits_only else "nik_format_characters"
        raise _refusal("nik_format", key, {"count": len(nik)})
    province_code = nik[0:2]
    if province(province_code) is None:
        raise _refusal("nik_province", "nik_province", {"code": province_code})
    encoded_day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    female = encoded_day > FEMALE_DAY_OFFSET
    day = encoded_day - FEMALE_DAY_OFFSET if female else encoded_day
    if not (1 <= month <= 12 and 1 <= day <= 31 and _possible_date(day, month, year)):
        raise _refusal("nik_birth_date", "nik_birth_date", {"day": nik[6:8], "month": nik[8:10]})
    return NikFacts(
        nik=nik,
        province_code=province_code,
        regency_code=f"{nik[0:2]}.{nik[2:4]}",
        district_code=f"{nik[0:2]}.{nik[2:4]}.{nik[4:6]}",
        birth_day=day,
        birth_month=month,
        birth_year_2digits=year,
        female=female,
    )


def parse_nik(nik: str) -> NikFacts:
    """The facts of a NIK; ValidationError (code nik_format, nik_province, nik_birth_date or nik_regency)."""
    facts = _decode(nik)
    if regency(facts.regency_code) is None:
        raise _refusal("nik_regency", "nik_regency", {"code": facts.regency_code})
    return facts


def nik_regency(nik: str) -> Regency | None:
    """The regency/city where a NIK was issued, or None (malformed NIK, unknown regency)."""
    try:
        facts = _decode(nik)
    except ValidationError:
        return None
    return regency(facts.regency_code)


def _problem(field: str, code: str, key: str, params: dict[str, Any] | None = None) -> NikProblem:
    template = MESSAGES[key]
    return NikProblem(field, code, str(template % params) if params else str(template))


def check_nik(nik: str, *, birth_date: date | None = None, sex: str | None = None) -> list[NikProblem]:
    """Every problem of a NIK, and its contradictions with the birth date and sex (FHIR code) given."""
    try:
        facts = _decode(nik)
    except ValidationError as exc:
        return [NikProblem("nik", exc.code or "nik_format", exc.messages[0])]
    problems = []
    if regency(facts.regency_code) is None:
        problems.append(_problem("nik", "nik_regency", "nik_regency", {"code": facts.regency_code}))
    if birth_date is not None and (birth_date.day, birth_date.month, birth_date.year % 100) != (
        facts.birth_day,
        facts.birth_month,
        facts.birth_year_2digits,
    ):
        encoded = {
            "day": f"{facts.birth_day:02d}",
            "month": f"{facts.birth_month:02d}",
            "year": f"{facts.birth_year_2digits:02d}",
        }
        problems.append(_problem("birth_date", "nik_birth_date_mismatch", "birth_date_mismatch", encoded))
    if sex == "male" and facts.female:
        problems.append(_problem("sex", "nik_sex_mismatch", "sex_mismatch_female"))
    elif sex == "female" and not facts.female:
        problems.append(_problem("sex", "nik_sex_mismatch", "sex_mismatch_male"))
    return problems
