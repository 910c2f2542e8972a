"""Titles of codes in the language of the page."""

from __future__ import annotations

from django import template

from nyeri.clinical.diagnoses import catalogue
from nyeri.clinical.diagnoses.models import Diagnosis

register = template.Library()


@register.filter
def icd10_title(diagnosis: Diagnosis) -> str:
    """The Indonesian title on an Indonesian page where the catalogue has one; else the English
    title as recorded (the WHO wording at the time, which the record keeps)."""
    entry = catalogue.lookup_icd10(diagnosis.icd10_code)
    if entry is not None and entry.title() != entry.title_en:
        return entry.title()
    return diagnosis.icd10_title


@register.filter
def icd11_title(code: str) -> str:
    return catalogue.icd11_title(code) if code else ""
