"""ServiceRequest serves both kinds of order: imaging orders (bare numeric ids, as before) and
procedure orders (ids procedure-<pk>), in reads, searches, paging, _include and $export."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import ResourceNotFound
from pytest_django import DjangoAssertNumQueries
from pytest_django.live_server_helper import LiveServer

from nyeri.accounts.services import create_api_token
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.imaging.models import Referral
from nyeri.interop.fhir.export import run_export
from nyeri.interop.models import FhirExport
from nyeri.procedures.models import ProcedureRecord
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.conftest import MakeMember
from tests.interop.conftest import Clinic, at, bearer, make_imaging_order, make_patient, make_procedure
from tests.interop.test_fhir_search import ids
from tests.interop.test_fhir_search import search as get

pytestmark = pytest.mark.django_db

BASE = "/fhir/R4"
ICD9CM = "http://hl7.org/fhir/sid/icd-9-cm"


def order_procedure(clinic: Clinic, *, status: str = "ordered", day: int = 4, **fields: Any) -> ProcedureRecord:
    """An interlaminar epidural steroid injection on the left, ordered at the clinic (not yet performed)."""
    values: dict[str, Any] = {
        "organization": clinic.org,
        "patient": clinic.patient,
        "facility": clinic.facility,
        "encounter": clinic.encounter,
        "procedure_code": "esi_interlaminar",
        "catalogue_version": "2026.11-1",
        "body_site": "lower_back",
        "laterality": "left",
        "guidance": "fluoroscopy",
        "anesthesia": "local",
        "indication": "Radicular pain L5 left",
        "status": status,
        "ordered_by": clinic.user,
        "ordered_at": at(day, 9),
    }
    # What the record's constraints ask of each status.
    by_status: dict[str, dict[str, Any]] = {
        "scheduled": {
            "scheduled_for": at(day, 8) + timedelta(days=6),
            "scheduled_by": clinic.user,
            "scheduled_at": at(day, 10),
        },
        "cancelled": {"cancelled_by": clinic.user, "cancelled_at": at(day, 11), "cancel_reason": "Pain resolved"},
        "entered_in_error": {
            "entered_in_error_by": clinic.user,
            "entered_in_error_at": at(day, 11),
            "entered_in_error_reason": "Wrong patient",
        },
    }
    return ProcedureRecord.objects.create(**(values | by_status.get(status, {}) | fields))


def branch(org: Organization, code: str = "cabang") -> Facility:
    return Facility.objects.create(
        organization=org,
        name=f"Klinik {code}",
        code=code,
        kind=Facility.Kind.PAIN_CLINIC,
        province="Jawa Barat",
        regency="Kota Cimahi",
        regency_code="32.77",
    )


def refer(clinic: Clinic, record: ProcedureRecord, **target: Any) -> Referral:
    return Referral.objects.create(
        organization=clinic.org,
        patient=record.patient,
        procedure=record,
        equipment_kind="c_arm",
        from_facility=clinic.facility,
        sent_by=clinic.user,
        sent_at=at(5, 8),
        **target,
    )


def test_a_procedure_order_is_a_service_request_coded_in_icd_9_cm_with_body_site_side_and_requester(
    fhir: Client, clinic: Clinic
) -> None:
    record = order_procedure(clinic, status="scheduled")
    data = get(fhir, f"/ServiceRequest/procedure-{record.pk}")
    ServiceRequest.model_validate(data)
    assert data["id"] == f"procedure-{record.pk}"
    assert (data["status"], data["intent"]) == ("active", "order")
    assert {
        "system": ICD9CM,
        "code": "03.92",
        "display": "Injection of other agent into spinal canal",
    } in data["code"]["coding"]
    assert data["code"]["text"] == "Interlaminar epidural steroid injection"
    assert {c["code"] for c in data["bodySite"][0]["coding"]} == {"lower_back", "left"}
    assert data["subject"] == {"reference": f"Patient/{clinic.patient.pk}"}
    assert data["encounter"] == {"reference": f"Encounter/{clinic.encounter.pk}"}
    assert data["requester"] == {"reference": f"Practitioner/{clinic.person.pk}"}
    assert data["authoredOn"] == "2026-11-04T09:00:00+07:00"
    assert data["occurrenceDateTime"] == "2026-11-10T08:00:00+07:00"
    assert data["locationReference"] == [{"reference": f"Location/{clinic.facility.pk}"}]
    assert data["reasonCode"] == [{"text": "Radicular pain L5 left"}]


@pytest.mark.parametrize(
    ("stored", "served"),
    [
        ("ordered", "active"),
        ("scheduled", "active"),
        ("performed", "completed"),
        ("elsewhere", "completed"),
        ("cancelled", "revoked"),
        ("entered_in_error", "entered-in-error"),
    ],
)
def test_the_order_status_follows_the_procedure_records_status(
    fhir: Client, clinic: Clinic, stored: str, served: str
) -> None:
    record = order_procedure(clinic, status=stored)
    assert get(fhir, f"/ServiceRequest/procedure-{record.pk}")["status"] == served
    assert ids(get(fhir, f"/ServiceRequest?status={served}")) == [f"procedure-{record.pk}"]


def test_a_procedure_referred_to_a_network_facility_is_located_there_with_the_referral_note(
    fhir: Client, clinic: Clinic
) -> None:
    record = order_procedure(clinic)
    elsewhere = branch(clinic.org)
    refer(clinic, record, to_facility=elsewhere, note="C-arm under repair here")
    data = get(fhir, f"/ServiceRequest/procedure-{record.pk}")
    assert data["locationReference"] == [{"reference": f"Location/{elsewhere.pk}"}]
    assert data["note"] == [{"text": "C-arm under repair here"}]
    assert "performer" not in data


def test_a_procedure_referred_to_an_outside_provider_names_it_as_performer(fhir: Client, clinic: Clinic) -> None:
    record = order_procedure(clinic)
    refer(clinic, record, outside_name="RS Hasan Sadikin", outside_address="Jl. Pasteur 38, Bandung")
    data = get(fhir, f"/ServiceRequest/procedure-{record.pk}")
    ServiceRequest.model_validate(data)
    assert data["performer"] == [{"display": "RS Hasan Sadikin"}]
    assert "locationReference" not in data


def test_a_performed_procedures_order_is_completed_under_the_records_id(fhir: Client, clinic: Clinic) -> None:
    record = make_procedure(clinic)
    Procedure.model_validate(get(fhir, f"/Procedure/{record.pk}"))
    order = get(fhir, f"/ServiceRequest/procedure-{record.pk}")
    assert order["status"] == "completed"
    assert order["subject"] == {"reference": f"Patient/{clinic.patient.pk}"}


def test_imaging_orders_keep_their_numeric_ids_next_to_procedure_orders(fhir: Client, clinic: Clinic) -> None:
    imaging = make_imaging_order(clinic)
    # The same pk in both tables: the ids still differ.
    record = order_procedure(clinic, pk=imaging.pk)
    assert get(fhir, f"/ServiceRequest/{imaging.pk}")["code"]["coding"][0]["code"] == "MR"
    assert get(fhir, f"/ServiceRequest/procedure-{record.pk}")["code"]["coding"][0]["code"] == "03.92"
    bundle = get(fhir, f"/ServiceRequest?patient={clinic.patient.pk}")
    assert bundle["total"] == 2
    assert ids(bundle) == [str(imaging.pk), f"procedure-{record.pk}"]
    assert [e["fullUrl"].rsplit("/", 2)[-2:] for e in bundle["entry"]] == [
        ["ServiceRequest", str(imaging.pk)],
        ["ServiceRequest", f"procedure-{record.pk}"],
    ]
    assert ids(get(fhir, f"/ServiceRequest?_id=procedure-{record.pk}")) == [f"procedure-{record.pk}"]
    assert ids(get(fhir, f"/ServiceRequest?_id={imaging.pk}")) == [str(imaging.pk)]
    both = get(fhir, f"/ServiceRequest?_id=ServiceRequest/{imaging.pk},procedure-{record.pk}")
    assert both["total"] == 2


def test_a_search_by_code_authored_date_and_status_spans_both_kinds(fhir: Client, clinic: Clinic) -> None:
    imaging = make_imaging_order(clinic)  # ordered on 3 November
    record = order_procedure(clinic, day=6)
    procedure_id = f"procedure-{record.pk}"
    assert ids(get(fhir, f"/ServiceRequest?code={ICD9CM}|03.92")) == [procedure_id]
    assert ids(get(fhir, "/ServiceRequest?code=esi_interlaminar")) == [procedure_id]
    assert ids(get(fhir, "/ServiceRequest?code=MR")) == [str(imaging.pk)]
    assert ids(get(fhir, "/ServiceRequest?code=MR,03.92")) == [str(imaging.pk), procedure_id]
    assert ids(get(fhir, "/ServiceRequest?authored=ge2026-11-05")) == [procedure_id]
    assert ids(get(fhir, "/ServiceRequest?authored=ge2026-11-01&authored=lt2026-11-05")) == [str(imaging.pk)]
    assert get(fhir, "/ServiceRequest?status=active")["total"] == 2
    assert get(fhir, "/ServiceRequest?status=revoked")["total"] == 0


def test_paging_runs_from_the_imaging_orders_into_the_procedure_orders(fhir: Client, clinic: Clinic) -> None:
    imaging = [make_imaging_order(clinic) for _ in range(2)]
    records = [order_procedure(clinic, day=day) for day in (4, 5, 6)]
    seen: list[str] = []
    path = f"/ServiceRequest?_count=2&_include=ServiceRequest:patient&patient={clinic.patient.pk}"
    while True:
        bundle = get(fhir, path)
        assert bundle["total"] == 5
        assert len(ids(bundle)) <= 2
        assert ids(bundle, mode="include") == [str(clinic.patient.pk)]
        seen += ids(bundle)
        following = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
        if following is None:
            break
        split = urlsplit(following)
        path = split.path.removeprefix(BASE) + "?" + split.query
    assert seen == [str(o.pk) for o in imaging] + [f"procedure-{r.pk}" for r in records]
    assert get(fhir, "/ServiceRequest?_summary=count")["total"] == 5


@pytest.mark.parametrize(
    "query",
    ["_id=referral-1", "_id=procedure-x", "_id=Procedure/procedure-1", "status=bogus", "authored=2026-13-01"],
)
def test_a_malformed_search_value_is_a_400_naming_the_parameter(fhir: Client, clinic: Clinic, query: str) -> None:
    outcome = get(fhir, f"/ServiceRequest?{query}", status=400)
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["expression"] == [query.partition("=")[0]]


@pytest.mark.parametrize("raw_id", ["procedure-999999", "procedure-", "referral-1", "procedure-0", "99999999"])
def test_an_unknown_or_malformed_id_is_not_found(fhir: Client, clinic: Clinic, raw_id: str) -> None:
    assert get(fhir, f"/ServiceRequest/{raw_id}", status=404)["issue"][0]["code"] == "not-found"


def test_another_organizations_procedure_order_is_not_found(
    fhir: Client, clinic: Clinic, other_org: Organization, other_facility: Facility, make_member: MakeMember
) -> None:
    stranger = make_member(other_org, Role.PAIN_PHYSICIAN, username="lain")
    patient = make_patient(other_org, other_facility, "RM-1", "Orang Lain", "3578010101700002")
    theirs = order_procedure(
        clinic, organization=other_org, patient=patient, facility=other_facility, encounter=None, ordered_by=stranger
    )
    assert get(fhir, f"/ServiceRequest/procedure-{theirs.pk}", status=404)["issue"][0]["code"] == "not-found"
    assert get(fhir, "/ServiceRequest")["total"] == 0
    assert get(fhir, f"/ServiceRequest?_id=procedure-{theirs.pk}")["total"] == 0


def test_a_facility_limited_member_sees_only_the_procedure_orders_of_their_facilities(
    clinic: Clinic, make_member: MakeMember
) -> None:
    elsewhere = branch(clinic.org)
    here = order_procedure(clinic)
    there = order_procedure(clinic, facility=elsewhere)
    nurse = make_member(clinic.org, Role.NURSE, username="sini", facilities=(clinic.facility,))
    _token, raw = create_api_token(acting_user=nurse, name="fhir", expires_in_days=None)
    client = Client(**bearer(raw))
    # The patient is in the nurse's care; the procedure ordered at the other facility is not hers.
    assert ids(get(client, f"/ServiceRequest?patient={clinic.patient.pk}")) == [f"procedure-{here.pk}"]
    assert get(client, f"/ServiceRequest/procedure-{there.pk}", status=404)["issue"][0]["code"] == "not-found"
    outsider = make_member(clinic.org, Role.NURSE, username="cabang", facilities=(elsewhere,))
    _token, raw = create_api_token(acting_user=outsider, name="fhir", expires_in_days=None)
    # Not in the care of a member of the other facility: the patient's orders are not found there.
    assert get(Client(**bearer(raw)), "/ServiceRequest")["total"] == 0


def test_a_search_of_both_kinds_costs_the_same_queries_whatever_the_page_size(
    fhir: Client, clinic: Clinic, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    get(fhir, "/ServiceRequest")  # token "last used" written once
    make_imaging_order(clinic)
    record = order_procedure(clinic)
    refer(clinic, record, outside_name="RS Hasan Sadikin", outside_address="Jl. Pasteur 38")
    with CaptureQueriesContext(connection) as small:
        get(fhir, "/ServiceRequest?_include=ServiceRequest:patient")
    for day in range(6, 26):
        make_imaging_order(clinic)
        refer(clinic, order_procedure(clinic, day=day), to_facility=branch(clinic.org, f"c{day}"))
    with django_assert_max_num_queries(len(small)):
        bundle = get(fhir, "/ServiceRequest?_include=ServiceRequest:patient")
    assert bundle["total"] == 42


def test_reading_and_searching_procedure_orders_is_audited(fhir: Client, clinic: Clinic) -> None:
    record = order_procedure(clinic)
    get(fhir, f"/ServiceRequest/procedure-{record.pk}")
    read = AuditEvent.objects.filter(action=AuditAction.READ, object_type="fhir.ServiceRequest").get()
    assert (read.object_id, read.patient_id, read.actor_id) == (
        f"procedure-{record.pk}",
        clinic.patient.pk,
        clinic.user.pk,
    )
    get(fhir, f"/ServiceRequest?patient={clinic.patient.pk}")
    found = AuditEvent.objects.filter(action=AuditAction.SEARCH, object_type="fhir.ServiceRequest").get()
    assert found.patient_id == clinic.patient.pk


def test_the_bulk_export_writes_both_kinds_of_order_and_each_line_is_valid_r4(
    fhir: Client, clinic: Clinic, settings: Any, tmp_path: Path
) -> None:
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    imaging = make_imaging_order(clinic)
    record = order_procedure(clinic)
    response = fhir.get(f"{BASE}/$export?_type=ServiceRequest", HTTP_PREFER="respond-async")
    assert response.status_code == 202, response.content
    export = FhirExport.objects.get()
    assert run_export(export_id=str(export.pk))["resources"] == 2
    export.refresh_from_db()
    assert export.output == [{"type": "ServiceRequest", "count": 2}]
    lines = (tmp_path / "fhir-export" / str(clinic.org.pk) / str(export.pk) / "ServiceRequest.ndjson").read_text()
    written = [ServiceRequest.model_validate(json.loads(line)) for line in lines.splitlines()]
    assert [r.id for r in written] == [str(imaging.pk), f"procedure-{record.pk}"]


def test_since_exports_a_procedure_order_changed_by_a_later_referral(
    fhir: Client, clinic: Clinic, settings: Any, tmp_path: Path
) -> None:
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    record = order_procedure(clinic, day=1)
    make_imaging_order(clinic)  # ordered on 3 November, never changed
    refer(clinic, record, outside_name="RS Hasan Sadikin", outside_address="Jl. Pasteur 38")  # sent on 5 November
    response = fhir.get(
        f"{BASE}/$export?_type=ServiceRequest&_since=2026-11-04T00:00:00%2B07:00", HTTP_PREFER="respond-async"
    )
    assert response.status_code == 202, response.content
    export = FhirExport.objects.get()
    run_export(export_id=str(export.pk))
    export.refresh_from_db()
    assert export.output == [{"type": "ServiceRequest", "count": 1}]


@pytest.mark.django_db(transaction=True)
def test_fhirpy_reads_a_procedure_order_and_finds_it_by_patient(live_server: LiveServer, clinic: Clinic) -> None:
    record = order_procedure(clinic)
    imaging = make_imaging_order(clinic)
    client = SyncFHIRClient(live_server.url + BASE, authorization=f"Bearer {clinic.token}")
    order = client.reference("ServiceRequest", f"procedure-{record.pk}").to_resource()
    assert order["code"]["coding"][0]["code"] == "03.92"
    found = client.resources("ServiceRequest").search(patient=f"Patient/{clinic.patient.pk}").fetch_all()
    assert sorted(o["id"] for o in found) == sorted([str(imaging.pk), f"procedure-{record.pk}"])
    with pytest.raises(ResourceNotFound):
        client.reference("ServiceRequest", "procedure-999999").to_resource()
