"""Template helpers for the staffing pages: rule texts from the data, in the page's language."""

from __future__ import annotations

from decimal import Decimal

from django import template

from nyeri.staffing.evaluate import describe_rule, fmt
from nyeri.staffing.schema import Rule

register = template.Library()


@register.simple_tag
def rule_label(rule: Rule, language: str) -> str:
    return rule.label(language)


@register.filter
def rule_terms(rule: Rule) -> str:
    return describe_rule(rule)


@register.filter
def fte(value: Decimal) -> str:
    """A number of FTE as people read it: '2.4' / '2,4'."""
    return fmt(value)


@register.filter
def signed_fte(value: Decimal) -> str:
    """'+1.2', '-0.5' (with a minus sign), '0'."""
    text = fmt(abs(value))
    return f"+{text}" if value > 0 else f"\u2212{text}" if value < 0 else text
