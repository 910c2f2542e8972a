"""Small-number suppression for reports that count patients.

A count of 1 to ``minimum - 1`` patients (``SMALL_NUMBER_MINIMUM``, default 5) can
single out a person; such a cell is *hidden* and shown as "< 5" in pages, CSV and API.
Zero is shown: it names nobody.

Hiding one cell is not enough when a report also shows the sums it belongs to (a row's
patients are the sum of its columns, the total is the sum of the facilities): the hidden
value would come back by subtraction. The rule, applied until nothing changes
(*complementary suppression*):

    for every sum shown (``Relation``: total = part + part + ...), if exactly one of its
    cells is hidden, hide one more: the smallest shown part that is not zero, else the
    total (hiding a zero would tell little: the hidden cell would equal the rest).

So no sum has exactly one unknown, and no single hidden cell can be recovered by
subtracting shown cells from a shown total. The function is pure and generic over the
cell keys, so each report declares its own sums.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.conf import settings

K = TypeVar("K", bound=Hashable)


def small_number_minimum() -> int:
    """The smallest patient count a report shows (``SMALL_NUMBER_MINIMUM``)."""
    return int(settings.SMALL_NUMBER_MINIMUM)


def hidden_text(minimum: int | None = None) -> str:
    """How a hidden count reads: "< 5" (the same in both languages and in CSV)."""
    return f"< {minimum if minimum is not None else small_number_minimum()}"


@dataclass(frozen=True)
class Relation(Generic[K]):
    """A sum a report shows: the cell ``total`` equals the sum of the cells ``parts``."""

    total: K
    parts: tuple[K, ...]


def cells_to_hide(values: Mapping[K, int], relations: Iterable[Relation[K]], minimum: int) -> set[K]:
    """The cells to hide: those under ``minimum`` (but not 0), and their complements (see the module)."""
    hidden = {key for key, value in values.items() if 0 < value < minimum}
    sums = [r for r in relations if r.parts]
    changed = bool(hidden)
    while changed:
        changed = False
        for relation in sums:
            cells = (relation.total, *relation.parts)
            if sum(cell in hidden for cell in cells) != 1:
                continue
            shown_parts = [p for p in relation.parts if p not in hidden]
            nonzero = [p for p in shown_parts if values[p] > 0]
            if nonzero:
                hidden.add(min(nonzero, key=lambda p: values[p]))
            elif relation.total not in hidden:
                hidden.add(relation.total)
            else:
                hidden.add(shown_parts[0])
            changed = True
    return hidden


def shown_counts(
    source: object, names: Iterable[str], hidden: set[str], *, shares: Iterable[str] = (), whole: str = ""
) -> dict[str, Any]:
    """What a report shows of ``source``: each count in ``names`` (its attribute), or "< 5" when
    hidden; then each share ``<name>_percent`` (the attribute) of the counts in ``shares``, None
    when that count or ``whole`` (what it is a share of) is hidden: one would give the other."""
    text = hidden_text()
    shown: dict[str, Any] = {name: text if name in hidden else getattr(source, name) for name in names}
    for name in shares:
        revealing = name in hidden or whole in hidden
        shown[f"{name}_percent"] = None if revealing else getattr(source, f"{name}_percent")
    return shown
