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
subtracting shown cells from a shown total. Two more rules, until nothing changes:

* when the total is shown, the hidden parts of a sum together must hold at least
  ``minimum`` patients (else their sum is itself a small number) and must not be pinned
  down by the bounds everyone knows (k hidden parts of 1 to ``minimum - 1`` each summing
  to k, or to k x (minimum - 1): each is then 1, or minimum - 1);
* no hidden cell may be derivable from all the sums at once (``derivable``: linear
  algebra over the equations, where one hidden cell per sum is not the only way back).

The function is pure and generic over the cell keys, so each report declares its own
sums; a report shown in slices (a facility of the organization-wide table) must hide on
the whole table and show each slice with the same hidden cells, so that no two requests
can be subtracted (docs/outcomes.md, "Small numbers").
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
            extra = _complement(values, relation, hidden, minimum)
            if extra is not None:
                hidden.add(extra)
                changed = True
        if not changed:
            # Each sum is safe on its own; now every sum at once (a cell may be the only
            # unknown of a combination of them).
            extra = _unlock_derivable(values, sums, hidden)
            if extra is not None:
                hidden.add(extra)
                changed = True
    return hidden


def _complement(values: Mapping[K, int], relation: Relation[K], hidden: set[K], minimum: int) -> K | None:
    """One more cell of ``relation`` to hide, or None when its hidden cells are safe.

    Unsafe: exactly one hidden cell (a subtraction gives it back), or, when the total is
    shown, hidden parts whose sum (total less the shown parts) is under ``minimum`` (that
    sum is itself a small number) or pins each of them down: k parts known to hold 1 to
    ``minimum - 1`` patients each and summing to k or to k x (minimum - 1).
    """
    cells = (relation.total, *relation.parts)
    count = sum(cell in hidden for cell in cells)
    if count == 0:
        return None
    if count == 1:
        return _next_to_hide(values, relation, hidden)
    if relation.total in hidden:
        return None
    hidden_parts = [p for p in relation.parts if p in hidden]
    together = sum(values[p] for p in hidden_parts)
    k = len(hidden_parts)
    pinned = together == k or (all(values[p] < minimum for p in hidden_parts) and together == k * (minimum - 1))
    if 0 < together < minimum or pinned:
        return _next_to_hide(values, relation, hidden)
    return None


def _next_to_hide(values: Mapping[K, int], relation: Relation[K], hidden: set[K]) -> K | None:
    """The smallest shown part that is not zero, else the total, else any shown part.

    Hiding a zero tells little: the hidden cell would equal the rest.
    """
    shown_parts = [p for p in relation.parts if p not in hidden]
    nonzero = [p for p in shown_parts if values[p] > 0]
    if nonzero:
        return min(nonzero, key=lambda p: values[p])
    if relation.total not in hidden:
        return relation.total
    return shown_parts[0] if shown_parts else None


# Elimination modulo a 61-bit prime: integers stay fast where fractions would not. The answer
# differs from the rational one only if the prime divides a minor of the 0/±1 matrix of the
# sums, which for tables of this size is not a practical concern (the tests check against an
# exact rational elimination).
_PRIME = 2**61 - 1


def derivable(relations: Iterable[Relation[K]], hidden: set[K]) -> set[K]:
    """The hidden cells that the shown cells and the sums give back exactly, whatever their values.

    Each sum is a linear equation; the hidden cells are its unknowns. A hidden cell is
    derivable when some combination of the equations leaves it alone: after Gauss-Jordan
    elimination, its pivot row has no other unknown.
    """
    unknowns = sorted(hidden, key=repr)
    column = {cell: n for n, cell in enumerate(unknowns)}
    rows: list[dict[int, int]] = []
    for relation in relations:
        row: dict[int, int] = {}
        for cell, sign in ((relation.total, 1), *((p, -1) for p in relation.parts)):
            if cell in column:
                row[column[cell]] = (row.get(column[cell], 0) + sign) % _PRIME
        row = {c: v for c, v in row.items() if v}
        if row:
            rows.append(row)
    # Sparse Gauss-Jordan: ``pivots`` maps a pivot column to its row, fully reduced (no other
    # pivot column in it); ``holding`` maps a column to the pivots whose rows hold it, so a new
    # pivot updates only the rows that hold its column. Short rows first, and each pivot on the
    # column fewest reduced rows hold, keep the rows sparse (the linked tables of a year's
    # periods: 1.9 s down to 0.5 s). The answer does not depend on the order: in the fully
    # reduced form, a cell is derivable exactly when a row holds it alone.
    pivots: dict[int, dict[int, int]] = {}
    holding: dict[int, set[int]] = {}
    for row in sorted(rows, key=len):
        # Reduced pivot rows hold no other pivot column: one pass over the row's pivot columns.
        for c in [c for c in row if c in pivots]:
            factor = row.get(c)
            if factor:
                row = _minus(row, pivots[c], factor)
        if not row:
            continue
        pivot = min(row, key=lambda c: (len(holding.get(c, ())), c))
        inverse = pow(row[pivot], _PRIME - 2, _PRIME)
        row = {c: v * inverse % _PRIME for c, v in row.items()}
        # Keep the earlier rows reduced against the new pivot (Gauss-Jordan).
        for other in list(holding.get(pivot, ())):
            before = pivots[other]
            after = _minus(before, row, before[pivot])
            for c in before.keys() - after.keys():
                holding[c].discard(other)
            for c in after.keys() - before.keys():
                holding.setdefault(c, set()).add(other)
            pivots[other] = after
        pivots[pivot] = row
        for c in row:
            holding.setdefault(c, set()).add(pivot)
    return {unknowns[p] for p, row in pivots.items() if len(row) == 1}


def _minus(row: dict[int, int], other: dict[int, int], factor: int) -> dict[int, int]:
    result = dict(row)
    for c, v in other.items():
        value = (result.get(c, 0) - factor * v) % _PRIME
        if value:
            result[c] = value
        else:
            result.pop(c, None)
    return result


def _unlock_derivable(values: Mapping[K, int], relations: list[Relation[K]], hidden: set[K]) -> K | None:
    """A cell to hide so that a derivable hidden cell is no longer, or None when none is."""
    found = derivable(relations, hidden)
    for cell in sorted(found, key=repr):
        for relation in relations:
            if cell == relation.total or cell in relation.parts:
                extra = _next_to_hide(values, relation, hidden)
                if extra is not None:
                    return extra
    return None


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
