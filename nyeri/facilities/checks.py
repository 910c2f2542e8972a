"""A system check: the service catalogue loads and every equipment kind has its operating action.

A bad catalogue, or a policy pack without ``operate_equipment:<kind>`` for a kind of the
equipment catalogue, stops a deploy instead of a request.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

from nyeri.facilities.catalogue import CatalogueError, equipment_actions_problems, service_catalogue
from nyeri.workforce.policy.loader import PolicyPackError


@register()
def service_catalogue_valid(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    try:
        service_catalogue()
        problems = equipment_actions_problems()
    except (CatalogueError, PolicyPackError) as exc:
        return [Error(str(exc), id="nyeri.facilities.E001")]
    return [Error(p, id="nyeri.facilities.E002") for p in problems]
