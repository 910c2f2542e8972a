"""PostgreSQL keeps signed prescriptions as they were signed.

- A prescription is never deleted. Its organization, patient, author and idempotency key
  never change. A draft may change (its facility, its computed summary) until it is signed
  or cancelled. A signed prescription only becomes cancelled (status, who, when, why):
  every other column stays as signed. A cancelled one never changes.
- Items are never updated; they are inserted or deleted only while their prescription is a
  draft (a draft's items are replaced when it is edited).

Only on PostgreSQL, like the audit trail's, the diagnoses' and the clinical records'
triggers. TRUNCATE is not blocked: test database flushes use it.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION prescription_guard() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'prescriptions are never deleted'
            USING HINT = 'Cancel the prescription with a reason: the row is kept.';
    END IF;
    IF (NEW.organization_id, NEW.patient_id, NEW.created_by_id, NEW.created_at, NEW.idempotency_key)
        IS DISTINCT FROM (OLD.organization_id, OLD.patient_id, OLD.created_by_id, OLD.created_at, OLD.idempotency_key) THEN
        RAISE EXCEPTION 'a prescription keeps its organization, patient, author and key';
    END IF;
    IF OLD.status = 'draft' THEN
        RETURN NEW;
    END IF;
    IF OLD.status = 'signed' AND NEW.status = 'cancelled' AND (
        to_jsonb(NEW) - ARRAY['status', 'cancelled_at', 'cancelled_by_id', 'cancel_reason']
    ) = (
        to_jsonb(OLD) - ARRAY['status', 'cancelled_at', 'cancelled_by_id', 'cancel_reason']
    ) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'a signed prescription is not changed'
        USING HINT = 'Cancel it with a reason and reissue it: both keep the signed prescription.';
END
$body$;

CREATE OR REPLACE FUNCTION prescription_item_guard() RETURNS trigger
LANGUAGE plpgsql AS $body$
DECLARE
    parent_status text;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'prescription items are written once'
            USING HINT = 'Replace the items of a draft; a signed prescription is cancelled and reissued.';
    END IF;
    SELECT status INTO parent_status FROM prescriptions_prescription
        WHERE id = (CASE WHEN TG_OP = 'DELETE' THEN OLD.prescription_id ELSE NEW.prescription_id END);
    IF parent_status IS DISTINCT FROM 'draft' THEN
        RAISE EXCEPTION 'the items of a signed or cancelled prescription are not changed';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$body$;

CREATE TRIGGER prescription_guard BEFORE UPDATE OR DELETE ON prescriptions_prescription
    FOR EACH ROW EXECUTE FUNCTION prescription_guard();
CREATE TRIGGER prescription_item_guard BEFORE INSERT OR UPDATE OR DELETE ON prescriptions_prescriptionitem
    FOR EACH ROW EXECUTE FUNCTION prescription_item_guard();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS prescription_guard ON prescriptions_prescription;
DROP TRIGGER IF EXISTS prescription_item_guard ON prescriptions_prescriptionitem;
DROP FUNCTION IF EXISTS prescription_guard();
DROP FUNCTION IF EXISTS prescription_item_guard();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("prescriptions", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
