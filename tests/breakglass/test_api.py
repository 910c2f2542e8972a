"""Break-glass in the JSON API: the 403 envelope, breaking the glass, the compliance review."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.accounts.services import create_api_token
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.breakglass.models import BreakGlassGrant
from nyeri.clinical.models import Patient
from nyeri.tenancy.models import Facility, Organization
from tests.breakglass.conftest import REASON, make_patient, visit


def post(client: Client, url: str, body: dict[str, object]) -> Any:
    return client.post(url, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")


def test_every_endpoint_of_a_patient_outside_ones_care_answers_403_care_access_required(
    branch_client: Client, patient: Patient, main_nurse: User
) -> None:
    encounter = visit(patient, patient.registered_at, main_nurse)
    for url in (
        f"/api/patients/{patient.pk}",
        f"/api/patients/{patient.pk}/assessments",
        f"/api/patients/{patient.pk}/series",
        f"/api/patients/{patient.pk}/diagnoses",
        f"/api/encounters?patient={patient.pk}",
        f"/api/encounters/{encounter.pk}",
    ):
        response = branch_client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 403, url
        error = response.json()["error"]
        assert error["code"] == "care_access_required", url
        assert f"/api/patients/{patient.pk}/break-glass" in error["message"], url
    assert not AuditEvent.objects.filter(action=AuditAction.READ, patient_id=patient.pk).exists()


def test_the_search_answers_identification_only_outside_ones_care(
    org: Organization, branch: Facility, branch_client: Client, patient: Patient
) -> None:
    theirs = make_patient(org, branch, "RM-7", "Ujang Cimahi")
    found = branch_client.get("/api/patients", {"q": "RM-"}).json()
    assert found["count"] == 2
    by_id = {p["id"]: p for p in found["items"]}
    assert by_id[patient.pk] == {
        "id": patient.pk,
        "mrn": "RM-0042",
        "full_name": "Sri Wahyuni",
        "birth_date": None,
        "sex": None,
        "registered_at_id": None,
        "in_care": False,
    }
    assert by_id[theirs.pk]["in_care"] is True
    assert by_id[theirs.pk]["birth_date"] == "1961-08-17"


def test_breaking_the_glass_through_the_api_opens_the_patient(
    branch_client: Client, patient: Patient, officers: list[User]
) -> None:
    response = post(branch_client, f"/api/patients/{patient.pk}/break-glass", {"reason": REASON})
    assert response.status_code == 201
    body = response.json()
    grant = BreakGlassGrant.objects.get()
    assert body["id"] == grant.pk
    assert body["patient"] == {"id": patient.pk, "mrn": "RM-0042", "full_name": "Sri Wahyuni"}
    assert body["review_outcome"] == ""
    assert branch_client.get(f"/api/patients/{patient.pk}").status_code == 200
    read = AuditEvent.objects.filter(action=AuditAction.READ, patient_id=patient.pk).latest("id")
    assert read.reason == f"api; break-glass grant {grant.pk}"


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "darurat"}])
def test_the_api_names_the_missing_reason_in_the_envelope(
    branch_client: Client, patient: Patient, body: dict[str, object]
) -> None:
    response = post(branch_client, f"/api/patients/{patient.pk}/break-glass", body)
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert fields == [{"field": "reason", "message": "Give the reason for emergency access, at least 20 characters."}]
    assert not BreakGlassGrant.objects.exists()


def test_the_api_refuses_break_glass_to_non_clinical_roles_and_hides_other_organizations(
    officer_client: Client, branch_client: Client, patient: Patient, foreign_patient: Patient
) -> None:
    refused = post(officer_client, f"/api/patients/{patient.pk}/break-glass", {"reason": REASON})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    hidden = post(branch_client, f"/api/patients/{foreign_patient.pk}/break-glass", {"reason": REASON})
    assert hidden.status_code == 404
    assert not BreakGlassGrant.objects.exists()


def test_compliance_officers_list_read_and_review_grants_through_the_api(
    branch_client: Client, officer_client: Client, patient: Patient, officers: list[User], branch_nurse: User
) -> None:
    post(branch_client, f"/api/patients/{patient.pk}/break-glass", {"reason": REASON})
    branch_client.get(f"/api/patients/{patient.pk}")
    grant = BreakGlassGrant.objects.get()
    listed = officer_client.get("/api/break-glass/grants").json()["items"]
    assert [(g["id"], g["username"], g["event_count"]) for g in listed] == [(grant.pk, branch_nurse.username, 2)]
    assert listed[0]["audit_report_url"].startswith("/audit/?")
    detail = officer_client.get(f"/api/break-glass/grants/{grant.pk}").json()
    # The listed grant reads as its own endpoint shows it, without the events.
    assert listed[0] == {key: value for key, value in detail.items() if key != "events"}
    assert [e["action"] for e in detail["events"]] == ["break_glass", "read"]
    assert detail["patient"] == {"id": patient.pk, "mrn": "RM-0042", "full_name": "Sri Wahyuni"}
    missing = post(officer_client, f"/api/break-glass/grants/{grant.pk}/review", {"outcome": "justified"})
    assert missing.status_code == 422
    assert [f["field"] for f in missing.json()["error"]["fields"]] == ["note"]
    done = post(
        officer_client, f"/api/break-glass/grants/{grant.pk}/review", {"outcome": "justified", "note": "IGD, sah."}
    )
    assert done.status_code == 200
    assert done.json()["review_outcome"] == "justified"
    assert officer_client.get("/api/break-glass/grants").json()["items"] == []
    reviewed = officer_client.get("/api/break-glass/grants?status=reviewed").json()["items"]
    assert [g["id"] for g in reviewed] == [grant.pk]


def test_the_grants_are_paged_newest_first(
    branch_client: Client, officer_client: Client, org: Organization, facility: Facility, patient: Patient
) -> None:
    other = make_patient(org, facility, "RM-0043", "Dewi Lestari")
    for someone in (patient, other):
        assert post(branch_client, f"/api/patients/{someone.pk}/break-glass", {"reason": REASON}).status_code == 201
    first = officer_client.get("/api/break-glass/grants", {"page_size": 1}).json()
    assert (first["count"], first["page"], first["pages"], first["page_size"]) == (2, 1, 2, 1)
    assert [g["patient"]["id"] for g in first["items"]] == [other.pk]
    [older] = officer_client.get("/api/break-glass/grants", {"page_size": 1, "page": 2}).json()["items"]
    assert older["patient"] == {"id": patient.pk, "mrn": "RM-0042", "full_name": "Sri Wahyuni"}
    assert officer_client.get("/api/break-glass/grants", {"page": 3}).json()["items"] == []


def test_clinicians_cannot_list_or_review_grants_through_the_api(branch_client: Client, patient: Patient) -> None:
    post(branch_client, f"/api/patients/{patient.pk}/break-glass", {"reason": REASON})
    grant = BreakGlassGrant.objects.get()
    assert branch_client.get("/api/break-glass/grants").status_code == 403
    assert branch_client.get(f"/api/break-glass/grants/{grant.pk}").status_code == 403
    review = post(branch_client, f"/api/break-glass/grants/{grant.pk}/review", {"outcome": "justified", "note": "x"})
    assert review.status_code == 403


def test_an_expired_grant_no_longer_opens_the_patient_in_the_api(
    branch_client: Client, branch_nurse: User, patient: Patient
) -> None:
    post(branch_client, f"/api/patients/{patient.pk}/break-glass", {"reason": REASON})
    BreakGlassGrant.objects.update(
        starts_at=timezone.now() - timedelta(hours=2), ends_at=timezone.now() - timedelta(hours=1)
    )
    assert branch_client.get(f"/api/patients/{patient.pk}").status_code == 403


def test_a_token_client_is_judged_by_the_same_rule(branch_nurse: User, patient: Patient) -> None:
    _, secret = create_api_token(acting_user=branch_nurse, name="script", expires_in_days=None)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get(f"/api/patients/{patient.pk}").json()["error"]["code"] == "care_access_required"
    created = client.post(
        f"/api/patients/{patient.pk}/break-glass", {"reason": REASON}, content_type="application/json"
    )
    assert created.status_code == 201
    assert client.get(f"/api/patients/{patient.pk}").status_code == 200
