"""FHIR Bulk Data export ($export): kick-off, the job on a real worker, the manifest, the NDJSON
files (every line validated with the R4B models), the tenant wall, cancel, prune, bad input."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from django.http.response import HttpResponseBase
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from nyeri.accounts.services import create_api_token
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.background.models import JobRun, JobStatus
from nyeri.interop.fhir.export import prune_exports
from nyeri.interop.models import ExportStatus, FhirExport
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.background.conftest import database_queue, work_once  # noqa: F401  (a fixture)
from tests.conftest import MakeMember
from tests.interop.conftest import (
    Clinic,
    at,
    bearer,
    make_imaging_order,
    make_patient,
    make_prescription,
    make_procedure,
    make_score,
)

ASYNC = {"HTTP_PREFER": "respond-async", "HTTP_ACCEPT": "application/fhir+json"}


@pytest.fixture(autouse=True)
def export_root(settings: Any, tmp_path: Path) -> Path:
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    return tmp_path


def kick_off(client: Client, query: str = "", level: str = "") -> HttpResponseBase:
    path = f"/fhir/R4/{level + '/' if level else ''}$export" + (f"?{query}" if query else "")
    return client.get(path, **ASYNC)


def status_path(response: HttpResponseBase) -> str:
    assert response.status_code == 202, response.content
    return urlsplit(response["Content-Location"]).path


def download(client: Client, url: str) -> list[dict[str, Any]]:
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+ndjson"
    # Reading the stream to its end closes the file (and the response).
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    lines = body.decode("utf-8").splitlines()
    return [json.loads(line) for line in lines]


def validated(resource: dict[str, Any]) -> Any:
    """The line as its R4B model: raises if the resource is not valid FHIR R4."""
    return get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def files_of(client: Client, manifest: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for item in manifest["output"]:
        resources = download(client, item["url"])
        assert len(resources) == item["count"]
        for resource in resources:
            assert resource["resourceType"] == item["type"]
            validated(resource)
        found[item["type"]] = resources
    return found


@pytest.fixture
def full_clinic(clinic: Clinic) -> Clinic:
    make_procedure(clinic)
    make_prescription(clinic)
    make_imaging_order(clinic)
    return clinic


@pytest.mark.usefixtures("database_queue")
def test_a_bulk_export_is_written_by_the_worker_and_every_line_is_valid_r4(
    fhir: Client, full_clinic: Clinic, export_root: Path
) -> None:
    clinic = full_clinic
    status = status_path(kick_off(fhir))
    waiting = fhir.get(status)
    assert waiting.status_code == 202
    assert waiting["X-Progress"]

    work_once()

    done = fhir.get(status)
    assert done.status_code == 200
    manifest = done.json()
    assert manifest["requiresAccessToken"] is True
    assert manifest["request"].endswith("/fhir/R4/$export")
    assert manifest["error"] == []
    assert manifest["transactionTime"]
    files = files_of(fhir, manifest)
    assert {"Patient", "Observation", "Encounter", "Condition", "Procedure", "MedicationRequest"} <= set(files)
    assert {"Organization", "Location", "Practitioner", "ServiceRequest", "QuestionnaireResponse"} <= set(files)
    assert "AuditEvent" not in files  # only when asked for by name
    assert [p["id"] for p in files["Patient"]] == [str(clinic.patient.pk)]
    assert sorted(o["id"] for o in files["Observation"]) == sorted([str(clinic.nrs.pk), str(clinic.odi.pk)])
    nrs = next(o for o in files["Observation"] if o["id"] == str(clinic.nrs.pk))
    assert nrs["valueInteger"] == 7
    assert nrs["code"]["coding"][0] == {"system": "http://loinc.org", "code": "72514-3"}
    odi = next(o for o in files["Observation"] if o["id"] == str(clinic.odi.pk))
    assert odi["valueQuantity"]["value"] == 42.5  # a decimal as a JSON number, not a string

    folder = export_root / "fhir-export" / str(clinic.org.pk)
    assert sorted(p.name for p in folder.glob("*/*.ndjson")) == sorted(f"{t}.ndjson" for t in files)
    reasons = list(
        AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="fhir.$export").values_list(
            "reason", flat=True
        )
    )
    assert reasons[0].startswith("fhir $export requested")
    assert "Observation 2" in reasons[1]
    assert "Patient 1" in reasons[1]
    assert AuditEvent.objects.filter(
        action=AuditAction.READ, object_type="fhir.$export", reason__contains="Observation.ndjson"
    ).exists()


def test_type_and_since_choose_what_is_written(fhir: Client, clinic: Clinic) -> None:
    # The clinic's records were written before this moment; a new patient and score after it.
    since = timezone.localtime()
    later = make_patient(clinic.org, clinic.facility, "RM-9", "Siti Aminah")
    late_score = make_score(later, clinic.user, at(20))
    query = f"_type=Patient,Observation&_since={quote(since.isoformat())}"
    manifest = fhir.get(status_path(kick_off(fhir, query))).json()
    files = files_of(fhir, manifest)
    assert set(files) == {"Patient", "Observation"}
    assert [o["id"] for o in files["Observation"]] == [str(late_score.pk)]
    assert [p["id"] for p in files["Patient"]] == [str(later.pk)]


def test_a_patient_level_export_holds_only_the_patients_records(fhir: Client, clinic: Clinic) -> None:
    manifest = fhir.get(status_path(kick_off(fhir, level="Patient"))).json()
    types = {item["type"] for item in manifest["output"]}
    assert {"Patient", "Observation", "Condition", "Encounter"} <= types
    assert not types & {"Organization", "Location", "Practitioner", "PractitionerRole", "Device"}
    assert kick_off(fhir, "_type=Practitioner", level="Patient").status_code == 400


def test_the_compliance_officer_exports_the_audit_trail_by_name_and_others_are_refused(
    fhir: Client, clinic: Clinic, make_member: MakeMember
) -> None:
    assert kick_off(fhir, "_type=AuditEvent").status_code == 403
    officer = make_member(clinic.org, Role.COMPLIANCE_OFFICER, username="kepatuhan")
    _token, raw = create_api_token(acting_user=officer, name="audit", expires_in_days=None)
    client = Client(**bearer(raw))
    manifest = client.get(status_path(kick_off(client, "_type=AuditEvent"))).json()
    assert [item["type"] for item in manifest["output"]] == ["AuditEvent"]
    files_of(client, manifest)


def test_a_member_without_a_clinical_role_cannot_export_patient_data(clinic: Clinic, make_member: MakeMember) -> None:
    clerk = make_member(clinic.org, Role.CREDENTIALING_OFFICER, username="kredensial")
    _token, raw = create_api_token(acting_user=clerk, name="x", expires_in_days=None)
    client = Client(**bearer(raw))
    assert kick_off(client).status_code == 403
    assert kick_off(client, "_type=Practitioner,Location").status_code == 202
    assert [export.types for export in FhirExport.objects.all()] == [["Practitioner", "Location"]]


@pytest.mark.parametrize(
    ("query", "headers", "expression"),
    [
        ("_type=Banana", ASYNC, "_type"),
        ("_type=Patient,Banana", ASYNC, "_type"),
        ("_since=yesterday", ASYNC, "_since"),
        ("_since=2026-11-01", ASYNC, "_since"),
        ("_since=2026-13-01T00:00:00%2B07:00", ASYNC, "_since"),
        ("_outputFormat=text/csv", ASYNC, "_outputFormat"),
        ("_elements=id", ASYNC, "_elements"),
        ("", {}, ""),
    ],
)
def test_bad_kick_off_input_is_an_operation_outcome_400_and_nothing_is_queued(
    fhir: Client, clinic: Clinic, query: str, headers: dict[str, str], expression: str
) -> None:
    response = fhir.get("/fhir/R4/$export" + (f"?{query}" if query else ""), **headers)
    assert response.status_code == 400
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    if expression:
        assert body["issue"][0]["expression"] == [expression]
    assert FhirExport.objects.count() == 0


def test_without_a_token_the_export_is_refused(clinic: Clinic) -> None:
    response = Client().get("/fhir/R4/$export", **ASYNC)
    assert response.status_code == 401


def test_another_organizations_or_another_members_export_is_not_found(
    fhir: Client, clinic: Clinic, other_org: Organization, other_facility: Facility, make_member: MakeMember
) -> None:
    status = status_path(kick_off(fhir))
    manifest = fhir.get(status).json()
    file_url = urlsplit(manifest["output"][0]["url"]).path
    stranger = make_member(other_org, Role.PAIN_PHYSICIAN, username="asing")
    colleague = make_member(clinic.org, Role.PAIN_PHYSICIAN, username="rekan")
    for user in (stranger, colleague):
        _token, raw = create_api_token(acting_user=user, name="x", expires_in_days=None)
        client = Client(**bearer(raw))
        assert client.get(status).status_code == 404
        assert client.get(file_url).status_code == 404
        assert client.delete(status).status_code == 404
        assert client.get(status).json()["resourceType"] == "OperationOutcome"
    assert fhir.get("/fhir/R4/$export-status/not-a-uuid").status_code == 404
    assert fhir.get(file_url.replace("Patient.ndjson", "AuditEvent.ndjson")).status_code == 404


def test_delete_cancels_the_export_and_removes_its_files(
    fhir: Client, clinic: Clinic, export_root: Path, django_capture_on_commit_callbacks: Any
) -> None:
    status = status_path(kick_off(fhir))
    assert list(export_root.glob("fhir-export/*/*/*.ndjson"))
    # The files go once the deletion is committed.
    with django_capture_on_commit_callbacks(execute=True):
        assert fhir.delete(status).status_code == 202
    assert fhir.get(status).status_code == 404
    assert not list(export_root.glob("fhir-export/*/*/*.ndjson"))
    assert AuditEvent.objects.filter(action=AuditAction.CANCEL, object_type="fhir.$export").count() == 1


@pytest.mark.usefixtures("database_queue")
def test_an_export_cancelled_before_the_worker_runs_writes_nothing(
    fhir: Client, clinic: Clinic, export_root: Path
) -> None:
    status = status_path(kick_off(fhir))
    assert fhir.delete(status).status_code == 202
    work_once()
    assert not list(export_root.glob("fhir-export/*/*/*"))
    assert FhirExport.objects.count() == 0


def test_old_exports_are_pruned_with_their_files(
    fhir: Client, clinic: Clinic, export_root: Path, settings: Any
) -> None:
    settings.FHIR_EXPORT_KEEP_HOURS = 24
    old = status_path(kick_off(fhir))
    recent = status_path(kick_off(fhir, "_type=Patient"))
    old_id = old.rsplit("/", 1)[-1]
    FhirExport.objects.filter(pk=old_id).update(finished_at=timezone.now() - timedelta(hours=25))
    assert prune_exports() == 1
    assert fhir.get(old).status_code == 404
    assert fhir.get(recent).status_code == 200
    assert not (export_root / "fhir-export" / str(clinic.org.pk) / old_id).exists()
    assert FhirExport.objects.get().status == ExportStatus.COMPLETED


@pytest.mark.usefixtures("database_queue")
def test_an_export_whose_job_failed_for_good_answers_500_until_asked_again(fhir: Client, clinic: Clinic) -> None:
    status = status_path(kick_off(fhir))
    export = FhirExport.objects.get()
    assert export.job_run is not None
    JobRun.objects.filter(pk=export.job_run.pk).update(status=JobStatus.FAILED)
    response = fhir.get(status)
    assert response.status_code == 500
    assert response.json()["issue"][0]["code"] == "exception"
