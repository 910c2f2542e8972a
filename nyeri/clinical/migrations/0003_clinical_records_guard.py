"""PostgreSQL refuses to delete clinical rows or to edit them in place.

Answers, scores, body sites and participants are never changed after they are written. A
pain assessment changes once, from *current* to *amended* or *entered in error* (with who,
when and why); nothing else of it changes. An encounter keeps its patient, facility, kind
and start; it is finished or cancelled, never deleted.

Only on PostgreSQL, like the audit trail's and the diagnoses' triggers. TRUNCATE is not
blocked: test database flushes use it.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION clinical_written_once() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
    RAISE EXCEPTION '% rows are written once: never changed or deleted', TG_TABLE_NAME
        USING HINT = 'Amend the assessment or mark it entered in error: both keep the earlier version.';
END
$body$;

CREATE OR REPLACE FUNCTION clinical_assessment_guard() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'pain assessments are never deleted'
            USING HINT = 'Mark it entered in error: it is kept and left out of trends.';
    END IF;
    IF OLD.status <> 'current' OR NEW.status = 'current' OR (
        NEW.organization_id, NEW.patient_id, NEW.encounter_id, NEW.facility_id, NEW.instrument_code,
        NEW.instrument_version, NEW.recorded_at, NEW.recorded_by_id, NEW.created_at, NEW.source,
        NEW.pain_character, NEW.amends_id, NEW.original_id, NEW.amendment_reason
    ) IS DISTINCT FROM (
        OLD.organization_id, OLD.patient_id, OLD.encounter_id, OLD.facility_id, OLD.instrument_code,
        OLD.instrument_version, OLD.recorded_at, OLD.recorded_by_id, OLD.created_at, OLD.source,
        OLD.pain_character, OLD.amends_id, OLD.original_id, OLD.amendment_reason
    ) THEN
        RAISE EXCEPTION 'a pain assessment is not edited in place'
            USING HINT = 'Amend it (a new version) or mark it entered in error.';
    END IF;
    RETURN NEW;
END
$body$;

CREATE OR REPLACE FUNCTION clinical_encounter_guard() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'encounters are never deleted' USING HINT = 'Cancel it with a reason.';
    END IF;
    IF OLD.status = 'cancelled' OR (
        NEW.organization_id, NEW.patient_id, NEW.facility_id, NEW.kind, NEW.starts_at, NEW.created_by_id,
        NEW.created_at
    ) IS DISTINCT FROM (
        OLD.organization_id, OLD.patient_id, OLD.facility_id, OLD.kind, OLD.starts_at, OLD.created_by_id,
        OLD.created_at
    ) THEN
        RAISE EXCEPTION 'an encounter is only finished or cancelled, not edited';
    END IF;
    RETURN NEW;
END
$body$;

CREATE TRIGGER clinical_answer_written_once BEFORE UPDATE OR DELETE ON clinical_assessmentanswer
    FOR EACH ROW EXECUTE FUNCTION clinical_written_once();
CREATE TRIGGER clinical_score_written_once BEFORE UPDATE OR DELETE ON clinical_assessmentscore
    FOR EACH ROW EXECUTE FUNCTION clinical_written_once();
CREATE TRIGGER clinical_body_site_written_once BEFORE UPDATE OR DELETE ON clinical_assessmentbodysite
    FOR EACH ROW EXECUTE FUNCTION clinical_written_once();
CREATE TRIGGER clinical_participant_written_once BEFORE UPDATE OR DELETE ON clinical_encounterparticipant
    FOR EACH ROW EXECUTE FUNCTION clinical_written_once();
CREATE TRIGGER clinical_assessment_guard BEFORE UPDATE OR DELETE ON clinical_painassessment
    FOR EACH ROW EXECUTE FUNCTION clinical_assessment_guard();
CREATE TRIGGER clinical_encounter_guard BEFORE UPDATE OR DELETE ON clinical_encounter
    FOR EACH ROW EXECUTE FUNCTION clinical_encounter_guard();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS clinical_answer_written_once ON clinical_assessmentanswer;
DROP TRIGGER IF EXISTS clinical_score_written_once ON clinical_assessmentscore;
DROP TRIGGER IF EXISTS clinical_body_site_written_once ON clinical_assessmentbodysite;
DROP TRIGGER IF EXISTS clinical_participant_written_once ON clinical_encounterparticipant;
DROP TRIGGER IF EXISTS clinical_assessment_guard ON clinical_painassessment;
DROP TRIGGER IF EXISTS clinical_encounter_guard ON clinical_encounter;
DROP FUNCTION IF EXISTS clinical_written_once();
DROP FUNCTION IF EXISTS clinical_assessment_guard();
DROP FUNCTION IF EXISTS clinical_encounter_guard();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("clinical", "0002_encounters_assessments"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
