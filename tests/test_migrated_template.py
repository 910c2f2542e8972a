"""The migrated template that the SQLite test runs and the benchmarks start from."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from nyeri.lib import migrated_db


def test_the_template_key_reads_every_project_module_a_migration_imports() -> None:
    # Applying such a migration runs that module's code: a change to it must build a new template.
    imported = set()
    for migration in sorted((migrated_db.ROOT / "nyeri").glob("**/migrations/*.py")):
        for node in ast.walk(ast.parse(migration.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            imported |= {n.replace(".", "/") + ".py" for n in names if n.startswith("nyeri.")}
    assert imported <= set(migrated_db.MIGRATION_IMPORTS)


def test_the_template_key_changes_when_a_migration_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for module in migrated_db.MIGRATION_IMPORTS:
        (tmp_path / module).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / module).write_text("")
    migration = tmp_path / "nyeri" / "app" / "migrations" / "0001_initial.py"
    migration.parent.mkdir(parents=True)
    migration.write_text("operations = []\n")
    monkeypatch.setattr(migrated_db, "ROOT", tmp_path)
    first = migrated_db.schema_key()
    migration.write_text("operations = [1]\n")
    assert migrated_db.schema_key() != first


def test_a_test_database_copied_from_the_template_has_every_migration_applied(db: None) -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
