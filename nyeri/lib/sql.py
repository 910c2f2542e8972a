"""Query expressions the ORM lacks on both of our databases."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Aggregate, Model, QuerySet, TextField
from django.db.models.sql.compiler import SQLCompiler

M = TypeVar("M", bound=Model)


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


class Prepared:
    """A query of the hot path compiled once per database connection, then run with new values.

    Building and compiling a queryset costs far more CPU than running it (a request's
    identity query, with its subqueries, took ~2 ms to compile and 0.1 ms to run).
    ``build`` receives one stand-in value per parameter (unique negative integers) and
    returns a ``values()`` queryset; the compiled SQL is kept on the connection (each
    thread has its own) and each call substitutes the real values for the stand-ins.
    Rows come back as dicts, converted as the ORM converts them (dates, decimals, booleans).
    """

    def __init__(self, name: str, build: Callable[..., QuerySet[Any, dict[str, Any]]], arity: int) -> None:
        self.name = name
        self.build = build
        self.stand_ins = tuple(-(10**12) - n for n in range(arity))

    def _compiled(self, using: str) -> tuple[SQLCompiler, str, list[Any], list[int | None], list[str]]:
        connection = connections[using]
        cache: dict[str, Any] = connection.__dict__.setdefault("_nyeri_prepared", {})
        found = cache.get(self.name)
        if found is None:
            queryset = self.build(*self.stand_ins)
            query = queryset.query
            compiler = query.get_compiler(using)
            sql, params = compiler.as_sql()
            # A text column's filter turns its stand-in into text: matched either way.
            marks: dict[int | str, int] = {}
            for n, stand_in in enumerate(self.stand_ins):
                marks[stand_in] = marks[str(stand_in)] = n
            slots = [marks.get(p) if isinstance(p, int | str) and not isinstance(p, bool) else None for p in params]
            # As ValuesIterable names the columns.
            if query.selected:
                names = list(query.selected)
            else:
                names = [*query.extra_select, *query.values_select, *query.annotation_select]
            found = cache[self.name] = (compiler, sql, list(params), slots, names)
        return found

    def rows(self, *values: Any, using: str = DEFAULT_DB_ALIAS) -> list[dict[str, Any]]:
        compiler, sql, params, slots, names = self._compiled(using)
        bound = [p if slot is None else values[slot] for p, slot in zip(params, slots, strict=True)]
        with connections[using].cursor() as cursor:
            cursor.execute(sql, bound)
            fetched = cursor.fetchall()
        return [dict(zip(names, row, strict=True)) for row in compiler.results_iter(results=[fetched])]


def columns(model: type[Model], prefix: str = "") -> list[str]:
    """The names under which a ``values()`` query selects every column of ``model``
    (through the relation ``prefix``, e.g. ``"user__"``), for ``instance``."""
    return [f"{prefix}{f.attname}" for f in model._meta.concrete_fields]


def instance(model: type[M], row: Mapping[str, Any], prefix: str = "") -> M:
    """The ``model`` object of a ``values()`` row with ``columns(model, prefix)``, as the ORM builds it."""
    names = [f.attname for f in model._meta.concrete_fields]
    return model.from_db(DEFAULT_DB_ALIAS, names, [row[f"{prefix}{n}"] for n in names])


def plain_rows(queryset: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The rows of ``queryset``'s SQL as the driver returns them, without Django's converters.

    For a large aggregate whose columns are ids and counts (integers on every driver): the
    converters Django applies to each value of each row cost more than the query.
    """
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
