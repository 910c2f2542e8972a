"""The medication catalogue: products as data, looked up by a stable code.

Prescription items keep the code, the catalogue version and a copy of what they need
(names, strength, class, MME factor), so a later catalogue never changes what was
prescribed. See docs/prescriptions.md.
"""

from __future__ import annotations

from functools import cache

from nyeri.prescriptions.catalogue.loader import CatalogueError, shipped_catalogue
from nyeri.prescriptions.catalogue.schema import NOT_CONTROLLED, Catalogue, ControlledClass, Medication, MmeFactor

__all__ = [
    "NOT_CONTROLLED",
    "Catalogue",
    "CatalogueError",
    "ControlledClass",
    "Medication",
    "MmeFactor",
    "catalogue_version",
    "class_label",
    "controlled_class",
    "for_jurisdiction",
    "is_controlled",
    "label",
    "medication",
    "mme_table_title",
]


def catalogue_version() -> str:
    return shipped_catalogue().version


@cache
def _by_code() -> dict[str, Medication]:
    return {m.code: m for m in shipped_catalogue().medications}


@cache
def _classes() -> dict[tuple[str, str], ControlledClass]:
    return {(c.jurisdiction, c.code): c for c in shipped_catalogue().classes}


def medication(code: str) -> Medication | None:
    return _by_code().get(code)


@cache
def for_jurisdiction(jurisdiction: str) -> tuple[Medication, ...]:
    """The products marketed in ``jurisdiction``, by generic name then strength."""
    found = [m for m in shipped_catalogue().medications if jurisdiction in m.markets]
    return tuple(sorted(found, key=lambda m: (m.generic_en, m.form, m.strength)))


def controlled_class(med: Medication, jurisdiction: str) -> str:
    """The class code of ``med`` in ``jurisdiction``, or "" when it is not controlled there."""
    code = med.controlled.get(jurisdiction, NOT_CONTROLLED)
    return "" if code == NOT_CONTROLLED else code


def is_controlled(med: Medication, jurisdiction: str) -> bool:
    return bool(controlled_class(med, jurisdiction))


def class_label(jurisdiction: str, code: str, language: str) -> str:
    found = _classes().get((jurisdiction, code))
    if found is None:
        return code
    return found.label_id if language == "id" else found.label_en


def label(med: Medication, language: str) -> str:
    return med.label_id if language == "id" else med.label_en


def mme_table_title(code: str) -> str:
    return next((t.title for t in shipped_catalogue().mme_tables if t.code == code), code)
