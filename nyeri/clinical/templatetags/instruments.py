"""``{{ instrument|instrument_name }}``: an instrument as a person reads it, in full with its acronym."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from nyeri.clinical.instruments.schema import Instrument

register = template.Library()


@register.filter
def instrument_name(instrument: Instrument | None) -> str:
    """ "Patient Health Questionnaire-9 (PHQ-9)" in the active language; empty for none."""
    return instrument.name(get_language()) if instrument is not None else ""
