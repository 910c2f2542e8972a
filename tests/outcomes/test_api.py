"""GET /api/outcomes: the same figures as the page, the same privileges and audit, errors naming the field."""

from __future__ import annotations

from typing import Any

from django.test import Client

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.conftest import MakeMember
from tests.outcomes.conftest import Example, client_of

JANUARY = "from=2025-01-01&to=2025-01-31"


def get(client: Client, query: str) -> Any:
    return client.get(f"/api/outcomes?{query}")


def follow_up(group: dict[str, Any], months: int) -> dict[str, Any]:
    return next(f for f in group["follow_ups"] if f["months"] == months)


def test_the_api_returns_the_hand_computed_figures_and_audits_the_read(example: Example, physician: User) -> None:
    response = get(client_of(physician), JANUARY)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["from"], body["to"], body["facility"], body["measure"]) == ("2025-01-01", "2025-01-31", None, "nrs")
    total = body["total"]
    assert (total["breakdown"], total["patients"], total["baseline_zero"]) == ("total", 4, 0)
    assert follow_up(total, 3) == {
        "months": 3,
        "not_yet_due": 0,
        "not_assessed": 1,
        "assessed": 3,
        "moderate": 2,
        "moderate_percent": "66.7",
        "substantial": 1,
        "substantial_percent": "33.3",
    }
    assert follow_up(total, 6)["moderate_percent"] == "75.0"
    facilities = {g["key"]: g for g in body["by_facility"]}
    b = facilities[str(example.b.pk)]
    assert (b["code"], b["label"], b["patients"]) == ("cimahi", "Klinik Nyeri Cimahi", 1)
    assert follow_up(b, 3)["moderate_percent"] is None
    assert [g["key"] for g in body["by_category"]] == ["MG30.3", "MG30.5", "none"]
    event = AuditEvent.objects.get(action=AuditAction.READ, object_type="outcomes_report")
    assert event.actor_id == physician.pk
    assert event.reason == "api; baseline 2025-01-01..2025-01-31; all facilities; measure nrs"


def test_the_api_filters_by_facility(example: Example, physician: User) -> None:
    body = get(client_of(physician), f"{JANUARY}&facility={example.b.pk}").json()
    assert body["facility"] == example.b.pk
    assert body["total"]["patients"] == 1
    assert [g["key"] for g in body["by_facility"]] == [str(example.b.pk)]
    assert AuditEvent.objects.get(object_type="outcomes_report").facility_id == example.b.pk


def test_the_api_uses_the_default_period_without_dates(physician: User) -> None:
    body = get(client_of(physician), "").json()
    assert body["total"]["patients"] == 0
    assert body["from"] < body["to"]


def test_a_period_ending_before_it_starts_is_a_422_naming_to(physician: User) -> None:
    response = get(client_of(physician), "from=2025-06-01&to=2025-01-01")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"] == [
        {"field": "to", "message": "The end of the period (1 Jan 2025) is before its start (1 Jun 2025)."}
    ]
    assert not AuditEvent.objects.filter(object_type="outcomes_report").exists()


def test_an_unknown_or_foreign_facility_is_a_422_naming_facility(
    physician: User, other_org: Organization, other_facility: Facility
) -> None:
    client = client_of(physician)
    for facility_id in (other_facility.pk, 999999):
        response = get(client, f"{JANUARY}&facility={facility_id}")
        assert response.status_code == 422
        assert response.json()["error"]["fields"] == [
            {"field": "facility", "message": "Unknown facility: choose one of the facilities of your organization."}
        ]


def test_a_malformed_date_or_measure_is_a_422_naming_the_field(physician: User) -> None:
    client = client_of(physician)
    response = get(client, "from=2025-13-01")
    assert response.status_code == 422
    assert [f["field"] for f in response.json()["error"]["fields"]] == ["from"]
    response = get(client, f"{JANUARY}&measure=vas")
    assert response.status_code == 422
    assert [f["field"] for f in response.json()["error"]["fields"]] == ["measure"]


def test_the_api_answers_peg_and_bpi_severity_too(physician: User) -> None:
    client = client_of(physician)
    for measure, label in (("peg", "(PEG) · "), ("bpi_sf", "(BPI-SF) · ")):
        body = get(client, f"{JANUARY}&measure={measure}").json()
        assert body["measure"] == measure
        assert label in body["measure_label"]


def test_roles_without_access_get_a_403_envelope_and_the_refusal_is_audited(
    org: Organization, make_member: MakeMember
) -> None:
    clerk = make_member(org, Role.CREDENTIALING_OFFICER, username="kredensial")
    response = get(client_of(clerk), JANUARY)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED, object_type="outcomes_report").exists()


def test_a_compliance_officer_reads_the_report_through_the_api(
    example: Example, org: Organization, make_member: MakeMember
) -> None:
    officer = make_member(org, Role.COMPLIANCE_OFFICER, username="kepatuhan")
    assert get(client_of(officer), JANUARY).json()["total"]["patients"] == 4


def test_the_api_needs_a_login() -> None:
    assert Client().get(f"/api/outcomes?{JANUARY}").status_code == 401
