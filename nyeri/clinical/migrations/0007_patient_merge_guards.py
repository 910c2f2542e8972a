"""PostgreSQL: the append-only guards let a patient merge move rows (nyeri/clinical/merge_triggers.py)."""

from typing import Any

from django.db import migrations

from nyeri.clinical.merge_triggers import install


def forward(apps: Any, schema_editor: Any) -> None:
    install(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("clinical", "0006_patient_register"),
        ("diagnoses", "0002_append_only_trigger"),
        ("prescriptions", "0002_signed_prescriptions_guard"),
        ("procedures", "0004_entered_in_error"),
        ("imaging", "0002_result_revisions_append_only"),
        ("register", "0002_append_only_trigger"),
        ("breakglass", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forward, migrations.RunPython.noop, elidable=False),
    ]
