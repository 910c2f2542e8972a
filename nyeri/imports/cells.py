"""Turning spreadsheet cells into values, each with a translated reason when it is not one."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache

from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from nyeri.imports.columns import LANGUAGES
from nyeri.imports.reading import Cell


class CellError(ValueError):
    """A cell that does not hold what its column asks for; the message is for the person importing."""


def text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def nik(cell: Cell) -> str:
    """A NIK as text: a number cell is refused (a spreadsheet keeps only 15 digits of a number)."""
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        raise CellError(_("Enter the NIK as text: a number cell of a spreadsheet loses its last digits."))
    return re.sub(r"\s", "", text(cell))


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")


def day(cell: Cell) -> date | None:
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    value = text(cell)
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise CellError(_("“%(value)s” is not a date: write it as YYYY-MM-DD or DD/MM/YYYY.") % {"value": value})


@cache
def _choice_aliases(choices: type[models.TextChoices]) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for value, label in choices.choices:
        aliases[_folded(value)] = value
        aliases[_folded(value.replace("_", " "))] = value
        for language in LANGUAGES:
            with translation.override(language):
                aliases[_folded(str(label))] = value
    return aliases


def _folded(value: str) -> str:
    return " ".join(value.split()).casefold()


def choice(cell: Cell, choices: type[models.TextChoices]) -> str:
    """A value of ``choices`` given by its code or its label in either language ("" when empty)."""
    value = text(cell)
    if not value:
        return ""
    found = _choice_aliases(choices).get(_folded(value))
    if found is None:
        labels = ", ".join(str(label) for _value, label in choices.choices)
        raise CellError(_("Unknown value “%(value)s”: use one of %(choices)s.") % {"value": value, "choices": labels})
    return found


def split(cell: Cell) -> list[str]:
    """A list written in one cell, separated by commas or semicolons."""
    return [part.strip() for part in re.split(r"[,;]", text(cell)) if part.strip()]


def choices(cell: Cell, kinds: type[models.TextChoices]) -> list[str]:
    values: list[str] = []
    unknown: list[str] = []
    for part in split(cell):
        try:
            values.append(choice(part, kinds))
        except CellError:
            unknown.append(part)
    if unknown:
        labels = ", ".join(str(label) for _value, label in kinds.choices)
        raise CellError(
            _("Unknown value “%(value)s”: use one of %(choices)s.") % {"value": ", ".join(unknown), "choices": labels}
        )
    return values
