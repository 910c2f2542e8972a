"""The patient API: POST /api/patients, PATCH /api/patients/{id}, POST /api/patients/{id}/merge."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.models import Patient, PatientFieldChange
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.conftest import MakeMember
from tests.patients.conftest import EUIS_NIK, asep, bearer, euis


def post(client: Client, url: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return client.post(url, json.dumps(body, default=str), content_type="application/json", **headers)


def patch(client: Client, url: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return client.patch(url, json.dumps(body, default=str), content_type="application/json", **headers)


def test_post_registers_a_patient_and_answers_201_with_it(nurse: User, facility: Facility) -> None:
    response = post(Client(), "/api/patients", {"facility_id": facility.pk, **euis()}, bearer(nurse))
    assert response.status_code == 201, response.content
    body = response.json()
    patient = Patient.objects.get()
    assert body["id"] == patient.pk
    assert body["mrn"] == patient.mrn
    assert body["ihs_number"] == ""
    assert body["regency"] == "Kota Bandung"
    assert body["url"] == f"/patients/{patient.pk}/"
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, patient_id=patient.pk).exists()


def test_a_bad_nik_answers_422_naming_the_field(nurse: User, facility: Facility) -> None:
    response = post(Client(), "/api/patients", {"facility_id": facility.pk, **euis(nik="123")}, bearer(nurse))
    assert response.status_code == 422
    assert [f["field"] for f in response.json()["error"]["fields"]] == ["nik"]
    assert not Patient.objects.exists()


def test_a_duplicate_nik_answers_409_with_the_existing_patient(nurse: User, facility: Facility) -> None:
    first = post(Client(), "/api/patients", {"facility_id": facility.pk, **euis()}, bearer(nurse)).json()
    response = post(Client(), "/api/patients", {"facility_id": facility.pk, **euis()}, bearer(nurse))
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "duplicate_nik"
    assert error["fields"][0]["field"] == "nik"
    assert error["patients"][0]["id"] == first["id"]
    assert error["patients"][0]["url"] == f"/patients/{first['id']}/"


def test_a_possible_duplicate_answers_409_until_confirmed(nurse: User, facility: Facility) -> None:
    post(Client(), "/api/patients", {"facility_id": facility.pk, **euis()}, bearer(nurse))
    twin = {
        "facility_id": facility.pk,
        **euis(nik="", no_nik_reason="unknown", other_identifier_kind="other", other_identifier="KK-1"),
    }
    response = post(Client(), "/api/patients", twin, bearer(nurse))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "possible_duplicate"
    confirmed = post(Client(), "/api/patients", {**twin, "confirm_possible_duplicate": True}, bearer(nurse))
    assert confirmed.status_code == 201
    assert Patient.objects.count() == 2


def test_another_organizations_facility_answers_404(nurse: User, other_facility: Facility) -> None:
    response = post(Client(), "/api/patients", {"facility_id": other_facility.pk, **euis()}, bearer(nurse))
    assert response.status_code == 404
    assert not Patient.objects.exists()


def test_patch_edits_with_history_and_refuses_a_stale_version(nurse: User, facility: Facility) -> None:
    created = post(Client(), "/api/patients", {"facility_id": facility.pk, **euis()}, bearer(nurse)).json()
    url = f"/api/patients/{created['id']}"
    response = patch(Client(), url, {"phone": "0813 1111 2222", "version": 1, "reason": "new phone"}, bearer(nurse))
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2
    change = PatientFieldChange.objects.get()
    assert (change.field, change.before, change.after) == ("phone", "0812 3456 7890", "0813 1111 2222")
    stale = patch(Client(), url, {"phone": "0813 9999 0000", "version": 1}, bearer(nurse))
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "stale"
    assert Patient.objects.get().phone == "0813 1111 2222"


def test_patch_refuses_a_nik_of_another_patient_with_409(nurse: User, facility: Facility) -> None:
    post(Client(), "/api/patients", {"facility_id": facility.pk, **euis()}, bearer(nurse))
    other = post(Client(), "/api/patients", {"facility_id": facility.pk, **asep()}, bearer(nurse)).json()
    response = patch(
        Client(),
        f"/api/patients/{other['id']}",
        {"nik": EUIS_NIK, "full_name": "Euis Komariah", "birth_date": "1961-04-12", "sex": "female"},
        bearer(nurse),
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "duplicate_nik"


def test_another_organizations_patient_answers_404_to_patch_and_merge(
    nurse: User, facility: Facility, other_org: Organization, other_facility: Facility, make_member: MakeMember
) -> None:
    other_nurse = make_member(other_org, Role.NURSE)
    foreign = post(Client(), "/api/patients", {"facility_id": other_facility.pk, **euis()}, bearer(other_nurse))
    foreign_id = foreign.json()["id"]
    mine = post(Client(), "/api/patients", {"facility_id": facility.pk, **asep()}, bearer(nurse)).json()
    assert patch(Client(), f"/api/patients/{foreign_id}", {"phone": "0811"}, bearer(nurse)).status_code == 404
    admin = make_member(facility.organization, Role.ADMINISTRATOR)
    merge = post(
        Client(), f"/api/patients/{foreign_id}/merge", {"survivor_id": mine["id"], "reason": "x"}, bearer(admin)
    )
    assert merge.status_code == 404
    assert Patient.objects.get(pk=foreign_id).phone == euis()["phone"]


def test_merge_through_the_api_is_for_administrators(nurse: User, facility: Facility, make_member: MakeMember) -> None:
    a = post(Client(), "/api/patients", {"facility_id": facility.pk, **euis()}, bearer(nurse)).json()
    b = post(Client(), "/api/patients", {"facility_id": facility.pk, **asep()}, bearer(nurse)).json()
    body = {"survivor_id": a["id"], "reason": "same person, two registrations"}
    assert post(Client(), f"/api/patients/{b['id']}/merge", body, bearer(nurse)).status_code == 403
    admin = make_member(facility.organization, Role.ADMINISTRATOR)
    response = post(Client(), f"/api/patients/{b['id']}/merge", body, bearer(admin))
    assert response.status_code == 200, response.content
    assert (response.json()["survivor_id"], response.json()["merged_id"]) == (a["id"], b["id"])
    assert Patient.objects.get(pk=b["id"]).merged_into_id == a["id"]
    got = Client().get(f"/api/patients/{b['id']}", **bearer(nurse)).json()
    assert got["merged_into_id"] == a["id"]
