"""The test database starts as a copy of the migrated template (nyeri/lib/migrated_db.py).

pytest-django creates the in-memory SQLite test database and then runs ``migrate`` on it,
which costs about 50 s of CPU for Nyeri's migrations; the suite and each frozen clock day
would pay it again. This plugin copies the migrated template into the new in-memory database
just before that ``migrate``, which then finds nothing to apply: the schema is the one the
migrations build (triggers included), and the run still fails if a migration is missing.
PostgreSQL runs are untouched (one per `make test`, nothing to share).
"""

from __future__ import annotations

from typing import Any

from django.core import management
from django.db import DEFAULT_DB_ALIAS, connections

from nyeri.lib import migrated_db

_call_command = management.call_command


def _call_command_from_template(command_name: Any, /, *args: Any, **options: Any) -> Any:
    # Positional-only: a command may take an option called `name` (start_organization does).
    if command_name == "migrate" and migrated_db.enabled():
        connection = connections[options.get("database", DEFAULT_DB_ALIAS)]
        if connection.vendor == "sqlite" and connection.is_in_memory_db():
            connection.ensure_connection()
            migrated_db.copy_into(connection.connection)
    return _call_command(command_name, *args, **options)


# Django's test-database creation imports call_command from here when it runs.
management.call_command = _call_command_from_template
