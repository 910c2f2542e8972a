"""Template filters of the procedure pages: catalogue labels and body sites in the page's language."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import translation

from nyeri.lib.bodysites import site_label as region_label
from nyeri.procedures import selectors
from nyeri.procedures.catalogue.schema import Procedure
from nyeri.procedures.kinds import AnesthesiaLevel, Guidance

register = template.Library()


@register.filter
def procedure_label(code: str) -> str:
    """The catalogue label of a procedure code, in the active language."""
    return selectors.procedure_label(code)


@register.filter
def site(obj: Any) -> str:
    """ "Lower back (lumbar), left" for a record or a performance."""
    return selectors.site_text(obj.body_site, obj.laterality)


@register.filter
def region(code: str) -> str:
    return region_label(code)


@register.filter
def signed(value: int | None) -> str:
    """A change with its sign: a true minus sign (U+2212) for a decrease, "+" for an increase, "0"."""
    if value is None:
        return ""
    if value < 0:
        return f"\u2212{-value}"
    return f"+{value}" if value > 0 else "0"


@register.filter
def guidance_label(code: str) -> str:
    return str(Guidance(code).label) if code in Guidance.values else code


@register.filter
def anesthesia_label(code: str) -> str:
    return str(AnesthesiaLevel(code).label) if code in AnesthesiaLevel.values else code


@register.filter
def catalogue_label(proc: Procedure) -> str:
    """A catalogue entry's label in the active language."""
    return proc.label(translation.get_language())
