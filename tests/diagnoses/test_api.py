"""The diagnosis API: problem list, recording, amendments, entered in error, code catalogues."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.diagnoses import services
from nyeri.clinical.diagnoses.models import Diagnosis
from nyeri.clinical.models import Patient
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.conftest import MakeMember
from tests.diagnoses.conftest import client_of, licensed_staff, make_patient, scope_of
from tests.queries import statements_of


def post(client: Client, url: str, body: dict[str, object]) -> object:
    return client.post(url, body, content_type="application/json")


def test_the_api_lists_the_problem_list_with_titles_in_both_languages(
    physician: User, patient: Patient, low_back_pain: Diagnosis
) -> None:
    response = client_of(physician).get(f"/api/patients/{patient.pk}/diagnoses")
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("count", "page", "pages", "page_size")} == {
        "count": 1,
        "page": 1,
        "pages": 1,
        "page_size": 50,
    }
    [row] = body["items"]
    assert row["id"] == low_back_pain.pk
    assert (row["icd10_code"], row["icd10_title"], row["icd10_title_id"]) == (
        "M54.5",
        "Low back pain",
        "Nyeri punggung bawah (lumbago)",
    )
    assert (row["version"], row["record_status"], row["clinical_status"]) == (1, "original", "active")
    assert row["recorded_by_name"] == "Dr_Budi"
    event = AuditEvent.objects.filter(action=AuditAction.READ).latest("pk")
    assert (event.patient_id, event.reason) == (patient.pk, "api diagnoses")


def test_the_api_records_a_diagnosis_with_its_icd11_category(physician: User, patient: Patient) -> None:
    response = post(
        client_of(physician),
        f"/api/patients/{patient.pk}/diagnoses",
        {"icd10_code": "R52.1", "icd11_category": "MG30.5", "body_site": "leg", "laterality": "left"},
    )
    assert response.status_code == 201, response.content  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert (body["icd10_code"], body["icd11_category"], body["icd11_title_en"], body["icd11_title_id"]) == (
        "R52.1",
        "MG30.5",
        "Chronic neuropathic pain",
        "Nyeri kronis neuropatik",
    )
    assert Diagnosis.objects.get().pk == body["id"]


def test_bad_input_is_a_422_envelope_naming_each_field_and_nothing_is_saved(physician: User, patient: Patient) -> None:
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = post(
        client_of(physician),
        f"/api/patients/{patient.pk}/diagnoses",
        {"icd10_code": "XYZ", "onset_date": tomorrow, "icd11_category": "MG31"},
    )
    assert response.status_code == 422  # type: ignore[attr-defined]
    error = response.json()["error"]  # type: ignore[attr-defined]
    assert error["code"] == "invalid"
    assert {f["field"] for f in error["fields"]} == {"icd10_code", "onset_date", "icd11_category"}
    assert not Diagnosis.objects.exists()


def test_a_nurse_is_refused_by_the_engine_with_its_reasons(licensed_nurse: User, patient: Patient) -> None:
    response = post(client_of(licensed_nurse), f"/api/patients/{patient.pk}/diagnoses", {"icd10_code": "M54.5"})
    assert response.status_code == 403  # type: ignore[attr-defined]
    error = response.json()["error"]  # type: ignore[attr-defined]
    assert error["code"] == "forbidden"
    assert any("Needs one of these roles" in f["message"] for f in error["fields"])
    assert not Diagnosis.objects.exists()


def test_amending_through_the_api_changes_only_the_fields_sent(physician: User, low_back_pain: Diagnosis) -> None:
    client = client_of(physician)
    response = post(
        client,
        f"/api/diagnoses/{low_back_pain.pk}/amend",
        {"reason": "Resolved after RFA", "clinical_status": "resolved", "onset_date": None},
    )
    assert response.status_code == 201, response.content  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert (body["version"], body["amends_id"], body["clinical_status"], body["onset_date"]) == (
        2,
        low_back_pain.pk,
        "resolved",
        None,
    )
    assert (body["body_site"], body["suspected_cause"]) == ("lower_back", "Facet joint arthropathy")
    history = client.get(f"/api/diagnoses/{low_back_pain.pk}/history").json()["items"]
    assert [(v["version"], v["clinical_status"]) for v in history] == [(1, "active"), (2, "resolved")]
    missing_reason = post(client, f"/api/diagnoses/{body['id']}/amend", {"reason": "", "laterality": "left"})
    assert missing_reason.status_code == 422  # type: ignore[attr-defined]
    assert missing_reason.json()["error"]["fields"][0]["field"] == "reason"  # type: ignore[attr-defined]


def test_a_diagnosis_history_is_paged_first_version_first_audited_in_constant_statements(
    physician: User, patient: Patient, low_back_pain: Diagnosis
) -> None:
    client = client_of(physician)
    url = f"/api/diagnoses/{low_back_pain.pk}/history"
    first = client.get(url).json()
    assert (first["count"], first["page"], first["pages"], first["page_size"]) == (1, 1, 1, 50)
    [only] = first["items"]
    assert (only["id"], only["version"], only["recorded_by_name"]) == (low_back_pain.pk, 1, str(physician))
    read = AuditEvent.objects.filter(action=AuditAction.READ, patient_id=patient.pk).latest("pk")
    assert read.reason == "api diagnosis history"
    one_version = statements_of(lambda: client.get(url))
    latest = low_back_pain.pk
    for side in ("left", "right", "bilateral", "left"):
        amended = client.post(
            f"/api/diagnoses/{latest}/amend",
            {"reason": "Re-examined", "laterality": side},
            content_type="application/json",
        )
        latest = amended.json()["id"]
    assert statements_of(lambda: client.get(url)) == one_version
    second = client.get(f"/api/diagnoses/{latest}/history", {"page": 2, "page_size": 2}).json()
    assert (second["count"], second["pages"]) == (5, 3)
    assert [(v["version"], v["laterality"]) for v in second["items"]] == [(3, "right"), (4, "bilateral")]


def test_entered_in_error_through_the_api_hides_the_diagnosis(
    physician: User, patient: Patient, low_back_pain: Diagnosis
) -> None:
    client = client_of(physician)
    response = post(client, f"/api/diagnoses/{low_back_pain.pk}/entered-in-error", {"reason": "Wrong patient"})
    assert response.status_code == 201  # type: ignore[attr-defined]
    assert response.json()["record_status"] == "entered_in_error"  # type: ignore[attr-defined]
    assert client.get(f"/api/patients/{patient.pk}/diagnoses").json()["items"] == []


def test_another_organizations_diagnoses_are_not_found_in_the_api(
    physician: User,
    foreign_patient: Patient,
    other_org: Organization,
    other_facility: Facility,
    make_member: MakeMember,
) -> None:
    stranger = licensed_staff(make_member, other_org, other_facility, Role.PAIN_PHYSICIAN, "dr_lain")
    theirs = services.record_diagnosis(
        scope=scope_of(stranger), acting_user=stranger, patient=foreign_patient, icd10_code="G43.9"
    )
    client = client_of(physician)
    responses = [
        client.get(f"/api/patients/{foreign_patient.pk}/diagnoses"),
        post(client, f"/api/patients/{foreign_patient.pk}/diagnoses", {"icd10_code": "M54.5"}),
        client.get(f"/api/diagnoses/{theirs.pk}/history"),
        post(client, f"/api/diagnoses/{theirs.pk}/amend", {"reason": "x", "laterality": "left"}),
        post(client, f"/api/diagnoses/{theirs.pk}/entered-in-error", {"reason": "x"}),
    ]
    for response in responses:
        assert response.status_code == 404  # type: ignore[attr-defined]
        assert response.json()["error"]["code"] == "not_found"  # type: ignore[attr-defined]
    assert Diagnosis.objects.count() == 1


def test_a_facility_of_another_organization_is_not_found(
    physician: User, patient: Patient, other_facility: Facility
) -> None:
    response = post(
        client_of(physician),
        f"/api/patients/{patient.pk}/diagnoses",
        {"icd10_code": "M54.5", "facility_id": other_facility.pk},
    )
    assert response.status_code == 404  # type: ignore[attr-defined]


def test_the_code_endpoints_search_icd10_in_both_languages_and_list_the_icd11_categories(physician: User) -> None:
    client = client_of(physician)
    indonesian = client.get("/api/codes/icd10", {"q": "nyeri punggung"}).json()
    assert indonesian[0]["code"] == "M54.5"
    english = client.get("/api/codes/icd10", {"q": "low back"}).json()
    assert english[0] == {
        "code": "M54.5",
        "title_en": "Low back pain",
        "title_id": "Nyeri punggung bawah (lumbago)",
        "chronic_pain": False,
    }
    prefix = client.get("/api/codes/icd10", {"q": "M54", "limit": 3}).json()
    assert [c["code"] for c in prefix] == ["M54.0", "M54.1", "M54.2"]
    assert client.get("/api/codes/icd10", {"q": "x", "limit": 500}).status_code == 422
    categories = client.get("/api/codes/icd11-pain").json()
    assert [c["code"] for c in categories][:2] == ["MG30.0", "MG30.1"]
    assert len(categories) == 9


def test_the_api_needs_a_login(patient: Patient) -> None:
    assert Client().get(f"/api/patients/{patient.pk}/diagnoses").status_code == 401
    assert Client().get("/api/codes/icd10", {"q": "M54"}).status_code == 401


def test_a_listed_diagnosis_reads_the_same_as_the_one_just_recorded(physician: User, patient: Patient) -> None:
    client = client_of(physician)
    recorded = post(
        client,
        f"/api/patients/{patient.pk}/diagnoses",
        {"icd10_code": "R52.1", "icd11_category": "MG30.5", "body_site": "leg", "laterality": "left"},
    ).json()  # type: ignore[attr-defined]
    [listed] = client.get(f"/api/patients/{patient.pk}/diagnoses").json()["items"]
    assert listed == recorded


def test_the_problem_list_is_paged_active_first_in_the_same_statements_for_one_and_for_many(
    physician: User,
    patient: Patient,
    low_back_pain: Diagnosis,
    org: Organization,
    facility: Facility,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    scope = scope_of(physician)
    crowded = make_patient(org, facility, "RM-DX-2", "Banyak")
    for n in range(30):
        services.record_diagnosis(
            scope=scope,
            acting_user=physician,
            patient=crowded,
            icd10_code="M54.5",
            clinical_status="resolved" if n % 2 else "active",
        )
    client = client_of(physician)
    client.get(f"/api/patients/{patient.pk}/diagnoses")  # the session and the audit chain are warm
    with CaptureQueriesContext(connection) as one:
        client.get(f"/api/patients/{patient.pk}/diagnoses")
    with django_assert_num_queries(len(one)):
        page = client.get(f"/api/patients/{crowded.pk}/diagnoses", {"page": 2, "page_size": 20}).json()
    assert (page["count"], page["page"], page["pages"], page["page_size"], len(page["items"])) == (30, 2, 2, 20, 10)
    assert {row["clinical_status"] for row in page["items"]} == {"resolved"}
    past_the_end = client.get(f"/api/patients/{crowded.pk}/diagnoses", {"page": 9}).json()
    assert (past_the_end["count"], past_the_end["items"]) == (30, [])
    bad = client.get(f"/api/patients/{crowded.pk}/diagnoses", {"page_size": 501})
    assert bad.status_code == 422
    assert [f["field"] for f in bad.json()["error"]["fields"]] == ["page_size"]
