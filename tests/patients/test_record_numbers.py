"""Record numbers: generated per facility or organization in a configurable format, never twice."""

from __future__ import annotations

import json
from datetime import date
from functools import partial

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.clinical.models import Patient, RecordNumberCounter
from nyeri.clinical.record_numbers import validate_pattern
from nyeri.clinical.registration import PatientDetails
from nyeri.clinical.services import (
    BulkRegistrationRefused,
    BulkRow,
    register_patients_bulk,
    set_record_number_format,
)
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.scope import Scope
from tests.concurrency import all_at_once, raised
from tests.patients.conftest import asep, bearer, client_of, euis, register, scope_of
from tests.queries import statements_of


def foreigner(n: int) -> dict[str, object]:
    return {
        "full_name": f"Visitor {n}",
        "birth_date": date(1990, 1, 1 + n % 28),
        "sex": "male",
        "no_nik_reason": "foreigner",
        "other_identifier_kind": "passport",
        "other_identifier": f"P{n:07d}",
    }


def test_numbers_follow_the_facility_format_then_the_organizations(
    scope: Scope, facility: Facility, admin: User, admin_scope: Scope, org: Organization
) -> None:
    set_record_number_format(scope=admin_scope, acting_user=admin, pattern="RM{seq:05d}")
    first = register(scope, facility, **euis())
    assert first.mrn == "RM00001"
    set_record_number_format(scope=admin_scope, acting_user=admin, facility=facility, pattern="{facility}/{seq}")
    second = register(scope, facility, **asep())
    assert second.mrn == "RS-SEHAT/1"
    year = timezone.localdate().year
    assert RecordNumberCounter.objects.filter(organization=org).count() == 2
    assert year  # numbers per year only when the format names the year


@pytest.mark.parametrize("pattern", ["RM-{year}", "{facility}-{unknown}-{seq}", "{seq", "{seq:06d}" + "X" * 40])
def test_a_format_without_seq_or_with_unknown_placeholders_is_refused(pattern: str) -> None:
    with pytest.raises(ValidationError) as exc:
        validate_pattern(pattern)
    assert "pattern" in exc.value.message_dict


def test_only_an_administrator_sets_the_format(scope: Scope, nurse: User) -> None:
    with pytest.raises(PermissionDenied):
        set_record_number_format(scope=scope, acting_user=nurse, pattern="{seq}")


def test_a_generated_number_already_taken_is_skipped(scope: Scope, facility: Facility) -> None:
    year = timezone.localdate().year
    register(scope, facility, **euis(), mrn=f"RS-SEHAT-{year}-000001")
    assert register(scope, facility, **asep()).mrn == f"RS-SEHAT-{year}-000002"


def test_a_given_record_number_already_used_is_refused(scope: Scope, facility: Facility) -> None:
    register(scope, facility, **euis(), mrn="OLD-1")
    with pytest.raises(ValidationError) as exc:
        register(scope, facility, **asep(), mrn="OLD-1")
    assert "mrn" in exc.value.message_dict


def test_a_bulk_registration_numbers_every_row_and_audits_each(scope: Scope, facility: Facility) -> None:
    rows = [BulkRow(PatientDetails(**foreigner(n))) for n in range(30)] + [BulkRow(PatientDetails(**euis()), "OLD-9")]
    created = register_patients_bulk(scope=scope, acting_user=scope.user, facility=facility, rows=rows)
    assert len(created) == 31
    mrns = [p.mrn for p in Patient.objects.order_by("pk")]
    assert len(set(mrns)) == 31
    assert "OLD-9" in mrns
    assert RecordNumberCounter.objects.get().last_value == 30


def test_a_bulk_registration_with_a_bad_row_writes_nothing(scope: Scope, facility: Facility) -> None:
    register(scope, facility, **euis())
    rows = [
        BulkRow(PatientDetails(**foreigner(1))),
        BulkRow(PatientDetails(**euis())),  # NIK registered already
        BulkRow(PatientDetails(**foreigner(2), nik="123")),
        BulkRow(PatientDetails(**asep())),
        BulkRow(PatientDetails(**asep())),  # twice in the batch
    ]
    with pytest.raises(BulkRegistrationRefused) as exc:
        register_patients_bulk(scope=scope, acting_user=scope.user, facility=facility, rows=rows)
    assert set(exc.value.rows) == {1, 2, 4}
    assert "nik" in exc.value.rows[1]
    assert "nik" in exc.value.rows[2]
    assert "nik" in exc.value.rows[4]
    assert Patient.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_never_get_the_same_number(org: Organization, facility: Facility, nurse: User) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: the race needs PostgreSQL")
    scope = scope_of(nurse)

    def worker(n: int) -> None:
        for k in range(3):
            register(scope, facility, **foreigner(n * 10 + k))

    errors = raised(all_at_once([partial(worker, n) for n in range(8)]))
    assert errors == []
    mrns = list(Patient.objects.values_list("mrn", flat=True))
    assert len(mrns) == 24
    assert len(set(mrns)) == 24
    assert RecordNumberCounter.objects.get().last_value == 24


def test_the_administrator_sets_formats_on_the_page_and_through_the_api(
    admin: User, facility: Facility, nurse: User, other_facility: Facility
) -> None:
    client = client_of(admin)
    assert client.get("/patients/record-numbers/").status_code == 200
    response = client.post("/patients/record-numbers/", {"facility": "", "pattern": "RM-{year}-{seq:05d}"})
    assert response.status_code == 302
    bad = client.post("/patients/record-numbers/", {"facility": str(facility.pk), "pattern": "RM-{year}"})
    assert "pattern" in bad.context["form"].errors
    put = Client().put(
        "/api/record-number-formats",
        json.dumps({"facility_id": facility.pk, "pattern": "{facility}/{seq}"}),
        content_type="application/json",
        **bearer(admin),
    )
    assert put.status_code == 200
    assert {r["facility_id"]: r["example"] for r in put.json()}[facility.pk] == "RS-SEHAT/1"
    foreign = Client().put(
        "/api/record-number-formats",
        json.dumps({"facility_id": other_facility.pk, "pattern": "{seq}"}),
        content_type="application/json",
        **bearer(admin),
    )
    assert foreign.status_code == 404
    assert Client().get("/api/record-number-formats", **bearer(nurse)).status_code == 403
    assert client_of(nurse).get("/patients/record-numbers/").status_code == 403


def test_a_facility_with_the_longest_code_registers_patients_with_the_default_number(
    scope: Scope, facility: Facility
) -> None:
    # /setup/ makes the code from the facility's name: up to 40 characters.
    facility.code = "layanan-nyeri-rumah-sakit-sentosa-makass"
    facility.save(update_fields=["code"])
    year = timezone.localdate().year
    patient = register(scope, facility, **euis())
    assert patient.mrn == f"LAYANAN-NYERI-RUMAH-SAKIT-SENTOSA-MAKASS-{year}-000001"


def test_the_formats_list_is_paged_the_organization_first_then_its_facilities_by_name_in_constant_statements(
    admin: User, org: Organization, facility: Facility, other_facility: Facility
) -> None:
    api = Client()
    first = api.get("/api/record-number-formats", **bearer(admin)).json()
    # Another organization's facility is neither listed nor counted.
    assert (first["count"], first["page"], first["pages"], first["page_size"]) == (2, 1, 1, 50)
    assert [r["facility_id"] for r in first["items"]] == [None, facility.pk]
    before = statements_of(lambda: api.get("/api/record-number-formats", **bearer(admin)))
    for n in range(30):
        Facility.objects.create(organization=org, name=f"Zeta {n:02d}", code=f"z{n:02d}", kind=facility.kind)
    assert statements_of(lambda: api.get("/api/record-number-formats", **bearer(admin))) == before
    second = api.get("/api/record-number-formats", {"page": 2, "page_size": 20}, **bearer(admin)).json()
    assert (second["count"], second["pages"]) == (32, 2)
    year = timezone.localdate().year
    assert [r["example"] for r in second["items"]] == [f"Z{n}-{year}-000001" for n in range(18, 30)]
    one = api.get("/api/record-number-formats", {"page_size": 1}, **bearer(admin)).json()
    assert (one["count"], one["pages"], [r["facility_id"] for r in one["items"]]) == (32, 32, [None])
    assert api.get("/api/record-number-formats", {"page_size": 0}, **bearer(admin)).status_code == 422
