"""The columns of the two spreadsheets: their keys, headers (in both languages), notes and examples.

A header is recognised in either language (and by its key), whatever the case; the
template is written in the active language.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

LANGUAGES = ("en", "id")


@dataclass(frozen=True)
class Column:
    key: str
    label: Promise
    note: Promise
    required: bool = False

    @property
    def header(self) -> str:
        return str(self.label)


STAFF_COLUMNS: tuple[Column, ...] = (
    Column("full_name", _("Full name"), _("The person's full name, with titles."), required=True),
    Column(
        "nik",
        _("NIK"),
        _("National identity number: 16 digits, entered as text. The same person on several rows has the same NIK."),
        required=True,
    ),
    Column("email", _("E-mail"), _("Optional.")),
    Column("phone", _("Phone"), _("Optional.")),
    Column("citizenship", _("Citizenship"), _("Citizen or foreign national."), required=True),
    Column(
        "roles", _("Roles"), _("One or more roles, separated by commas (e.g. nurse, pain physician)."), required=True
    ),
    Column("facilities", _("Facilities"), _("Codes of the facilities where the person works, separated by commas.")),
    Column(
        "credential_kind",
        _("Credential kind"),
        _("Leave empty for a person without credentials. One row per credential: repeat the person's columns."),
    ),
    Column("credential_number", _("Credential number"), _("Required when a credential kind is given.")),
    Column("issuer", _("Issuer"), _("Who issued the credential.")),
    Column("issued_on", _("Issued on"), _("Date (YYYY-MM-DD or DD/MM/YYYY); not in the future.")),
    Column("expires_on", _("Expires on"), _("Last day of validity; empty when it does not expire.")),
    Column(
        "credential_facility",
        _("Credential facility"),
        _("Practice permit (SIP): the code of its practice place (also optional for a controlled-drug authorisation)."),
    ),
    Column(
        "issuer_regency_code",
        _("Issuer regency code"),
        _("Practice permit (SIP): Kemendagri code of the regency or city that issued it, e.g. 32.73."),
    ),
    Column("specialty", _("Specialty"), _("Residency, fellowship, board certification (optional for education, STR).")),
    Column("title", _("Title"), _("Optional: the name of the degree, course or certificate.")),
    Column("exam_passed_on", _("Exam passed on"), _("Pain nursing certification: date of the exam.")),
    Column("hours", _("Hours"), _("Pain-specific training: hours of the course.")),
    Column("check_kind", _("Check kind"), _("Background check: police record (SKCK), exclusion list, ...")),
    Column("check_result", _("Check result"), _("Background check: pending, passed or failed.")),
    Column("valid_months", _("Valid for (months)"), _("Background check: months of validity.")),
    Column("employer_kind", _("Employer kind"), _("Work experience: hospital, general clinic or pain clinic.")),
    Column("months", _("Months"), _("Work experience: number of months.")),
)

PATIENT_COLUMNS: tuple[Column, ...] = (
    Column(
        "mrn",
        _("Record number"),
        _("The medical record number the patient already has; empty: Nyeri gives the next number of the facility."),
    ),
    Column(
        "nik",
        _("NIK"),
        _("National identity number: 16 digits, entered as text; it must agree with the birth date and sex."),
    ),
    Column(
        "no_nik_reason",
        _("Reason for no NIK"),
        _("Without a NIK: foreign national, newborn or unknown (and give another identifier)."),
    ),
    Column(
        "other_identifier_kind",
        _("Other identifier kind"),
        _("Passport number, residence permit (KITAS/KITAP), mother's NIK or other identifier."),
    ),
    Column("other_identifier", _("Other identifier"), _("Its number. Recognises the patient when there is no NIK.")),
    Column("full_name", _("Full name"), _("The patient's full name."), required=True),
    Column("birth_date", _("Birth date"), _("Date (YYYY-MM-DD or DD/MM/YYYY)."), required=True),
    Column("sex", _("Sex"), _("Female, male, other or unknown."), required=True),
    Column("facility", _("Facility"), _("Code of the facility where the patient is registered."), required=True),
    Column("phone", _("Phone"), _("Optional.")),
    Column("address", _("Address"), _("Optional.")),
    Column("regency_code", _("Regency code"), _("Optional: Kemendagri code of the regency or city, e.g. 32.73.")),
)


def normalised_header(text: object) -> str:
    return " ".join(str(text or "").replace("*", " ").split()).casefold()


@cache
def _aliases(columns: tuple[Column, ...]) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for column in columns:
        aliases[normalised_header(column.key)] = column.key
        for language in LANGUAGES:
            with translation.override(language):
                aliases[normalised_header(str(column.label))] = column.key
    return aliases


def key_of_header(columns: tuple[Column, ...], header: object) -> str | None:
    """The column a header names, in either language; None if it names none."""
    return _aliases(columns).get(normalised_header(header))


def column_of(columns: tuple[Column, ...], key: str) -> Column:
    return next(c for c in columns if c.key == key)
