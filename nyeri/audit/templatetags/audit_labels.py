"""``{{ code|object_type_label }}``, ``{{ reason|reason_label }}``: the audit trail's codes in words."""

from __future__ import annotations

from django import template

from nyeri.audit import labels

register = template.Library()


@register.filter
def object_type_label(code: str | None) -> str:
    return labels.object_type_label(code) if code else ""


@register.filter
def reason_label(reason: str | None) -> str:
    return labels.reason_label(reason) if reason else ""
