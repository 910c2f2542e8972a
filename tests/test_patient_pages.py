from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.clinical.models import AdministrativeSex, Patient
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.conftest import MakeMember, log_in
from tests.queries import statements_of


def make_patient(org: Organization, facility: Facility, mrn: str, name: str) -> Patient:
    return Patient.objects.create(
        organization=org,
        registered_at=facility,
        mrn=mrn,
        full_name=name,
        birth_date=date(1970, 1, 2),
        sex=AdministrativeSex.MALE,
    )


@pytest.fixture
def patient(org: Organization, facility: Facility) -> Patient:
    return make_patient(org, facility, "RM-1", "Dadang Suryana")


@pytest.fixture
def foreign_patient(other_org: Organization, other_facility: Facility) -> Patient:
    return make_patient(other_org, other_facility, "RM-1", "Orang Lain")


def test_reading_a_patient_is_audited_with_the_patient(nurse_client: Client, nurse: User, patient: Patient) -> None:
    response = nurse_client.get(f"/patients/{patient.pk}/")
    assert response.status_code == 200
    assert "Dadang Suryana" in response.content.decode()
    event = AuditEvent.objects.filter(action=AuditAction.READ).latest("id")
    assert (event.patient_id, event.actor_id, event.object_type) == (patient.pk, nurse.pk, "patient")
    assert event.request_id == response["X-Request-ID"]
    assert event.client_address == "127.0.0.1"


def test_another_organizations_patient_is_not_found_on_the_page_and_in_the_api(
    nurse_client: Client, foreign_patient: Patient
) -> None:
    assert nurse_client.get(f"/patients/{foreign_patient.pk}/").status_code == 404
    response = nurse_client.get(f"/api/patients/{foreign_patient.pk}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert not AuditEvent.objects.filter(patient_id=foreign_patient.pk).exists()


def test_searching_patients_finds_by_name_and_is_audited_without_the_query_text(
    nurse_client: Client, patient: Patient, foreign_patient: Patient
) -> None:
    response = nurse_client.get("/api/patients", {"q": "dadang"})
    assert [p["id"] for p in response.json()["items"]] == [patient.pk]
    assert [p["id"] for p in nurse_client.get("/api/patients", {"q": "Orang"}).json()["items"]] == []
    event = AuditEvent.objects.filter(action=AuditAction.SEARCH).latest("id")
    assert "dadang" not in event.reason


def test_the_patient_search_is_paged_newest_first_in_constant_statements_counting_only_the_organizations(
    nurse_client: Client, patient: Patient, foreign_patient: Patient, org: Organization, facility: Facility
) -> None:
    first = nurse_client.get("/api/patients", {"q": "RM-"}).json()
    # The other organization's RM-1 is neither listed nor counted.
    assert (first["count"], first["page"], first["pages"], first["page_size"]) == (1, 1, 1, 50)
    assert first["items"] == [
        {
            "id": patient.pk,
            "mrn": "RM-1",
            "full_name": "Dadang Suryana",
            "birth_date": "1970-01-02",
            "sex": "male",
            "registered_at_id": facility.pk,
            "in_care": True,
        }
    ]
    one = statements_of(lambda: nurse_client.get("/api/patients", {"q": "RM-"}))
    for n in range(2, 62):
        make_patient(org, facility, f"RM-{n}", f"Pasien {n}")
    assert statements_of(lambda: nurse_client.get("/api/patients", {"q": "RM-"})) == one
    default = nurse_client.get("/api/patients", {"q": "RM-"}).json()
    assert (default["count"], default["pages"], len(default["items"])) == (61, 2, 50)
    second = nurse_client.get("/api/patients", {"q": "RM-", "page": 2, "page_size": 20}).json()
    assert [p["mrn"] for p in second["items"]] == [f"RM-{n}" for n in range(41, 21, -1)]
    event = AuditEvent.objects.filter(action=AuditAction.SEARCH).latest("id")
    assert event.reason == "query length 3; 61 result(s)"


def test_a_compliance_officer_cannot_open_charts_and_the_refusal_is_audited(
    org: Organization, patient: Patient, make_member: MakeMember, client: Client
) -> None:
    officer = make_member(org, Role.COMPLIANCE_OFFICER, username="hendra")
    log_in(client, officer)
    assert client.get(f"/patients/{patient.pk}/").status_code == 403
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.outcome, event.actor_id) == (
        AuditAction.PERMISSION_DENIED,
        AuditOutcome.DENIED,
        officer.pk,
    )
