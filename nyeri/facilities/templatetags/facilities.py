"""Template helpers for the facility pages: labels and explanations from the data files, in the page's language."""

from __future__ import annotations

from django import template

from nyeri.facilities.offered import PartResult, ServiceResult
from nyeri.facilities.selectors import ServicesOffered

register = template.Library()


@register.simple_tag
def service_label(result: ServiceResult, language: str) -> str:
    return result.label(language)


@register.simple_tag
def part_unmet(part: PartResult, language: str) -> str:
    return part.unmet(language)


@register.simple_tag
def part_details(part: PartResult, names: bool) -> list[str]:
    return part.details(names=names)


@register.simple_tag
def network_hint(offered: ServicesOffered, part: PartResult) -> str:
    return offered.network_hint(part)
