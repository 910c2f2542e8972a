"""The practitioner's own care in the committee's file: a hook the clinical apps fill.

The workforce app reads no clinical app (the import contract): each clinical app registers,
when it is ready, a source of figures about one practitioner over a period (procedures
performed and their complications, prescriptions over the MME threshold, ...). The ongoing
professional practice evaluation (OPPE, issue 17 item 3, built separately) is meant to
register here too, as ``register_practice_source``; the committee's file shows every
registered source, in registration order.

The practice evaluation judges a practitioner beside their peers, which only the committee
(and the compliance officer) may see: it registers a *review source* instead
(``register_review_source``), called with the reader's scope. The source does its own
scoping (the reader's organization and facilities) and its own check of who may see it,
and returns nothing to anyone else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nyeri.tenancy.scope import Scope


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


@dataclass(frozen=True)
class PeerComparison:
    """The practitioner beside the peers of one of their roles, in the reader's language:
    ``own`` and ``peers`` (the peers' median) line up with ``headings``; ``flags`` are the
    policy's reasons to review them; ``period`` names the period compared (a source may compare
    a calendar period rather than the file's days: "2025")."""

    role: str
    label: str
    peer_count: int
    headings: tuple[str, ...]
    own: tuple[str, ...]
    peers: tuple[str, ...]
    flags: tuple[str, ...]
    period: str = ""


# (reader's scope, person id, first day, last day) -> comparisons; the source decides who may
# see them, scopes its reads to the reader and records the read.
ReviewSource = Callable[["Scope", int, date, date], list[PeerComparison]]
_REVIEW_SOURCES: list[ReviewSource] = []


def register_review_source(source: ReviewSource) -> None:
    """Add a source of peer comparisons (once: registering it again changes nothing)."""
    if source not in _REVIEW_SOURCES:
        _REVIEW_SOURCES.append(source)


def peer_comparisons(scope: Scope, person_id: int, since: date, until: date) -> list[PeerComparison]:
    """Every review source's comparisons of the practitioner for the file of ``since``..``until``
    (both days included; a source may compare a calendar period instead, named in its
    ``period``) for this reader: empty for a reader the sources do not show them to."""
    found: list[PeerComparison] = []
    for source in _REVIEW_SOURCES:
        found.extend(source(scope, person_id, since, until))
    return found
