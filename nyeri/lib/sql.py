"""Query expressions the ORM lacks on both of our databases."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Aggregate, TextField
from django.db.models.sql.compiler import SQLCompiler


class JsonRows(Aggregate):
    """The grouped rows' values as JSON text: ``[[v1, v2, ...], ...]`` (one array per row).

    For a small set of facts that rides along in another query as a subquery (a member's
    roles, a person's credentials) instead of a query of its own. Read it with ``rows``.
    SQLite: ``json_group_array(json_array(...))``; PostgreSQL: ``json_agg(json_build_array(...))``.
    """

    function = "JSON_GROUP_ARRAY"
    template = "JSON_GROUP_ARRAY(JSON_ARRAY(%(expressions)s))"
    output_field = TextField()

    def as_postgresql(self, compiler: SQLCompiler, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="JSON_AGG(JSON_BUILD_ARRAY(%(expressions)s))::text", **extra)


def rows(value: str | None) -> list[list[Any]]:
    """The rows of a ``JsonRows`` value (no rows: the subquery's NULL)."""
    return json.loads(value) if value else []
