"""Checks of a patient's registration details: pure functions, no database write.

``validate_registration`` returns the field errors of one patient's details without
touching the database (the spreadsheet import calls it for each row);
``find_duplicates`` and ``find_duplicates_bulk`` ask the database which registered
patients the details collide with (same NIK: refused; same name and birth date: a possible
duplicate that must be confirmed). The services in ``nyeri.clinical.services`` write.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date
from functools import partial

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from nyeri.clinical.models import AdministrativeSex, NoNikReason, OtherIdentifierKind, Patient
from nyeri.lib.services import Errors, add_error
from nyeri.regions import provinces
from nyeri.regions import regencies as all_regencies
from nyeri.regions import regency as find_regency
from nyeri.regions.nik import check_nik

PHONE = re.compile(r"^\+?[0-9][0-9 \-]{5,38}$")
DIGITS = re.compile(r"^[0-9]+$")
# SATUSEHAT's patient IHS numbers are digits, as issued with a leading "P" (P02478375538).
IHS_NUMBER = re.compile(r"^P?[0-9]+$")
# The demographic fields of a patient that registration sets and an edit may change.
DEMOGRAPHIC_FIELDS = (
    "full_name",
    "nik",
    "no_nik_reason",
    "other_identifier_kind",
    "other_identifier",
    "birth_date",
    "sex",
    "phone",
    "address",
    "regency_code",
    "ihs_number",
)
# Rows per query of find_duplicates_bulk.
BULK_CHUNK = 500


def name_key(full_name: str) -> str:
    """What the duplicate check compares: the name in lower case without spaces (as ``Patient.name_key``)."""
    return "".join(full_name.split()).lower()


@dataclass(frozen=True)
class PatientDetails:
    """A patient's demographics as entered (a form, an API body, a spreadsheet row)."""

    full_name: str
    birth_date: date | None
    sex: str
    nik: str = ""
    no_nik_reason: str = ""
    other_identifier_kind: str = ""
    other_identifier: str = ""
    phone: str = ""
    address: str = ""
    regency_code: str = ""
    ihs_number: str = ""

    def cleaned(self) -> PatientDetails:
        """Spaces trimmed (and collapsed in the name); spaces and dots removed from NIKs."""
        return replace(
            self,
            full_name=" ".join(self.full_name.split()),
            sex=self.sex.strip(),
            nik=_compact(self.nik),
            no_nik_reason=self.no_nik_reason.strip(),
            other_identifier_kind=self.other_identifier_kind.strip(),
            other_identifier=(
                _compact(self.other_identifier)
                if self.other_identifier_kind.strip() == OtherIdentifierKind.MOTHER_NIK
                else self.other_identifier.strip()
            ),
            phone=self.phone.strip(),
            address=" ".join(self.address.split()),
            regency_code=self.regency_code.strip(),
            ihs_number=self.ihs_number.strip(),
        )

    @classmethod
    def of(cls, patient: Patient) -> PatientDetails:
        return cls(**{f.name: getattr(patient, f.name) for f in fields(cls)})

    def as_dict(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _compact(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value)


def validate_registration(details: PatientDetails, *, today: date | None = None) -> Errors:
    """The errors of ``details`` (cleaned first), by field; empty when they are valid. No query.

    Checks: a name; a birth date not in the future; a sex of the list; a NIK that is what it
    encodes (16 digits, a known province and regency, the birth date and sex of the form:
    ``nyeri.regions.nik.check_nik``), or, without a NIK, a reason and another identifier (a
    mother's NIK is itself checked); a known regency; a plausible phone number.
    """
    d = details.cleaned()
    # Callers pass the registering facility's day (clinical/services.py); the installation's
    # day is only for a check without a facility (a test, a dry run).
    today = today or timezone.localdate()
    errors: Errors = {}
    add = partial(add_error, errors)

    if not d.full_name:
        add("full_name", _("Enter the patient's full name."))
    elif len(d.full_name) > 200:
        add("full_name", _("The name is longer than %(max)d characters.") % {"max": 200})
    if d.birth_date is None:
        add("birth_date", _("Enter the birth date."))
    elif d.birth_date > today:
        add("birth_date", _("The birth date is in the future."))
    elif d.birth_date.year < 1900:
        add("birth_date", _("The birth date is before 1900."))
    if d.sex not in AdministrativeSex.values:
        add("sex", _("Choose the sex from the list."))
    if d.nik:
        birth_date = d.birth_date if "birth_date" not in errors else None
        sex = d.sex if d.sex in (AdministrativeSex.FEMALE, AdministrativeSex.MALE) else None
        for problem in check_nik(d.nik, birth_date=birth_date, sex=sex):
            add(problem.field if problem.field in DEMOGRAPHIC_FIELDS else "nik", str(problem.message))
        if d.no_nik_reason:
            add("no_nik_reason", _("A patient with a NIK needs no reason for not having one."))
    else:
        if not d.no_nik_reason:
            add("no_nik_reason", _("Without a NIK, give the reason (foreign national, newborn or unknown)."))
        elif d.no_nik_reason not in NoNikReason.values:
            add("no_nik_reason", _("Choose the reason from the list."))
        if not d.other_identifier:
            add("other_identifier", _("Without a NIK, give another identifier (e.g. a passport number)."))
    if d.other_identifier or d.other_identifier_kind:
        if d.other_identifier_kind not in OtherIdentifierKind.values:
            add("other_identifier_kind", _("Choose the kind of the other identifier."))
        elif d.other_identifier_kind == OtherIdentifierKind.MOTHER_NIK and d.other_identifier:
            for problem in check_nik(d.other_identifier):
                add("other_identifier", _("The mother's NIK: %(problem)s") % {"problem": problem.message})
        if not d.other_identifier:
            add("other_identifier", _("Enter the other identifier."))
        elif len(d.other_identifier) > 40:
            add("other_identifier", _("The identifier is longer than %(max)d characters.") % {"max": 40})
    if d.regency_code and find_regency(d.regency_code) is None:
        add("regency_code", _("No regency or city has the code %(code)s.") % {"code": d.regency_code})
    if d.phone and not PHONE.match(d.phone):
        add("phone", _("Enter a phone number of digits (a leading + and spaces are allowed)."))
    if len(d.address) > 300:
        add("address", _("The address is longer than %(max)d characters.") % {"max": 300})
    if d.ihs_number and (not IHS_NUMBER.match(d.ihs_number) or len(d.ihs_number) > 20):
        add("ihs_number", _("A SATUSEHAT patient identifier has up to 20 digits."))
    return errors


def regency_name(code: str) -> str:
    """The name of the regency or city ``code`` ("" when unknown or empty)."""
    found = find_regency(code) if code else None
    return str(getattr(found, "name", "")) if found is not None else ""


@dataclass(frozen=True)
class ExistingPatient:
    """A registered patient the details collide with, as an error names it."""

    id: int
    mrn: str
    full_name: str
    birth_date: date

    @property
    def url(self) -> str:
        return reverse("clinical:patient_detail", args=[self.id])

    @classmethod
    def of(cls, patient: Patient) -> ExistingPatient:
        return cls(id=patient.pk, mrn=patient.mrn, full_name=patient.full_name, birth_date=patient.birth_date)


@dataclass
class Duplicates:
    same_nik: ExistingPatient | None = None
    # Same name (case and spaces aside) and birth date; merged records left out.
    possible: list[ExistingPatient] = field(default_factory=list)
    mrn_taken: bool = False


_COLUMNS = ("pk", "mrn", "full_name", "birth_date", "nik", "name_key", "merged_into_id")


def find_duplicates(
    organization_id: int, details: PatientDetails, *, mrn: str = "", exclude_id: int | None = None
) -> Duplicates:
    """Who in the organization has the NIK, or the name and birth date, of ``details``; and
    whether the record number ``mrn`` is taken. One query (served by the NIK, record number
    and ``patient_duplicate_check`` indexes)."""
    d = details.cleaned()
    # The organization in each branch of the OR: each is then served by its own index
    # (SQLite's OR optimisation and PostgreSQL's BitmapOr), never by a scan of the organization.
    org = Q(organization_id=organization_id)
    condition = org & Q(name_key=name_key(d.full_name), birth_date=d.birth_date, merged_into__isnull=True)
    if d.nik:
        condition |= org & Q(nik=d.nik)
    if mrn:
        condition |= org & Q(mrn=mrn)
    rows = Patient.objects.filter(condition)
    if exclude_id is not None:
        rows = rows.exclude(pk=exclude_id)
    found = Duplicates()
    key = name_key(d.full_name)
    for pk, row_mrn, full_name, birth_date, nik, row_key, merged_into_id in rows.order_by("pk").values_list(*_COLUMNS):
        existing = ExistingPatient(id=pk, mrn=row_mrn, full_name=full_name, birth_date=birth_date)
        if d.nik and nik == d.nik:
            found.same_nik = existing
        if row_key == key and birth_date == d.birth_date and merged_into_id is None:
            found.possible.append(existing)
        if mrn and row_mrn == mrn:
            found.mrn_taken = True
    return found


def find_duplicates_bulk(
    organization_id: int, rows: Sequence[PatientDetails], *, mrns: Sequence[str] = ()
) -> list[Duplicates]:
    """``find_duplicates`` for many rows (an import): one query per ``BULK_CHUNK`` rows.

    Rows of the batch are also compared with each other: a NIK or a name and birth date
    that appears twice in it is reported on its later rows (with id 0: not registered yet).
    """
    cleaned = [r.cleaned() for r in rows]
    mrn_list = list(mrns) or [""] * len(cleaned)
    results = [Duplicates() for _ in cleaned]
    for start in range(0, len(cleaned), BULK_CHUNK):
        chunk = cleaned[start : start + BULK_CHUNK]
        niks = {d.nik for d in chunk if d.nik}
        keys = {name_key(d.full_name) for d in chunk}
        dates = {d.birth_date for d in chunk if d.birth_date is not None}
        chunk_mrns = {m for m in mrn_list[start : start + BULK_CHUNK] if m}
        org = Q(organization_id=organization_id)
        condition = org & Q(name_key__in=keys, birth_date__in=dates, merged_into__isnull=True)
        if niks:
            condition |= org & Q(nik__in=niks)
        if chunk_mrns:
            condition |= org & Q(mrn__in=chunk_mrns)
        by_nik: dict[str, ExistingPatient] = {}
        by_person: dict[tuple[str, date], list[ExistingPatient]] = {}
        taken: set[str] = set()
        found = Patient.objects.filter(condition).order_by("pk")
        for pk, row_mrn, full_name, birth_date, nik, row_key, merged_into_id in found.values_list(*_COLUMNS):
            existing = ExistingPatient(id=pk, mrn=row_mrn, full_name=full_name, birth_date=birth_date)
            if nik:
                by_nik[nik] = existing
            if merged_into_id is None:
                by_person.setdefault((row_key, birth_date), []).append(existing)
            taken.add(row_mrn)
        for offset, d in enumerate(chunk):
            result = results[start + offset]
            result.same_nik = by_nik.get(d.nik) if d.nik else None
            if d.birth_date is not None:
                result.possible = list(by_person.get((name_key(d.full_name), d.birth_date), []))
            result.mrn_taken = bool(mrn_list[start + offset]) and mrn_list[start + offset] in taken
    seen_nik: dict[str, int] = {}
    seen_person: dict[tuple[str, date | None], int] = {}
    seen_mrn: set[str] = set()
    for index, d in enumerate(cleaned):
        earlier = ExistingPatient(id=0, mrn="", full_name=d.full_name, birth_date=d.birth_date or date.min)
        if d.nik:
            if d.nik in seen_nik and results[index].same_nik is None:
                results[index].same_nik = earlier
            seen_nik.setdefault(d.nik, index)
        person = (name_key(d.full_name), d.birth_date)
        if person in seen_person:
            results[index].possible.append(earlier)
        seen_person.setdefault(person, index)
        if mrn_list[index]:
            if mrn_list[index] in seen_mrn:
                results[index].mrn_taken = True
            seen_mrn.add(mrn_list[index])
    return results


def changed_fields(before: PatientDetails, after: PatientDetails) -> list[str]:
    return [name for name in DEMOGRAPHIC_FIELDS if getattr(before, name) != getattr(after, name)]


def as_text(value: object) -> str:
    """How a history row keeps a value."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def iter_errors(errors: Errors) -> Iterable[tuple[str, str]]:
    for name, messages in errors.items():
        for message in messages:
            yield name, message


def regency_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The regencies and cities of ``nyeri.regions``, grouped by province, for a select."""
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    for prov in provinces():
        code = str(prov.code)
        members = [(r.code, r.name) for r in all_regencies(code)]
        if members:
            groups.append((str(prov.name), sorted(members, key=lambda m: m[1])))
    return groups
