"""The downloadable templates: the headers in the active language, an example row, and (XLSX)
a notes sheet explaining each column. Importing a template as downloaded adds its example."""

from __future__ import annotations

import csv
import io
from datetime import date

from django.utils.translation import gettext as _

from nyeri.clinical.models import AdministrativeSex
from nyeri.imports.columns import PATIENT_COLUMNS, STAFF_COLUMNS, Column
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import Role
from nyeri.workforce.kinds import Citizenship, CredentialKind

# NIKs whose birth dates and sex agree with the examples (Kota Bandung, 32.73.01).
STAFF_EXAMPLE_NIK = "3273012003850002"
PATIENT_EXAMPLE_NIK = "3273014507900001"


def _example(what: str, facility: Facility | None) -> dict[str, object]:
    code = facility.code if facility is not None else ""
    if what == "staff":
        return {
            "full_name": "Ns. Budi Santoso, S.Kep",
            "nik": STAFF_EXAMPLE_NIK,
            "email": "budi@example.org",
            "phone": "+62 812 0000 0001",
            "citizenship": str(Citizenship.CITIZEN.label),
            "roles": str(Role.NURSE.label),
            "facilities": code,
            "credential_kind": str(CredentialKind.REGISTRATION.label),
            "credential_number": "STR-EXAMPLE-0001",
            "issuer": "Konsil Kesehatan Indonesia",
            "issued_on": date(2020, 1, 15),
        }
    return {
        "mrn": "RM-EXAMPLE-0001",
        "nik": PATIENT_EXAMPLE_NIK,
        "full_name": "Sri Wahyuni",
        "birth_date": date(1990, 7, 5),
        "sex": str(AdministrativeSex.FEMALE.label),
        "facility": code,
        "phone": "+62 812 0000 0002",
        "address": "Jl. Merdeka 1",
        "regency_code": facility.regency_code if facility is not None else "",
    }


def columns_of(what: str) -> tuple[Column, ...]:
    return STAFF_COLUMNS if what == "staff" else PATIENT_COLUMNS


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def template_csv(what: str, facility: Facility | None) -> bytes:
    columns = columns_of(what)
    example = _example(what, facility)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.header for c in columns])
    writer.writerow([_text(example.get(c.key, "")) for c in columns])
    # A BOM: spreadsheet programs then open the file as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(what: str, facility: Facility | None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    columns = columns_of(what)
    example = _example(what, facility)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("Staff") if what == "staff" else _("Patients")
    sheet.append([c.header for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.append([example.get(c.key) for c in columns])
    for n, column in enumerate(columns, start=1):
        letter = sheet.cell(row=1, column=n).column_letter
        sheet.column_dimensions[letter].width = max(14, len(column.header) + 4)
        value = example.get(column.key)
        # NIKs and other numbers that are codes stay text: a number cell would lose digits.
        cell = sheet.cell(row=2, column=n)
        cell.number_format = "yyyy-mm-dd" if isinstance(value, date) else "@"
    notes = book.create_sheet(_("Notes"))
    notes.append([_("Column"), _("Required"), _("What to enter")])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for column in columns:
        notes.append([column.header, _("yes") if column.required else _("no"), str(column.note)])
    notes.append([])
    notes.append([_("The first sheet is imported; its first row holds the headers (in English or Indonesian).")])
    notes.append([_("Choices (roles, kinds, sex, ...) may be written as in the interface, in either language.")])
    notes.column_dimensions["A"].width = 28
    notes.column_dimensions["C"].width = 100
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
