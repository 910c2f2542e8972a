"""One page of a list as plain rows, for selectors that feed a paged list (nyeri/api/pages.py).

A list shows a few columns of many rows: building a model instance per row, then reading
its attributes, costs more than the query. ``page_of`` selects only the columns asked for,
as dicts, together with the whole list's count in the same statement (a window over the
same filter, evaluated before the page is cut), so a page costs one statement.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet, Window


@dataclass
class PageRows:
    """One page of rows (dicts of the columns selected) and how many there are in all."""

    count: int
    rows: list[dict[str, Any]]

    def by_id(self) -> dict[int, dict[str, Any]]:
        return {row["id"]: row for row in self.rows}


def page_of(ordered: QuerySet[Any], columns: Iterable[str], *, offset: int, limit: int) -> PageRows:
    """``columns`` of ``ordered[offset:offset + limit]`` and the count of ``ordered``.

    One statement; a second (the count alone) only for a page past the end of the list.
    """
    page = list(ordered[offset : offset + limit].annotate(_total=Window(Count("pk"))).values(*columns, "_total"))
    if not page:
        return PageRows(ordered.count() if offset else 0, [])
    count = page[0]["_total"]
    for row in page:
        del row["_total"]
    return PageRows(count, page)


def page_ids(ordered: QuerySet[Any], *, offset: int, limit: int) -> QuerySet[Any, dict[str, Any]]:
    """The page's primary keys as a subquery, for the rows that hang off it (scores, participants):
    the database finds them again by the same index, and no parameter is prepared per row."""
    return ordered[offset : offset + limit].values("pk")
