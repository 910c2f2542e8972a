"""Every write on patient data in the API takes an Idempotency-Key (nyeri/api/idempotency.py).

Checked on the OpenAPI document, which lists the header for each operation that honours it:
a new clinical write without ``@idempotent`` fails here. The behaviour itself is tested in
tests/clinical/test_idempotency.py (and on prescriptions in tests/prescriptions/).
"""

from __future__ import annotations

from typing import Any

from nyeri.accounts.token_scopes import CLINICAL_PREFIXES
from nyeri.api.root import api

WRITES = ("post", "put", "patch")
# Clinical-scope writes that do not take the key, each for its reason.
EXEMPT = {
    # Nothing is saved: a check of items not yet written.
    ("post", "/api/patients/{patient_id}/prescriptions/preview"),
    # The patient's own entry (no account): its own Idempotency-Key, kept on the entry.
    ("post", "/api/diary/{token}/entries"),
    # The organization's and facilities' settings, equipment and staff imports: no patient data.
    ("patch", "/api/organization"),
    ("post", "/api/facilities"),
    ("patch", "/api/facilities/{facility_id}"),
    ("post", "/api/facilities/{facility_id}/deactivate"),
    ("post", "/api/facilities/{facility_id}/reactivate"),
    ("put", "/api/facilities/{facility_id}/profile"),
    ("post", "/api/facilities/{facility_id}/equipment"),
    ("post", "/api/equipment/{equipment_id}/status"),
    ("put", "/api/record-number-formats"),
    ("post", "/api/imports/staff"),
}


def clinical_writes() -> dict[tuple[str, str], dict[str, Any]]:
    document = api.get_openapi_schema()
    return {
        (method, path): operation
        for path, operations in document["paths"].items()
        if path.startswith(CLINICAL_PREFIXES)
        for method, operation in operations.items()
        if method in WRITES
    }


def takes_the_key(operation: dict[str, Any]) -> bool:
    return any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))


def test_every_write_on_patient_data_takes_an_idempotency_key() -> None:
    writes = clinical_writes()
    assert len(writes) > 50
    missing = sorted(k for k, op in writes.items() if k not in EXEMPT and not takes_the_key(op))
    assert missing == []
    for named in (
        ("post", "/api/patients/{patient_id}/assessments"),
        ("post", "/api/encounters"),
        ("post", "/api/encounters/{encounter_id}/finish"),
        ("post", "/api/patients/{patient_id}/diagnoses"),
        ("post", "/api/patients/{patient_id}/procedures"),
        ("post", "/api/procedures/{record_id}/perform"),
        ("post", "/api/patients/{patient_id}/imaging"),
        ("post", "/api/facilities/{facility_id}/register/dispensings"),
        ("post", "/api/patients/{patient_id}/diary-links"),
        ("post", "/api/patients/{patient_id}/consents"),
        ("post", "/api/patients/{patient_id}/prescriptions"),
    ):
        assert takes_the_key(writes[named]), named


def test_the_exemptions_are_real_operations() -> None:
    # A renamed path must not leave a stale exemption behind.
    assert set(clinical_writes()) >= EXEMPT


def test_a_replay_is_documented_as_200_beside_the_201_of_a_creation() -> None:
    operation = clinical_writes()[("post", "/api/patients/{patient_id}/assessments")]
    assert {200, 201} <= {int(status) for status in operation["responses"]}
