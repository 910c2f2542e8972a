"""Importing staff (with their credentials) and patients from a spreadsheet.

``import_staff`` and ``import_patients`` read the file (its type decided by its content),
check every cell, every row against the others (one person per NIK, one credential per
kind and number) and against what is recorded, and return a report of every problem as
row, column and reason. Nothing is written unless every row is valid and it is not a dry
run; then everything is written in one transaction by the workforce and clinical bulk
services, with one audit row per created person, credential or patient and a summary row
for the import. A dry run and a refused import are audited too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditOutcome
from nyeri.audit.services import record_access_denied, record_event
from nyeri.clinical import bulk as patient_bulk
from nyeri.clinical.models import AdministrativeSex, NoNikReason, OtherIdentifierKind
from nyeri.clinical.registration import PatientDetails
from nyeri.imports import cells, storage
from nyeri.imports.columns import PATIENT_COLUMNS, STAFF_COLUMNS, Column, column_of, key_of_header
from nyeri.imports.reading import Cell, Sheet, read_sheet
from nyeri.lib.services import check_acting_user
from nyeri.regions.nik import check_nik
from nyeri.tenancy.clock import latest_today
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from nyeri.tenancy.selectors import facilities_for
from nyeri.workforce import bulk as staff_bulk
from nyeri.workforce.credentials.services import FIELDS as CREDENTIAL_FIELDS
from nyeri.workforce.credentials.services import SUBMITTER_ROLES
from nyeri.workforce.kinds import (
    CheckKind,
    CheckResult,
    Citizenship,
    CredentialKind,
    EmployerKind,
    Specialty,
)

STAFF = "staff"
PATIENTS = "patients"
HEADER_ROW = 1

# Where a service's field problem is shown: the column of the spreadsheet.
_STAFF_FIELD_COLUMNS = {
    "full_name": "full_name",
    "nik": "nik",
    "citizenship": "citizenship",
    "email": "email",
    "phone": "phone",
    "roles": "roles",
    "facilities": "facilities",
    "kind": "credential_kind",
    "number": "credential_number",
    "facility": "credential_facility",
    # The credential's other data fields keep their names as columns.
    **{name: name for name in CREDENTIAL_FIELDS if name not in {"number", "facility"}},
}
_PATIENT_FIELD_COLUMNS = {
    **{
        name: name
        for name in (
            "mrn",
            "nik",
            "no_nik_reason",
            "other_identifier_kind",
            "other_identifier",
            "full_name",
            "birth_date",
            "sex",
            "phone",
            "address",
            "regency_code",
        )
    },
    "registered_at": "facility",
}
_CREDENTIAL_COLUMNS = (
    "credential_kind",
    "credential_number",
    "issuer",
    "issued_on",
    "expires_on",
    "credential_facility",
    "issuer_regency_code",
    "specialty",
    "title",
    "exam_passed_on",
    "hours",
    "check_kind",
    "check_result",
    "valid_months",
    "employer_kind",
    "months",
)
_CREDENTIAL_CHOICES: dict[str, type[Any]] = {
    "specialty": Specialty,
    "check_kind": CheckKind,
    "check_result": CheckResult,
    "employer_kind": EmployerKind,
}
_CREDENTIAL_DATES = ("issued_on", "expires_on", "exam_passed_on")
_PERSON_COLUMNS = ("full_name", "citizenship", "email", "phone", "roles", "facilities")


@dataclass(frozen=True)
class Problem:
    """One problem of the file: its row (1 is the header row), its column's header, the reason."""

    row: int
    column: str
    reason: str


@dataclass
class ImportReport:
    what: str
    sha256: str
    dry_run: bool
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


class _Rows:
    """The sheet's cells by column key, collecting problems as row, column key and reason."""

    def __init__(self, columns: tuple[Column, ...], sheet: Sheet) -> None:
        self.columns = columns
        self.sheet = sheet
        self.index: dict[str, int] = {}
        self.problems: list[tuple[int, str, str]] = []
        for position, header in enumerate(sheet.headers):
            if not header.strip():
                continue
            key = key_of_header(columns, header)
            if key is None:
                self.problems.append(
                    (HEADER_ROW, "", _("Unknown column “%(header)s”: use the template's headers.") % {"header": header})
                )
            elif key in self.index:
                self.problems.append((HEADER_ROW, key, _("This column appears twice.")))
            else:
                self.index[key] = position
        for column in columns:
            if column.required and column.key not in self.index:
                self.problems.append((HEADER_ROW, column.key, _("This required column is missing.")))

    def cell(self, cells_: list[Cell], key: str) -> Cell:
        position = self.index.get(key)
        if position is None or position >= len(cells_):
            return None
        return cells_[position]

    def add(self, row: int, key: str, reason: str) -> None:
        self.problems.append((row, key, reason))

    def report(self, report: ImportReport) -> None:
        order = {c.key: n for n, c in enumerate(self.columns)}
        self.problems.sort(key=lambda p: (p[0], order.get(p[1], -1), p[2]))
        seen: set[tuple[int, str, str]] = set()
        for row, key, reason in self.problems:
            if (row, key, reason) in seen:
                continue
            seen.add((row, key, reason))
            header = column_of(self.columns, key).header if key else ""
            report.problems.append(Problem(row=row, column=header, reason=reason))


def nik_problems(value: str, *, birth_date: date | None = None, sex: str | None = None) -> list[tuple[str, str]]:
    """The problems of a NIK as (column key, reason): its format, province, regency, encoded
    birth date, and its contradictions with the birth date and sex given (nyeri.regions)."""
    return [(problem.field, problem.message) for problem in check_nik(value, birth_date=birth_date, sex=sex)]


def _facilities(scope: Scope) -> dict[str, Facility]:
    return {f.code.casefold(): f for f in facilities_for(scope)}


def _audit_run(scope: Scope, acting_user: User, report: ImportReport, *, source: str) -> None:
    """The import's own audit row: a dry run (read), an import written, or one refused."""
    summary = (
        f"{report.what} import of {source}: {report.rows} rows, {len(report.problems)} problems; "
        f"created {report.created}; unchanged {report.unchanged}"
    )
    if report.dry_run:
        action, outcome, reason = AuditAction.READ, AuditOutcome.SUCCESS, f"dry run; {summary}"
    elif report.written:
        action, outcome, reason = AuditAction.CREATE, AuditOutcome.SUCCESS, summary
    else:
        action, outcome, reason = AuditAction.CREATE, AuditOutcome.FAILURE, f"refused; {summary}"
    record_event(
        actor=acting_user,
        action=action,
        outcome=outcome,
        organization=scope.organization,
        object_type=f"{report.what}_import",
        object_id=report.sha256[:64],
        reason=reason,
    )


@contextmanager
def _refusal_audited(scope: Scope, acting_user: User, report: ImportReport, *, source: str) -> Iterator[None]:
    """An import refused by a service (a race on a NIK) is audited after its rollback, then re-raised."""
    try:
        yield
    except ValidationError as refused:
        report.problems.append(Problem(row=0, column="", reason=" ".join(refused.messages)))
        with transaction.atomic():
            _audit_run(scope, acting_user, report, source=source)
        raise


# --- Who may ------------------------------------------------------------------------------


def may_import_staff(scope: Scope) -> bool:
    return scope.has_role(*SUBMITTER_ROLES)


def may_import_patients(scope: Scope) -> bool:
    return patient_bulk.may_import_patients(scope)


def may_import(scope: Scope, what: str) -> bool:
    return may_import_staff(scope) if what == STAFF else may_import_patients(scope)


def ensure_may_import(scope: Scope, what: str) -> None:
    """Refuse (audited) a user who may not run this import."""
    if not may_import(scope, what):
        record_access_denied(
            actor=scope.user,
            organization=scope.organization,
            object_type=f"{what}_import",
            reason="no role that may import",
        )
        raise PermissionDenied


# --- Uploads ------------------------------------------------------------------------------


def stored_upload(*, scope: Scope, sha256: str) -> bytes:
    """An upload kept by an earlier dry run of this organization; Http404 when there is none."""
    content = storage.load(scope.organization.pk, sha256)
    if content is None:
        raise Http404("No such upload")
    return content


# --- Staff ------------------------------------------------------------------------------


def _credential_fields(
    rows: _Rows, number: int, values: list[Cell], facilities: dict[str, Facility]
) -> dict[str, Any] | None:
    """The credential of a row as submit_credential takes it; None when the row has none or a bad cell."""
    present = [key for key in _CREDENTIAL_COLUMNS if cells.text(rows.cell(values, key))]
    if not present:
        return None
    kind_text = cells.text(rows.cell(values, "credential_kind"))
    if not kind_text:
        rows.add(number, "credential_kind", _("Give the kind of credential, or leave the credential columns empty."))
        return None
    ok = True
    fields: dict[str, Any] = {}
    try:
        fields["kind"] = cells.choice(kind_text, CredentialKind)
    except cells.CellError as exc:
        rows.add(number, "credential_kind", str(exc))
        ok = False
    fields["number"] = cells.text(rows.cell(values, "credential_number"))
    if not fields["number"]:
        rows.add(number, "credential_number", _("Give the credential's number."))
        ok = False
    for key in ("issuer", "title", "issuer_regency_code", "hours", "valid_months", "months"):
        fields[key] = cells.text(rows.cell(values, key))
    # "In the future" before the row's facility is read: the latest "today" of Indonesia's zones.
    today = latest_today()
    for key in _CREDENTIAL_DATES:
        try:
            fields[key] = cells.day(rows.cell(values, key))
        except cells.CellError as exc:
            rows.add(number, key, str(exc))
            ok = False
            continue
        if key != "expires_on" and fields[key] is not None and fields[key] > today:
            rows.add(number, key, _("This date is in the future."))
            ok = False
    for key, kinds in _CREDENTIAL_CHOICES.items():
        try:
            fields[key] = cells.choice(rows.cell(values, key), kinds)
        except cells.CellError as exc:
            rows.add(number, key, str(exc))
            ok = False
    code = cells.text(rows.cell(values, "credential_facility"))
    fields["facility"] = None
    if code:
        fields["facility"] = facilities.get(code.casefold())
        if fields["facility"] is None:
            rows.add(number, "credential_facility", _("Unknown facility code: %(code)s.") % {"code": code})
            ok = False
    return fields if ok else None


def _person(rows: _Rows, number: int, values: list[Cell], facilities: dict[str, Facility]) -> dict[str, Any] | None:
    ok = True
    person: dict[str, Any] = {
        "full_name": cells.text(rows.cell(values, "full_name")),
        "email": cells.text(rows.cell(values, "email")),
        "phone": cells.text(rows.cell(values, "phone")),
    }
    if not person["full_name"]:
        rows.add(number, "full_name", _("This field cannot be blank."))
        ok = False
    try:
        person["citizenship"] = cells.choice(rows.cell(values, "citizenship"), Citizenship)
    except cells.CellError as exc:
        rows.add(number, "citizenship", str(exc))
        ok = False
    else:
        if not person["citizenship"]:
            rows.add(number, "citizenship", _("This field cannot be blank."))
            ok = False
    try:
        person["roles"] = tuple(sorted(set(cells.choices(rows.cell(values, "roles"), Role))))
    except cells.CellError as exc:
        rows.add(number, "roles", str(exc))
        ok = False
    else:
        if not person["roles"]:
            rows.add(number, "roles", _("Choose at least one role."))
            ok = False
    found: list[Facility] = []
    for code in cells.split(rows.cell(values, "facilities")):
        facility = facilities.get(code.casefold())
        if facility is None:
            rows.add(number, "facilities", _("Unknown facility code: %(code)s.") % {"code": code})
            ok = False
        else:
            found.append(facility)
    person["facilities"] = tuple(sorted({f.pk: f for f in found}.values(), key=lambda f: f.pk))
    return person if ok else None


def _parse_staff(scope: Scope, rows: _Rows) -> tuple[list[staff_bulk.PersonIn], list[staff_bulk.CredentialIn]]:
    facilities = _facilities(scope)
    people: dict[str, tuple[int, dict[str, Any]]] = {}
    credentials: list[staff_bulk.CredentialIn] = []
    for number, values in rows.sheet.rows:
        try:
            nik = cells.nik(rows.cell(values, "nik"))
        except cells.CellError as exc:
            rows.add(number, "nik", str(exc))
            nik = ""
        else:
            if not nik:
                rows.add(number, "nik", _("This field cannot be blank."))
            for key, reason in nik_problems(nik) if nik else []:
                rows.add(number, key, reason)
                nik = ""
        person = _person(rows, number, values, facilities)
        credential = _credential_fields(rows, number, values, facilities)
        if not nik or person is None:
            continue
        if nik in people:
            first_row, first = people[nik]
            differing = [key for key in _PERSON_COLUMNS if first[key] != person[key]]
            if differing:
                rows.add(
                    number,
                    "nik",
                    _("This NIK is already in row %(row)d with other details (%(columns)s): one NIK, one person.")
                    % {
                        "row": first_row,
                        "columns": ", ".join(column_of(rows.columns, k).header for k in differing),
                    },
                )
                continue
        else:
            people[nik] = (number, person)
        if credential is not None:
            kind = credential.pop("kind")
            credentials.append(staff_bulk.CredentialIn(ref=number, nik=nik, kind=kind, fields=credential))
    people_in = [staff_bulk.PersonIn(ref=row, nik=nik, **details) for nik, (row, details) in people.items()]
    return people_in, credentials


def import_staff(*, scope: Scope, acting_user: User, content: bytes, dry_run: bool, source: str = "") -> ImportReport:
    """Import staff and their credentials from ``content`` (XLSX or CSV); see the module's doc."""
    check_acting_user(scope, acting_user)
    ensure_may_import(scope, STAFF)
    sheet = read_sheet(content)
    report = ImportReport(what=STAFF, sha256=storage.keep(scope.organization.pk, content), dry_run=dry_run)
    report.rows = len(sheet.rows)
    rows = _Rows(STAFF_COLUMNS, sheet)
    label = source or report.sha256[:12]
    with _refusal_audited(scope, acting_user, report, source=label), transaction.atomic():
        if not rows.problems:
            people, credentials = _parse_staff(scope, rows)
            plan = staff_bulk.import_staff(
                scope=scope,
                acting_user=acting_user,
                people=people,
                credentials=credentials,
                source=f"spreadsheet {label}",
                # Rows with a bad cell are left out of the plan: it must not write.
                dry_run=dry_run or bool(rows.problems),
            )
            for problem in plan.problems:
                rows.add(problem.ref, _STAFF_FIELD_COLUMNS.get(problem.field, ""), problem.message)
            report.created = {"people": len(plan.new_people), "credentials": len(plan.new_credentials)}
            report.unchanged = {"people": plan.unchanged_people, "credentials": plan.unchanged_credentials}
            report.written = plan.written
        rows.report(report)
        _audit_run(scope, acting_user, report, source=label)
        if report.written:
            transaction.on_commit(lambda: storage.discard(scope.organization.pk, report.sha256))
    return report


# --- Patients ---------------------------------------------------------------------------


def _parse_patients(scope: Scope, rows: _Rows) -> list[patient_bulk.PatientIn]:
    facilities = _facilities(scope)
    patients: list[patient_bulk.PatientIn] = []
    niks: dict[str, int] = {}
    others: dict[tuple[str, str], int] = {}
    for number, values in rows.sheet.rows:
        ok = True
        chosen: dict[str, str] = {}
        for key, kinds in (
            ("sex", AdministrativeSex),
            ("no_nik_reason", NoNikReason),
            ("other_identifier_kind", OtherIdentifierKind),
        ):
            try:
                chosen[key] = cells.choice(rows.cell(values, key), kinds)
            except cells.CellError as exc:
                rows.add(number, key, str(exc))
                chosen[key], ok = "", False
        try:
            nik = cells.nik(rows.cell(values, "nik"))
        except cells.CellError as exc:
            rows.add(number, "nik", str(exc))
            nik, ok = "", False
        try:
            birth_date = cells.day(rows.cell(values, "birth_date"))
        except cells.CellError as exc:
            rows.add(number, "birth_date", str(exc))
            birth_date, ok = None, False
        code = cells.text(rows.cell(values, "facility"))
        facility = facilities.get(code.casefold()) if code else None
        if code and facility is None:
            rows.add(number, "facility", _("Unknown facility code: %(code)s.") % {"code": code})
            ok = False
        details = PatientDetails(
            full_name=cells.text(rows.cell(values, "full_name")),
            birth_date=birth_date,
            sex=chosen["sex"],
            nik=nik,
            no_nik_reason=chosen["no_nik_reason"],
            other_identifier_kind=chosen["other_identifier_kind"],
            other_identifier=cells.text(rows.cell(values, "other_identifier")),
            phone=cells.text(rows.cell(values, "phone")),
            address=cells.text(rows.cell(values, "address")),
            regency_code=cells.text(rows.cell(values, "regency_code")),
        ).cleaned()
        if details.nik:
            if details.nik in niks:
                rows.add(
                    number, "nik", _("This NIK is already in row %(row)d of this file.") % {"row": niks[details.nik]}
                )
                ok = False
            else:
                niks[details.nik] = number
        elif details.other_identifier:
            identifier = (details.other_identifier_kind, details.other_identifier)
            if identifier in others:
                rows.add(
                    number,
                    "other_identifier",
                    _("This identifier is already in row %(row)d of this file.") % {"row": others[identifier]},
                )
                ok = False
            else:
                others[identifier] = number
        if ok:
            patients.append(
                patient_bulk.PatientIn(
                    ref=number, facility=facility, details=details, mrn=cells.text(rows.cell(values, "mrn"))
                )
            )
    return patients


def import_patients(
    *, scope: Scope, acting_user: User, content: bytes, dry_run: bool, source: str = ""
) -> ImportReport:
    """Import patients from ``content`` (XLSX or CSV); see the module's doc."""
    check_acting_user(scope, acting_user)
    ensure_may_import(scope, PATIENTS)
    sheet = read_sheet(content)
    report = ImportReport(what=PATIENTS, sha256=storage.keep(scope.organization.pk, content), dry_run=dry_run)
    report.rows = len(sheet.rows)
    rows = _Rows(PATIENT_COLUMNS, sheet)
    label = source or report.sha256[:12]
    with _refusal_audited(scope, acting_user, report, source=label), transaction.atomic():
        if not rows.problems:
            patients = _parse_patients(scope, rows)
            plan = patient_bulk.import_patients(
                scope=scope,
                acting_user=acting_user,
                patients=patients,
                # Rows with a bad cell are left out of the plan: it must not write.
                dry_run=dry_run or bool(rows.problems),
            )
            for problem in plan.problems:
                rows.add(problem.ref, _PATIENT_FIELD_COLUMNS.get(problem.field, ""), problem.message)
            report.created = {"patients": len(plan.new_patients)}
            report.unchanged = {"patients": plan.unchanged}
            report.written = plan.written
        rows.report(report)
        _audit_run(scope, acting_user, report, source=label)
        if report.written:
            transaction.on_commit(lambda: storage.discard(scope.organization.pk, report.sha256))
    return report
