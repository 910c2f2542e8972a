"""PostgreSQL holds the procedure records' rules: never deleted, what was done written once.

- A procedure record keeps what was ordered (procedure, site, side, guidance, anesthesia,
  patient, facility, visit, who ordered it and when); only its status moves, along
  ordered -> scheduled -> performed, or to cancelled, and a performed or cancelled record
  does not change any more. It is never deleted.
- A performance version and its complications are written once: a correction is a new
  version.

Only on PostgreSQL, like the clinical app's and the diagnoses' triggers. TRUNCATE is not
blocked: test database flushes use it.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION procedures_written_once() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
    RAISE EXCEPTION '% rows are written once: never changed or deleted', TG_TABLE_NAME
        USING HINT = 'Amend the procedure record: the amendment is a new version.';
END
$body$;

CREATE OR REPLACE FUNCTION procedures_record_guard() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'procedure records are never deleted' USING HINT = 'Cancel it with a reason.';
    END IF;
    IF (
        NEW.organization_id, NEW.patient_id, NEW.facility_id, NEW.encounter_id, NEW.procedure_code,
        NEW.catalogue_version, NEW.body_site, NEW.laterality, NEW.guidance, NEW.anesthesia, NEW.indication,
        NEW.ordered_by_id, NEW.ordered_at
    ) IS DISTINCT FROM (
        OLD.organization_id, OLD.patient_id, OLD.facility_id, OLD.encounter_id, OLD.procedure_code,
        OLD.catalogue_version, OLD.body_site, OLD.laterality, OLD.guidance, OLD.anesthesia, OLD.indication,
        OLD.ordered_by_id, OLD.ordered_at
    ) THEN
        RAISE EXCEPTION 'what was ordered is not edited: cancel the order and order again';
    END IF;
    IF OLD.status IN ('performed', 'cancelled') OR NOT (
        (OLD.status = 'ordered' AND NEW.status IN ('scheduled', 'performed', 'cancelled'))
        OR (OLD.status = 'scheduled' AND NEW.status IN ('scheduled', 'performed', 'cancelled'))
    ) THEN
        RAISE EXCEPTION 'a procedure goes from % to % only through its services', OLD.status, NEW.status;
    END IF;
    RETURN NEW;
END
$body$;

CREATE TRIGGER procedures_record_guard
    BEFORE UPDATE OR DELETE ON procedures_procedurerecord
    FOR EACH ROW EXECUTE FUNCTION procedures_record_guard();
CREATE TRIGGER procedures_performance_written_once
    BEFORE UPDATE OR DELETE ON procedures_procedureperformance
    FOR EACH ROW EXECUTE FUNCTION procedures_written_once();
CREATE TRIGGER procedures_complication_written_once
    BEFORE UPDATE OR DELETE ON procedures_procedurecomplication
    FOR EACH ROW EXECUTE FUNCTION procedures_written_once();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS procedures_complication_written_once ON procedures_procedurecomplication;
DROP TRIGGER IF EXISTS procedures_performance_written_once ON procedures_procedureperformance;
DROP TRIGGER IF EXISTS procedures_record_guard ON procedures_procedurerecord;
DROP FUNCTION IF EXISTS procedures_record_guard();
DROP FUNCTION IF EXISTS procedures_written_once();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("procedures", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
