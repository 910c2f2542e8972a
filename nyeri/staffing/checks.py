"""A system check: every staffing-rule file loads (so a bad file stops a deploy, not a request)."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

from nyeri.staffing.loader import RuleFileError, all_rule_files
from nyeri.workforce.policy.loader import PolicyPackError


@register()
def staffing_rules_valid(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    try:
        all_rule_files()
    except (RuleFileError, PolicyPackError) as exc:
        return [Error(str(exc), id="nyeri.staffing.E001")]
    return []
