"""What a home-page panel shows: a few counts, each linking to the list it counts.

Each app that owns some work writes a ``home_panel(scope, facility)`` selector returning a
``Panel`` (or ``None`` when the user's roles have nothing to do there); the home page
(``nyeri/web/home.py``) lists those selectors, one line each, and renders each panel with
its own small template.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Tally:
    """``number`` things, described by ``label``, listed at ``url``."""

    label: str
    number: int
    url: str
    # A count that asks for attention (shown as a warning when not zero).
    urgent: bool = False


@dataclass(frozen=True)
class Panel:
    title: str
    counts: tuple[Tally, ...] = ()
    # Rows the panel lists itself (its template knows their shape).
    rows: tuple[Any, ...] = field(default=())
    # Where the whole of this work is (a "see all" link); empty for none.
    url: str = ""
