"""System checks: every policy pack and privilege catalogue loads (so a bad file stops a deploy,
not a request), and they agree with each other."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

from nyeri.workforce.policy.loader import PolicyPackError, all_packs
from nyeri.workforce.policy.schema import PrivilegeRequirement
from nyeri.workforce.privileges.catalogue import CatalogueError, all_catalogues


@register()
def policy_packs_valid(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    try:
        all_packs()
    except PolicyPackError as exc:
        return [Error(str(exc), id="nyeri.workforce.E001")]
    return []


@register()
def privilege_catalogues_valid(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Every catalogue loads; its privileges name actions of its pack, and every privilege a
    pack requires is in that jurisdiction's catalogue."""
    try:
        catalogues = all_catalogues()
        packs = all_packs()
    except (CatalogueError, PolicyPackError) as exc:
        return [Error(str(exc), id="nyeri.workforce.E002")]
    problems: list[CheckMessage] = []
    for code, pack in packs.items():
        catalogue = catalogues.get(code)
        for action in pack.actions.values():
            for req in action.requirements:
                if isinstance(req, PrivilegeRequirement) and (
                    catalogue is None or catalogue.get(req.privilege) is None
                ):
                    problems.append(
                        Error(
                            f"{code}: action {action.code} needs unknown privilege {req.privilege}",
                            id="nyeri.workforce.E003",
                        )
                    )
        for entry in catalogue.privileges if catalogue is not None else ():
            for name in entry.actions:
                if name not in pack.actions:
                    problems.append(
                        Error(f"{code}: privilege {entry.code} names unknown action {name}", id="nyeri.workforce.E003")
                    )
    return problems
