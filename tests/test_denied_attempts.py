"""Every denied attempt is audited: 403s and "not found" on an object asked for by identifier.

The row must not reveal whether the object exists elsewhere: a probe of another
organization's identifiers gets the answers, and leaves the rows, of a truly missing one.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.accounts.services import create_api_token
from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.clinical.models import AdministrativeSex, Patient
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.conftest import PASSWORD, MakeMember, log_in


def make_patients(org: Organization, facility: Facility, count: int, prefix: str) -> list[Patient]:
    return [
        Patient.objects.create(
            organization=org,
            registered_at=facility,
            mrn=f"{prefix}-{n}",
            full_name=f"Pasien {prefix} {n}",
            birth_date=date(1970, 1, 2),
            sex=AdministrativeSex.FEMALE,
        )
        for n in range(count)
    ]


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def missing_ids(count: int) -> list[int]:
    """Identifiers no row has, in any organization."""
    top = Patient.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return [top + 1000 + n for n in range(count)]


def denials(actor: User, outcome: AuditOutcome | None = None) -> list[AuditEvent]:
    rows = AuditEvent.objects.filter(actor=actor, outcome__in=[AuditOutcome.DENIED, AuditOutcome.NOT_FOUND])
    if outcome is not None:
        rows = rows.filter(outcome=outcome)
    return list(rows.order_by("id"))


@pytest.fixture
def prober(org: Organization, facility: Facility, make_member: MakeMember) -> User:
    return make_member(org, Role.NURSE, username="penyelidik")


@pytest.fixture
def prober_token(prober: User) -> str:
    _token, raw = create_api_token(acting_user=prober, name="probe", expires_in_days=None)
    return raw


@pytest.fixture
def foreign_patients(other_org: Organization, other_facility: Facility) -> list[Patient]:
    return make_patients(other_org, other_facility, 30, "LAIN")


# --- Not found ---------------------------------------------------------------------------


def test_a_probe_of_30_swapped_ids_writes_30_rows_and_answers_like_missing_ids(
    org: Organization, prober: User, prober_token: str, foreign_patients: list[Patient]
) -> None:
    client = Client(**bearer(prober_token))
    missing = missing_ids(1)[0]
    expected = client.get(f"/api/patients/{missing}")
    assert expected.status_code == 404
    before = AuditEvent.objects.count()

    for patient in foreign_patients:
        response = client.get(f"/api/patients/{patient.pk}")
        assert response.status_code == 404
        assert response.json() == expected.json()
        assert response["Content-Type"] == expected["Content-Type"]

    rows = denials(prober, AuditOutcome.NOT_FOUND)
    assert AuditEvent.objects.count() - before == 30
    assert len(rows) == 31  # the missing id's too
    probed = rows[1:]
    assert [r.object_id for r in probed] == [str(p.pk) for p in foreign_patients]
    for row in probed:
        assert row.organization_id == org.pk  # the prober's own organization's chain
        assert row.action == AuditAction.READ
        assert row.object_type == "patient"
        assert row.patient_id is None  # nothing read about the patient, not even whose it is
        assert row.reason == f"404 GET /api/patients/{row.object_id} (patient_id={row.object_id})"
    # The row of an existing foreign id and of a missing one differ only in the id.
    first, missing_row = rows[1], rows[0]
    assert (first.action, first.outcome, first.object_type, first.organization_id, first.facility_id) == (
        missing_row.action,
        missing_row.outcome,
        missing_row.object_type,
        missing_row.organization_id,
        missing_row.facility_id,
    )


def _shape(queries: list[dict[str, str]]) -> list[str]:
    # The statements without their values: the same work whatever the identifier.
    return [re.sub(r"'[^']*'|\b\d+\b", "V", q["sql"]) for q in queries]


def test_an_existing_foreign_id_and_a_missing_one_run_the_same_statements_and_the_row_is_one_insert(
    prober_token: str, foreign_patients: list[Patient]
) -> None:
    client = Client(**bearer(prober_token))
    missing_id = missing_ids(1)[0]
    client.get(f"/api/patients/{missing_id + 1}")  # warm up: prepared statements, the token's last use
    with CaptureQueriesContext(connection) as foreign:
        assert client.get(f"/api/patients/{foreign_patients[0].pk}").status_code == 404
    with CaptureQueriesContext(connection) as missing:
        assert client.get(f"/api/patients/{missing_id}").status_code == 404
    assert _shape(foreign.captured_queries) == _shape(missing.captured_queries)

    audit = [q["sql"] for q in foreign.captured_queries if "audit_" in q["sql"]]
    inserts = [sql for sql in audit if "INSERT INTO" in sql and '"audit_auditevent"' in sql]
    assert len(inserts) == 1
    if connection.vendor == "postgresql":
        # One statement: the chain's head moved and the row inserted together.
        assert len(audit) == 1
    else:
        # The generic append: lock the chain's head, insert, move the head.
        assert len(audit) == 3


def test_pages_and_fhir_reads_of_another_organizations_object_are_audited_like_missing_ones(
    org: Organization, prober: User, foreign_patients: list[Patient]
) -> None:
    client = log_in(Client(), prober)
    foreign, missing = foreign_patients[0].pk, missing_ids(1)[0]
    page_foreign = client.get(f"/patients/{foreign}/")
    page_missing = client.get(f"/patients/{missing}/")
    assert page_foreign.status_code == page_missing.status_code == 404
    assert [t.name for t in page_foreign.templates] == [t.name for t in page_missing.templates]
    rows = denials(prober, AuditOutcome.NOT_FOUND)
    assert [(r.object_type, r.object_id) for r in rows] == [("patient", str(foreign)), ("patient", str(missing))]
    assert all(r.organization_id == org.pk for r in rows)


def test_a_fhir_read_of_another_organizations_patient_is_not_found_and_audited(
    org: Organization, prober: User, foreign_patients: list[Patient]
) -> None:
    _token, raw = create_api_token(acting_user=prober, name="fhir", expires_in_days=None, scopes=["fhir:export"])
    client = Client(**bearer(raw))
    foreign = client.get(f"/fhir/R4/Patient/{foreign_patients[0].pk}")
    missing = client.get(f"/fhir/R4/Patient/{missing_ids(1)[0]}")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    rows = denials(prober, AuditOutcome.NOT_FOUND)
    assert [r.object_type for r in rows] == ["fhir.Patient", "fhir.Patient"]
    assert rows[0].object_id == str(foreign_patients[0].pk)


def test_a_not_found_inside_a_rolled_back_write_keeps_its_row(
    org: Organization, prober: User, prober_token: str, foreign_patients: list[Patient]
) -> None:
    client = Client(**bearer(prober_token))
    response = client.post(
        f"/api/patients/{foreign_patients[0].pk}/assessments",
        {"instrument": "nrs", "answers": {"score": 5}},
        content_type="application/json",
    )
    assert response.status_code == 404
    (row,) = denials(prober)
    assert (row.action, row.outcome, row.object_id) == (
        AuditAction.CREATE,
        AuditOutcome.NOT_FOUND,
        str(foreign_patients[0].pk),
    )


def test_anonymous_requests_are_not_denied_attempts(foreign_patients: list[Patient]) -> None:
    before = AuditEvent.objects.count()
    assert Client().get(f"/patients/{foreign_patients[0].pk}/").status_code == 302  # to the login page
    assert Client().get(f"/api/patients/{foreign_patients[0].pk}").status_code == 401
    assert AuditEvent.objects.count() == before


def test_a_not_found_without_an_identifier_is_not_a_denied_attempt(prober: User) -> None:
    client = log_in(Client(), prober)
    assert client.get("/no-such-page/").status_code == 404
    assert denials(prober) == []


# --- 403 -------------------------------------------------------------------------------


def test_a_refusal_recorded_by_the_door_is_not_recorded_twice(org: Organization, prober: User) -> None:
    client = log_in(Client(), prober)
    assert client.get("/audit/").status_code == 403  # not a compliance officer: audited there
    (row,) = denials(prober)
    assert (row.action, row.object_type, row.reason) == (
        AuditAction.PERMISSION_DENIED,
        "audit_report",
        "not a compliance officer",
    )


def test_a_403_that_nothing_recorded_gets_one_row(db: None) -> None:
    # An account with no membership anywhere: the scope refuses, and nobody wrote a row.
    loner = User.objects.create_user(username="sendiri", password=PASSWORD)
    client = log_in(Client(), loner)
    assert client.get("/").status_code == 403
    (row,) = denials(loner)
    assert (row.action, row.outcome, row.organization_id, row.object_type, row.object_id) == (
        AuditAction.PERMISSION_DENIED,
        AuditOutcome.DENIED,
        None,
        "request",
        "/",
    )
    assert row.reason == "403 GET /"


def test_a_refused_token_scope_is_one_row(prober: User, foreign_patients: list[Patient]) -> None:
    _token, raw = create_api_token(acting_user=prober, name="fhir", expires_in_days=None, scopes=["fhir:export"])
    response = Client(**bearer(raw)).get(f"/api/patients/{foreign_patients[0].pk}")
    assert response.status_code == 403
    (row,) = denials(prober)
    assert row.object_type == "api_token"


def test_an_anonymous_form_without_its_csrf_token_is_one_row(db: None) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post("/accounts/login/", {"username": "x", "password": "y"}).status_code == 403
    (row,) = AuditEvent.objects.filter(outcome=AuditOutcome.DENIED)
    assert (row.actor_id, row.organization_id, row.object_type) == (None, None, "request")


def test_denial_rows_are_written_in_the_request_context(prober: User, prober_token: str) -> None:
    Client(**bearer(prober_token)).get("/api/patients/999999", HTTP_X_REQUEST_ID="probe-1")
    (row,) = denials(prober)
    assert row.request_id == "probe-1"
    assert row.client_address == "127.0.0.1"
    assert timezone.now() - row.occurred_at < timedelta(minutes=1)
