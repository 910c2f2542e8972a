"""A system check: every policy pack loads (so a bad file stops a deploy, not a request)."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

from nyeri.workforce.policy.loader import PolicyPackError, all_packs


@register()
def policy_packs_valid(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    try:
        all_packs()
    except PolicyPackError as exc:
        return [Error(str(exc), id="nyeri.workforce.E001")]
    return []
