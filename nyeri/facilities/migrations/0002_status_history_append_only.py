"""PostgreSQL refuses UPDATE and DELETE on equipment status changes: the history is only added to.

Only on PostgreSQL, like the audit trail's and the diagnoses' triggers. TRUNCATE is not
blocked: test database flushes use it.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION equipment_status_change_append_only() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
    RAISE EXCEPTION 'equipment status changes are append-only'
        USING HINT = 'Change the status again (with a reason): that adds a row to the history.';
END
$body$;

CREATE TRIGGER equipment_status_change_append_only
    BEFORE UPDATE OR DELETE ON facilities_equipmentstatuschange
    FOR EACH ROW EXECUTE FUNCTION equipment_status_change_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS equipment_status_change_append_only ON facilities_equipmentstatuschange;
DROP FUNCTION IF EXISTS equipment_status_change_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("facilities", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
