"""Reading an uploaded spreadsheet: its type decided by its content, its rows as text cells.

An XLSX file is a ZIP archive holding ``xl/workbook.xml``; a CSV file is UTF-8 text
(comma- or semicolon-separated, as spreadsheet programs save it in either language). The
file's name and the type the browser claimed are not trusted: a PDF renamed ``.xlsx`` is
refused.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

XLSX = "xlsx"
CSV = "csv"
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
# Signatures of files that are surely not spreadsheets we read.
_NOT_SPREADSHEETS: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "PDF"),
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"\xd0\xcf\x11\xe0", "XLS"),
)

Cell = str | int | float | date | datetime | None


@dataclass(frozen=True)
class Sheet:
    """The header row and the data rows (each with its row number as the spreadsheet shows it)."""

    headers: list[str]
    rows: list[tuple[int, list[Cell]]]


def max_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def check_size(size: int) -> None:
    """Refuse an empty file or one over the limit (before reading it)."""
    if not size:
        raise ValidationError({"file": [_("The file is empty.")]})
    if size > max_bytes():
        raise ValidationError(
            {
                "file": [
                    _("The file is %(size)s; files of at most %(limit)s are accepted.")
                    % {"size": filesizeformat(size), "limit": filesizeformat(max_bytes())}
                ]
            }
        )


def file_type(content: bytes) -> str:
    """XLSX or CSV, decided by the bytes; ValidationError (on ``file``) for anything else."""
    check_size(len(content))
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                if "xl/workbook.xml" in archive.namelist():
                    return XLSX
        except zipfile.BadZipFile:
            pass
    for magic, name in _NOT_SPREADSHEETS:
        if content.startswith(magic):
            if name == "XLS":
                raise ValidationError(
                    {"file": [_("This is an old Excel file (.xls): save it as .xlsx or .csv and upload it again.")]}
                )
            raise ValidationError(
                {
                    "file": [
                        _("This file is a %(type)s, not a spreadsheet: upload an .xlsx or .csv file.") % {"type": name}
                    ]
                }
            )
    head = content[:65536]
    if b"\x00" not in head and not head.startswith(b"PK"):
        try:
            content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(
                {"file": [_("The CSV file is not UTF-8 text: save it as “CSV UTF-8” and upload it again.")]}
            ) from None
        return CSV
    raise ValidationError(
        {"file": [_("This file is not a spreadsheet (its content was checked, not its name): upload .xlsx or .csv.")]}
    )


def _rows_xlsx(content: bytes) -> Iterator[list[Cell]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors for a damaged file
        raise ValidationError({"file": [_("The XLSX file could not be read: it is damaged.")]}) from None
    try:
        sheet = book.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_cell(v) for v in values]
    finally:
        book.close()


def _cell(value: Any) -> Cell:
    if value is None or isinstance(value, str | int | float | date | datetime):
        return value
    return str(value)


def _rows_csv(content: bytes) -> Iterator[list[Cell]]:
    text = content.decode("utf-8-sig")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _blank(cells: list[Cell]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def read_sheet(content: bytes) -> Sheet:
    """The first sheet (XLSX) or the file (CSV): its headers and its non-empty rows."""
    kind = file_type(content)
    rows = _rows_xlsx(content) if kind == XLSX else _rows_csv(content)
    headers: list[str] | None = None
    data: list[tuple[int, list[Cell]]] = []
    for number, cells in enumerate(rows, start=1):
        if headers is None:
            if _blank(cells):
                continue
            headers = ["" if c is None else str(c) for c in cells]
            continue
        if _blank(cells):
            continue
        data.append((number, cells))
        if len(data) > MAX_ROWS:
            raise ValidationError(
                {"file": [_("The file has more than %(max)d rows: split it into several files.") % {"max": MAX_ROWS}]}
            )
    if headers is None:
        raise ValidationError({"file": [_("The file has no header row.")]})
    return Sheet(headers=headers, rows=data)
