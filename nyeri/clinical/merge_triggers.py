"""PostgreSQL: let a patient merge move append-only rows to the surviving record.

The append-only guards (clinical, diagnoses, prescriptions, procedures, imaging, register)
refuse any change of a written row, its patient included. A merge must move every row of
the merged record to the survivor and change nothing else. ``install`` prefixes each guard
function of a table with a foreign key to the patient table with a clause that lets an
UPDATE through when the transaction set ``nyeri.patient_merge`` (only the merge service
sets it, with ``SET LOCAL`` semantics: ``set_config(..., true)``) and the row is unchanged
but for its ``patient_id``. Every other update is judged by the guard as before.

A migration that later re-creates one of these guard functions must call ``install``
again (``tests/clinical/test_patient_merge.py`` fails on PostgreSQL otherwise).
"""

from __future__ import annotations

from typing import Any

MARKER = "-- nyeri: patient merge"

PROLOGUE = f"""
    {MARKER}
    IF TG_OP = 'UPDATE' AND current_setting('nyeri.patient_merge', true) = 'on'
        AND (to_jsonb(NEW) - 'patient_id') = (to_jsonb(OLD) - 'patient_id') THEN
        RETURN NEW;
    END IF;
"""

GUARDS_SQL = """
SELECT DISTINCT p.oid, p.proname, n.nspname, p.prosrc
FROM pg_trigger t
JOIN pg_proc p ON p.oid = t.tgfoid
JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_constraint fk ON fk.conrelid = t.tgrelid AND fk.contype = 'f'
JOIN pg_class target ON target.oid = fk.confrelid
WHERE NOT t.tgisinternal AND target.relname = 'clinical_patient'
"""


def install(schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(GUARDS_SQL)
        guards = cursor.fetchall()
    for _oid, name, schema, source in guards:
        if MARKER in source:
            continue
        head, begin, rest = source.partition("BEGIN")
        if not begin:
            continue
        body = f"{head}BEGIN{PROLOGUE}{rest}"
        schema_editor.execute(
            f'CREATE OR REPLACE FUNCTION "{schema}"."{name}"() RETURNS trigger LANGUAGE plpgsql '
            f"AS $nyeri_body${body}$nyeri_body$;",
            params=None,
        )
