"""PostgreSQL refuses UPDATE and DELETE on diagnoses: a correction is a new version.

Only on PostgreSQL, like the audit trail's trigger (audit migration 0002). TRUNCATE is not
blocked: test database flushes use it.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION diagnosis_append_only() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
    RAISE EXCEPTION 'diagnoses are append-only'
        USING HINT = 'Amend a diagnosis or mark it entered in error: both add a version.';
END
$body$;

CREATE TRIGGER diagnosis_append_only
    BEFORE UPDATE OR DELETE ON diagnoses_diagnosis
    FOR EACH ROW EXECUTE FUNCTION diagnosis_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS diagnosis_append_only ON diagnoses_diagnosis;
DROP FUNCTION IF EXISTS diagnosis_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("diagnoses", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
