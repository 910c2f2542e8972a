"""A system check: the medication catalogue loads and fits the policy packs (a bad file stops a deploy)."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

from nyeri.prescriptions.catalogue import CatalogueError
from nyeri.prescriptions.catalogue.loader import shipped_catalogue
from nyeri.workforce.policy.loader import PolicyPackError, all_packs


def catalogue_problems() -> list[str]:
    try:
        catalogue = shipped_catalogue()
    except CatalogueError as exc:
        return [str(exc)]
    try:
        packs = all_packs()
    except PolicyPackError:
        return []  # the workforce app's own check reports a bad pack
    problems = []
    tables = {t.code for t in catalogue.mme_tables}
    for pack in packs.values():
        table = pack.pack.opioids.mme_table
        if table not in tables:
            problems.append(f"policy pack {pack.jurisdiction}: [opioids] mme_table {table!r} is not in the catalogue")
            continue
        for med in catalogue.medications:
            if pack.jurisdiction in med.markets and med.opioid and med.mme and med.factor(table) is None:
                problems.append(f"medications.toml: {med.code} has no factor of table {table!r} ({pack.jurisdiction})")
        if not any(pack.jurisdiction in m.markets for m in catalogue.medications):
            problems.append(f"medications.toml: no product is marketed in {pack.jurisdiction}")
    return problems


@register()
def catalogue_valid(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    return [Error(problem, id="nyeri.prescriptions.E001") for problem in catalogue_problems()]
