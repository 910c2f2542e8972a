"""Query expressions the ORM lacks on both of our databases."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.utils import CursorWrapper
from django.db.models import NOT_PROVIDED, Aggregate, Model, QuerySet, TextField
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


def statement_cursor(using: str = DEFAULT_DB_ALIAS) -> CursorWrapper:
    """A cursor for the fixed statements of the hot path; on PostgreSQL a prepared one.

    Django's PostgreSQL cursors bind values on the client (the whole SQL text is sent, then
    parsed and planned by PostgreSQL, every time). This one binds them on the server and
    prepares each statement on its first use on a connection (psycopg's ``prepare=True``;
    psycopg keeps the statement names, at most ``prepared_max`` per connection, and forgets
    them after a rollback): from then on PostgreSQL only executes it. For statements whose
    text is the same on every call with values in ``%s`` (``Prepared``, ``insert_rows``, the
    audit append), never for SQL built per request. It is Django's cursor wrapper all the
    same: ``execute_wrapper``s, query logging and error translation see every statement.

    Needs ``prepare_threshold`` in the database's ``OPTIONS`` (settings: ``DB_PREPARED_STATEMENTS``,
    on by default; a transaction-mode pooler without prepared-statement support turns it off):
    without it, and on SQLite, this is the ordinary cursor.
    """
    connection = connections[using]
    if connection.vendor != "postgresql" or connection.settings_dict["OPTIONS"].get("prepare_threshold") is None:
        return connection.cursor()
    from nyeri.lib.pg import preparing_cursor

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        # As BaseDatabaseWrapper.cursor() wraps its own (thread check, query logging).
        return connection._prepare_cursor(preparing_cursor(connection))  # type: ignore[attr-defined]


class Prepared:
    """A query of the hot path compiled once per database connection, then run with new values.

    Building and compiling a queryset costs far more CPU than running it (a request's
    identity query, with its subqueries, took ~2 ms to compile and 0.1 ms to run).
    ``build`` receives one stand-in value per value given to ``rows`` (unique negative
    integers), then the ``shape`` (values that are part of the SQL text itself: a page's
    OFFSET and LIMIT, the length of an IN list), and returns a ``values()`` queryset; the
    compiled SQL is kept on the connection (each thread has its own), per shape, and each
    call substitutes the real values for the stand-ins. Rows come back as dicts, converted
    as the ORM converts them (dates, decimals, booleans).
    """

    # Shapes come from requests (page numbers): the cache of one connection is bounded.
    MAX_CACHED = 512

    def __init__(self, name: str, build: Callable[..., QuerySet[Any, dict[str, Any]]]) -> None:
        self.name = name
        self.build = build

    def _compiled(
        self, using: str, arity: int, shape: tuple[int, ...]
    ) -> tuple[SQLCompiler, str, list[Any], list[int | None], list[str], dict[int, Any]]:
        connection = connections[using]
        cache: dict[tuple[str, tuple[int, ...]], Any] = connection.__dict__.setdefault("_nyeri_prepared", {})
        key = (self.name, shape)
        found = cache.get(key)
        if found is None:
            stand_ins = tuple(-(10**12) - n for n in range(arity))
            queryset = self.build(*stand_ins, *shape)
            query = queryset.query
            compiler = query.get_compiler(using)
            sql, params = compiler.as_sql()
            # A text column's filter turns its stand-in into text: matched either way.
            marks: dict[int | str, int] = {}
            for n, stand_in in enumerate(stand_ins):
                marks[stand_in] = marks[str(stand_in)] = n
            slots = [marks.get(p) if isinstance(p, int | str) and not isinstance(p, bool) else None for p in params]
            # As ValuesIterable names the columns.
            if query.selected:
                names = list(query.selected)
            else:
                names = [*query.extra_select, *query.values_select, *query.annotation_select]
            # The columns' converters, worked out once too (the ORM does it for every query).
            converters = compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]])
            if len(cache) >= self.MAX_CACHED:
                cache.clear()
            found = cache[key] = (compiler, sql, list(params), slots, names, converters)
        return found

    def rows(self, *values: Any, shape: tuple[int, ...] = (), using: str = DEFAULT_DB_ALIAS) -> list[dict[str, Any]]:
        compiler, sql, params, slots, names, converters = self._compiled(using, len(values), shape)
        bound = [p if slot is None else values[slot] for p, slot in zip(params, slots, strict=True)]
        with statement_cursor(using) as cursor:
            cursor.execute(sql, bound)
            fetched = cursor.fetchall()
        converted = compiler.apply_converters(fetched, converters) if converters else fetched
        return [dict(zip(names, row, strict=True)) for row in converted]


def columns(model: type[Model], prefix: str = "") -> list[str]:
    """The names under which a ``values()`` query selects every column of ``model``
    (through the relation ``prefix``, e.g. ``"user__"``), for ``instance``."""
    return [f"{prefix}{f.attname}" for f in model._meta.concrete_fields]


def instance(model: type[M], row: Mapping[str, Any], prefix: str = "") -> M:
    """The ``model`` object of a ``values()`` row with ``columns(model, prefix)``, as the ORM builds it."""
    names = [f.attname for f in model._meta.concrete_fields]
    return model.from_db(DEFAULT_DB_ALIAS, names, [row[f"{prefix}{n}"] for n in names])


def insert_rows(objs: list[M], *, using: str = DEFAULT_DB_ALIAS) -> list[M]:
    """Insert new ``objs`` (of one model) in one statement and give each its primary key.

    What ``bulk_create`` does for a plain model, without building the INSERT's query tree
    every time: the statement is written once per connection, model and row count, and
    each value is prepared exactly as the ORM prepares it (``pre_save`` for
    ``auto_now_add``, ``get_db_prep_save``). For the rows of the hot path (a pain score,
    its answers and scores): not for models with signals, generated or database-default
    columns, or multi-table inheritance (refused).
    """
    if not objs:
        return objs
    model = type(objs[0])
    connection = connections[using]
    cache: dict[tuple[str, type[Model], int], Any] = connection.__dict__.setdefault("_nyeri_inserts", {})
    key = ("insert", model, len(objs))
    found = cache.get(key)
    if found is None:
        opts = model._meta
        pk = opts.pk
        if opts.parents or pk is None:
            raise TypeError(f"insert_rows: {opts.label} inherits from another model")
        fields = [f for f in opts.local_concrete_fields if f is not pk]
        if any(f.generated or f.db_default is not NOT_PROVIDED for f in fields):
            raise TypeError(f"insert_rows: {opts.label} has generated or database-default columns")
        q = connection.ops.quote_name
        one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = (
            f"INSERT INTO {q(opts.db_table)} ({', '.join(q(f.column) for f in fields)}) "  # noqa: S608  # nosec B608
            f"VALUES {', '.join([one_row] * len(objs))} RETURNING {q(pk.column)}"
        )
        found = cache[key] = (sql, fields, pk)
    sql, fields, pk = found
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in objs for f in fields]
    with statement_cursor(using) as cursor:
        cursor.execute(sql, params)
        keys = cursor.fetchall()
    for obj, (key_value,) in zip(objs, keys, strict=True):
        setattr(obj, pk.attname, key_value)
        obj._state.adding = False
        obj._state.db = using
    return objs


def plain_rows(queryset: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The rows of ``queryset``'s SQL as the driver returns them, without Django's converters.

    For a large aggregate whose columns are ids and counts (integers on every driver): the
    converters Django applies to each value of each row cost more than the query. A query
    Django knows to be empty (``pk__in=[]``: an organization without facilities) reads nothing.
    """
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return []
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
