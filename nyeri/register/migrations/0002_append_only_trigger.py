"""PostgreSQL refuses UPDATE and DELETE on register movements: a correction is a reversing movement.

Only on PostgreSQL, like the diagnoses' trigger. TRUNCATE is not blocked: test database
flushes use it.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION register_movement_append_only() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
    RAISE EXCEPTION 'register movements are append-only'
        USING HINT = 'Record a reversing movement instead.';
END
$body$;

CREATE TRIGGER register_movement_append_only
    BEFORE UPDATE OR DELETE ON register_movement
    FOR EACH ROW EXECUTE FUNCTION register_movement_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS register_movement_append_only ON register_movement;
DROP FUNCTION IF EXISTS register_movement_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("register", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
