"""FHIR searches: by patient, date range, code, status; paging; _include; errors; the tenant wall; audit."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from fhir.resources.R4B.bundle import Bundle
from pytest_django import DjangoAssertNumQueries

from nyeri.accounts.models import User
from nyeri.accounts.services import create_api_token
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.models import AssessmentStatus, Patient
from nyeri.interop.fhir.resources import RESOURCE_TYPES
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.conftest import MakeMember
from tests.interop.conftest import Clinic, at, bearer, make_diagnosis, make_patient, make_score

pytestmark = pytest.mark.django_db

BASE = "/fhir/R4"


def search(client: Client, path: str, status: int = 200) -> dict[str, Any]:
    response = client.get(BASE + path)
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    return json.loads(response.content)


def ids(bundle: dict[str, Any], mode: str = "match") -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == mode]


def link(bundle: dict[str, Any], relation: str) -> str | None:
    return next((entry["url"] for entry in bundle["link"] if entry["relation"] == relation), None)


@pytest.fixture
def foreign(other_org: Organization, other_facility: Facility, make_member: MakeMember) -> Patient:
    user = make_member(other_org, Role.NURSE, username="lain")
    patient = make_patient(other_org, other_facility, "RM-1", "Orang Lain", "3578010101700002")
    make_score(patient, user, at(3))
    make_diagnosis(patient, user)
    return patient


def test_a_search_by_patient_finds_only_that_patients_observations(fhir: Client, clinic: Clinic) -> None:
    other = make_patient(clinic.org, clinic.facility, "RM-2", "Ratna Dewi")
    make_score(other, clinic.user, at(4))
    bundle = search(fhir, f"/Observation?patient=Patient/{clinic.patient.pk}")
    assert bundle["total"] == 2
    assert sorted(ids(bundle)) == sorted([str(clinic.nrs.pk), str(clinic.odi.pk)])
    assert search(fhir, f"/Observation?subject={other.pk}")["total"] == 1


def test_a_date_range_with_ge_and_le_limits_the_observations(fhir: Client, clinic: Clinic) -> None:
    later = make_score(clinic.patient, clinic.user, at(20))
    bundle = search(fhir, "/Observation?date=ge2026-11-10&date=le2026-11-30")
    assert ids(bundle) == [str(later.pk)]
    assert search(fhir, "/Observation?date=le2026-11-03")["total"] == 2
    assert search(fhir, "/Observation?date=2026-11")["total"] == 3
    assert search(fhir, "/Encounter?date=ge2026-11-04")["total"] == 0


def test_a_search_by_loinc_code_finds_the_nrs_scores(fhir: Client, clinic: Clinic) -> None:
    assert ids(search(fhir, "/Observation?code=http://loinc.org|72514-3")) == [str(clinic.nrs.pk)]
    assert ids(search(fhir, "/Observation?code=72514-3")) == [str(clinic.nrs.pk)]
    instrument = "https://nyeri.id/fhir/CodeSystem/instrument-score|odi.index"
    assert ids(search(fhir, f"/Observation?code={instrument}")) == [str(clinic.odi.pk)]


def test_a_search_by_condition_code_accepts_icd_10_and_the_mg30_category(fhir: Client, clinic: Clinic) -> None:
    assert ids(search(fhir, "/Condition?code=http://hl7.org/fhir/sid/icd-10|M54.5")) == [str(clinic.diagnosis.pk)]
    assert ids(search(fhir, "/Condition?code=MG30.3")) == [str(clinic.diagnosis.pk)]
    assert search(fhir, "/Condition?code=G44.2")["total"] == 0
    assert search(fhir, "/Condition?clinical-status=active")["total"] == 1


def test_a_search_by_status_maps_the_fhir_codes(fhir: Client, clinic: Clinic) -> None:
    error = make_score(clinic.patient, clinic.user, at(5))
    assessment = error.assessment
    assessment.status = AssessmentStatus.ENTERED_IN_ERROR
    assessment.entered_in_error_reason = "wrong patient"
    assessment.entered_in_error_at = at(5, 12)
    assessment.save()
    assert ids(search(fhir, "/Observation?status=entered-in-error")) == [str(error.pk)]
    assert search(fhir, "/Observation?status=final")["total"] == 2
    assert search(fhir, "/Encounter?status=finished")["total"] == 1
    assert search(fhir, "/Encounter?status=in-progress")["total"] == 0


def test_count_pages_the_results_with_a_next_link_until_the_last_page(fhir: Client, clinic: Clinic) -> None:
    for day in range(10, 15):
        make_score(clinic.patient, clinic.user, at(day))
    first = search(fhir, "/Observation?_count=3")
    assert first["total"] == 7
    assert len(ids(first)) == 3
    next_url = link(first, "next")
    assert next_url is not None
    seen = ids(first)
    while next_url is not None:
        parts = urlsplit(next_url)
        page = search(fhir, parts.path.removeprefix(BASE) + "?" + parts.query)
        seen += ids(page)
        next_url = link(page, "next")
    assert len(seen) == 7 == len(set(seen))
    assert link(first, "self") is not None


def test_count_above_the_maximum_is_capped_at_500(fhir: Client, clinic: Clinic) -> None:
    bundle = search(fhir, "/Observation?_count=100000")
    assert "_count=500" in (link(bundle, "self") or "")


def test_summary_count_gives_the_total_without_entries(fhir: Client, clinic: Clinic) -> None:
    bundle = search(fhir, "/Observation?_summary=count")
    assert bundle["total"] == 2
    assert "entry" not in bundle
    assert link(bundle, "next") is None


def test_include_adds_the_observations_patients_once(fhir: Client, clinic: Clinic) -> None:
    bundle = search(fhir, "/Observation?_include=Observation:patient")
    assert len(ids(bundle)) == 2
    assert ids(bundle, "include") == [str(clinic.patient.pk)]


def test_an_unknown_search_parameter_is_refused_with_an_operation_outcome(fhir: Client, clinic: Clinic) -> None:
    outcome = search(fhir, "/Observation?colour=blue", status=400)
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["expression"] == ["colour"]
    assert "colour" in outcome["issue"][0]["diagnostics"]


@pytest.mark.parametrize("value", ["2026-13-01", "yesterday", "ge2026-02-30", "xx2026-01-01"])
def test_a_malformed_date_is_refused_with_an_operation_outcome(fhir: Client, clinic: Clinic, value: str) -> None:
    outcome = search(fhir, f"/Observation?date={value}", status=400)
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == "invalid"
    assert outcome["issue"][0]["expression"] == ["date"]


def test_another_organizations_resources_are_not_found(fhir: Client, clinic: Clinic, foreign: Patient) -> None:
    outcome = search(fhir, f"/Patient/{foreign.pk}", status=404)
    assert outcome["resourceType"] == "OperationOutcome"
    search(fhir, f"/Organization/{foreign.organization_id}", status=404)
    search(fhir, f"/Location/{foreign.registered_at_id}", status=404)
    assert search(fhir, f"/Observation?patient={foreign.pk}")["total"] == 0
    assert search(fhir, "/Observation")["total"] == 2
    assert search(fhir, "/Condition")["total"] == 1
    assert search(fhir, "/Patient")["total"] == 1


@pytest.mark.parametrize("header", [None, "Bearer nyeri_abc_def", "Basic dXNlcjpwYXNz"])
def test_a_request_without_a_valid_token_is_refused_with_401(
    client: Client, clinic: Clinic, header: str | None
) -> None:
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get(f"{BASE}/Patient/{clinic.patient.pk}", **extra)  # type: ignore[arg-type]
    assert response.status_code == 401
    assert json.loads(response.content)["resourceType"] == "OperationOutcome"
    assert response["WWW-Authenticate"].startswith("Bearer")
    refused = AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED, object_type="fhir")
    assert refused.count() == (1 if header == "Bearer nyeri_abc_def" else 0)


def test_a_member_without_a_clinical_role_is_refused_patient_data_and_the_refusal_audited(
    clinic: Clinic, make_member: MakeMember
) -> None:
    officer = make_member(clinic.org, Role.COMPLIANCE_OFFICER, username="auditor")
    _token, raw = create_api_token(acting_user=officer, name="fhir", expires_in_days=None)
    client = Client(**bearer(raw))
    search(client, f"/Patient/{clinic.patient.pk}", status=403)
    assert AuditEvent.objects.filter(actor=officer, action=AuditAction.PERMISSION_DENIED).exists()
    assert search(client, f"/Organization/{clinic.org.pk}")["id"] == str(clinic.org.pk)


def test_a_read_writes_one_audit_row_naming_the_patient(fhir: Client, clinic: Clinic) -> None:
    search(fhir, f"/Observation/{clinic.nrs.pk}")
    rows = AuditEvent.objects.filter(actor=clinic.user, action=AuditAction.READ)
    assert [(r.object_type, r.object_id, r.patient_id) for r in rows] == [
        ("fhir.Observation", str(clinic.nrs.pk), clinic.patient.pk)
    ]


def test_a_search_writes_one_audit_row_with_the_patient_when_searched_by_patient(fhir: Client, clinic: Clinic) -> None:
    search(fhir, f"/Observation?patient={clinic.patient.pk}&_include=Observation:patient")
    search(fhir, "/Encounter")
    rows = list(AuditEvent.objects.filter(actor=clinic.user, action=AuditAction.SEARCH).order_by("pk"))
    assert [(r.object_type, r.patient_id) for r in rows] == [
        ("fhir.Observation", clinic.patient.pk),
        ("fhir.Encounter", None),
    ]


def test_a_search_page_costs_the_same_queries_whatever_its_size(
    fhir: Client, clinic: Clinic, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    search(fhir, "/Observation?_include=Observation:patient")  # token "last used" written once
    for day in range(10, 30):
        make_score(clinic.patient, clinic.user, at(day), sites=(("neck", "back", "midline"),))
    # AuditEvent is the compliance officer's; HealthcareService evaluates each facility of its
    # page (about 10 queries a facility, docs/fhir.md; an organization has few).
    clinical = [name for name in RESOURCE_TYPES if name not in ("AuditEvent", "HealthcareService")]
    for kind in ["Observation?_include=Observation:patient", *clinical]:
        with django_assert_max_num_queries(14):
            search(fhir, f"/{kind}")
    with django_assert_max_num_queries(14 + 10):
        search(fhir, "/HealthcareService")


def test_a_facility_limited_member_finds_only_the_patients_in_their_care(
    clinic: Clinic, make_member: MakeMember, org: Organization
) -> None:
    elsewhere = Facility.objects.create(
        organization=org,
        name="Klinik Cabang",
        code="cabang",
        kind=Facility.Kind.PAIN_CLINIC,
        province="Jawa Barat",
        regency="Kota Cimahi",
        regency_code="32.77",
    )
    nurse: User = make_member(org, Role.NURSE, username="cabang", facilities=(elsewhere,))
    _token, raw = create_api_token(acting_user=nurse, name="fhir", expires_in_days=None)
    client = Client(**bearer(raw))
    assert search(client, "/Patient")["total"] == 0
    assert search(client, "/Observation")["total"] == 0
    outcome = search(client, f"/Patient/{clinic.patient.pk}", status=403)
    assert outcome["resourceType"] == "OperationOutcome"


def test_the_compliance_officer_reads_the_audit_trail_as_audit_events(
    fhir: Client, clinic: Clinic, make_member: MakeMember, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    search(fhir, f"/Patient/{clinic.patient.pk}")
    search(fhir, "/AuditEvent", status=403)
    officer = make_member(clinic.org, Role.COMPLIANCE_OFFICER, username="kepatuhan")
    _token, raw = create_api_token(acting_user=officer, name="fhir", expires_in_days=None)
    client = Client(**bearer(raw))
    search(client, "/Organization")
    with django_assert_max_num_queries(14):
        bundle = search(client, f"/AuditEvent?patient={clinic.patient.pk}&subtype=read")
    Bundle.model_validate(bundle)
    events = [e["resource"] for e in bundle["entry"]]
    assert len(events) == 1
    assert events[0]["agent"][0]["who"] == {"display": clinic.user.username}
    assert events[0]["entity"][0]["what"] == {"reference": f"Patient/{clinic.patient.pk}"}
    assert events[0]["action"] == "R"
    refused = AuditEvent.objects.filter(actor=clinic.user, action=AuditAction.PERMISSION_DENIED)
    assert refused.filter(object_type="fhir.AuditEvent").count() == 1


@pytest.mark.parametrize(
    ("query", "expression"),
    [
        ("_count=many", "_count"),
        ("_include=Observation:performer", "_include"),
        ("patient=Practitioner/3", "patient"),
        ("status=done", "status"),
        ("date=2026-11-03T25:00:00", "date"),
    ],
)
def test_a_malformed_value_is_refused_naming_its_parameter(
    fhir: Client, clinic: Clinic, query: str, expression: str
) -> None:
    outcome = search(fhir, f"/Observation?{query}", status=400)
    assert outcome["issue"][0]["expression"] == [expression]
    assert AuditEvent.objects.filter(action=AuditAction.SEARCH).count() == 0


def test_an_unknown_resource_type_is_not_found(fhir: Client, clinic: Clinic) -> None:
    outcome = search(fhir, "/Spaceship", status=404)
    assert outcome["issue"][0]["code"] == "not-supported"
    search(fhir, "/Patient/abc", status=404)


def test_count_zero_gives_the_total_and_no_entries(fhir: Client, clinic: Clinic) -> None:
    bundle = search(fhir, "/Observation?_count=0")
    assert bundle["total"] == 2
    assert "entry" not in bundle


def test_errors_are_translated_into_the_requested_language(fhir: Client, clinic: Clinic) -> None:
    response = fhir.get(f"{BASE}/Observation?colour=blue", HTTP_ACCEPT_LANGUAGE="id")
    assert "tidak didukung" in json.loads(response.content)["issue"][0]["diagnostics"]


def test_a_bigger_page_costs_no_more_queries(fhir: Client, clinic: Clinic) -> None:
    path = "/Observation?_include=Observation:patient&_count=500"
    search(fhir, path)  # token "last used" written once
    with CaptureQueriesContext(connection) as small:
        search(fhir, path)
    for day in range(10, 30):
        other = make_patient(clinic.org, clinic.facility, f"RM-{day}", f"Pasien {day}")
        make_score(other, clinic.user, at(day), sites=(("neck", "back", "midline"),))
    with CaptureQueriesContext(connection) as big:
        bundle = search(fhir, path)
    assert bundle["total"] == 22
    assert len(ids(bundle, "include")) == 21
    assert len(big.captured_queries) == len(small.captured_queries)
