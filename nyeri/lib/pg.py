"""PostgreSQL only (psycopg 3): the cursor that prepares the hot path's statements (``nyeri.lib.sql``)."""

from __future__ import annotations

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql.base import ServerBindingCursor  # type: ignore[attr-defined]
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg.postgres import types as pg_types
from psycopg.pq import Format

_TIMESTAMPTZ_OID = pg_types["timestamptz"].oid


class PreparingCursor(ServerBindingCursor):  # psycopg 3 only
    """Django's server-binding cursor, each statement prepared on its first execution."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> Any:
        return super().execute(query, params, prepare=True, binary=binary)

    def _send_query_prepared(self, name: bytes, pgq: Any, *, binary: bool | None = None) -> None:
        # psycopg keeps the statement (``_query``) only when it sends its text; Django's query
        # log (connection.queries, CaptureQueriesContext) reads it from there: the SQL with
        # $1, $2 ... for the values, which the server binds.
        self._query = pgq
        super()._send_query_prepared(name, pgq, binary=binary)


def preparing_cursor(connection: BaseDatabaseWrapper) -> PreparingCursor:
    """A ``PreparingCursor`` on ``connection``'s open psycopg connection, set up as Django
    sets up its own cursors (the connection's time zone for ``timestamptz`` values)."""
    raw = connection.connection
    cursor = PreparingCursor(raw)
    tzloader = raw.adapters.get_loader(_TIMESTAMPTZ_OID, Format.TEXT)
    if connection.timezone != tzloader.timezone:
        register_tzloader(connection.timezone, cursor)
    return cursor
