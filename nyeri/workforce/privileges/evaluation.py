"""The practitioner's own care in the committee's file: a hook the clinical apps fill.

The workforce app reads no clinical app (the import contract): each clinical app registers,
when it is ready, a source of figures about one practitioner over a period (procedures
performed and their complications, prescriptions over the MME threshold, ...). The ongoing
professional practice evaluation (OPPE, issue 17 item 3, built separately) is meant to
register here too, as ``register_practice_source``; the committee's file shows every
registered source, in registration order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Figure:
    """One figure of a practitioner's practice: a label in the reader's language, a value."""

    label: str
    value: str


# (organization id, person id, from, to) -> figures, in the active language.
PracticeSource = Callable[[int, int, datetime, datetime], list[Figure]]
_SOURCES: list[PracticeSource] = []


def register_practice_source(source: PracticeSource) -> None:
    """Add a source of practice figures (once: registering it again changes nothing)."""
    if source not in _SOURCES:
        _SOURCES.append(source)


def practice_figures(organization_id: int, person_id: int, since: datetime, until: datetime) -> list[Figure]:
    """Every registered source's figures for the practitioner over the period."""
    figures: list[Figure] = []
    for source in _SOURCES:
        figures.extend(source(organization_id, person_id, since, until))
    return figures
