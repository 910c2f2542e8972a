"""The personal data rights API: exports, requests and answers; 422 naming each field, 404
for another organization's patient or request."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.models import Encounter, Patient
from nyeri.privacy.models import PatientDataRequest
from tests.queries import statements_of

pytestmark = pytest.mark.django_db


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def test_a_clinician_exports_a_patient_and_answers_a_correction_over_the_api(
    clinician_client: Client, patient: Patient, encounter: Encounter
) -> None:
    export = clinician_client.get(f"/api/patients/{patient.pk}/personal-data", {"language": "en"})
    assert export.status_code == 200, export.content
    assert "clinical.encounter" in {s["key"] for s in export.json()["sections"]}
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, reason__startswith="api, en").count() == 1
    created = post(
        clinician_client,
        f"/api/patients/{patient.pk}/personal-data-requests/corrections",
        {"requested_by": "Dadang", "field": "address", "what_is_wrong": "moved", "should_be": "Jl. Merdeka 1"},
    )
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "open"
    answered = post(clinician_client, f"/api/personal-data-requests/{created.json()['id']}/answer", {"accept": True})
    assert answered.status_code == 200, answered.content
    assert answered.json()["edit_id"] is not None
    listed = clinician_client.get(f"/api/patients/{patient.pk}/personal-data-requests")
    assert [r["status"] for r in listed.json()["items"]] == ["accepted"]
    # The listed request reads as the answer did.
    assert listed.json()["items"][0] == answered.json()


def test_a_patients_requests_are_paged_newest_first_audited_in_constant_statements(
    clinician_client: Client, patient: Patient, foreign_patient: Patient
) -> None:
    url = f"/api/patients/{patient.pk}/personal-data-requests"
    correction = {"requested_by": "Dadang", "field": "address", "what_is_wrong": "moved", "should_be": "Jl. Merdeka 1"}
    ids = [post(clinician_client, f"{url}/corrections", correction).json()["id"]]
    first = clinician_client.get(url).json()
    assert (first["count"], first["page"], first["pages"], first["page_size"]) == (1, 1, 1, 50)
    read = AuditEvent.objects.filter(action=AuditAction.READ, patient_id=patient.pk).latest("pk")
    assert read.reason.endswith("personal data requests")
    one = statements_of(lambda: clinician_client.get(url))
    for n in range(4):
        ids.append(post(clinician_client, f"{url}/corrections", {**correction, "should_be": f"Jl. {n}"}).json()["id"])
    assert statements_of(lambda: clinician_client.get(url)) == one
    second = clinician_client.get(url, {"page": 2, "page_size": 2}).json()
    assert (second["count"], second["pages"]) == (5, 3)
    assert [r["id"] for r in second["items"]] == [ids[2], ids[1]]
    # Another organization's patient is not found, its requests never counted.
    assert clinician_client.get(f"/api/patients/{foreign_patient.pk}/personal-data-requests").status_code == 404


def test_an_erasure_over_the_api_is_refused_with_the_legal_basis(
    clinician_client: Client, patient: Patient, encounter: Encounter
) -> None:
    refused = post(
        clinician_client,
        f"/api/patients/{patient.pk}/personal-data-requests/erasures",
        {"requested_by": "Dadang", "language": "en"},
    )
    assert refused.status_code == 201, refused.content
    assert refused.json()["status"] == "refused"
    assert "Regulation 24/2022" in refused.json()["legal_basis"]


def test_bad_input_names_the_field_and_writes_nothing(clinician_client: Client, patient: Patient) -> None:
    response = post(
        clinician_client,
        f"/api/patients/{patient.pk}/personal-data-requests/corrections",
        {"requested_by": "Dadang", "field": "mrn", "what_is_wrong": "x", "should_be": "y"},
    )
    assert response.status_code == 422
    assert "field" in {f["field"] for f in response.json()["error"]["fields"]}
    assert not PatientDataRequest.objects.exists()


def test_another_organizations_patient_is_not_found_over_the_api(
    clinician_client: Client, foreign_patient: Patient
) -> None:
    assert clinician_client.get(f"/api/patients/{foreign_patient.pk}/personal-data").status_code == 404
    assert clinician_client.get(f"/api/patients/{foreign_patient.pk}/personal-data-requests").status_code == 404


def test_a_candidate_exports_their_own_data_over_the_api(candidate_client: Client) -> None:
    response = candidate_client.get("/api/me/personal-data")
    assert response.status_code == 200, response.content
    assert response.json()["subject"] == "own"
