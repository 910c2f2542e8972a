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

JANUARY = "period=2025-01"


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


def test_the_api_uses_the_default_period_without_one(physician: User) -> None:
    body = get(client_of(physician), "").json()
    assert body["total"]["patients"] == 0
    assert body["from"] < body["to"]
    assert body["period"] == body["from"][:4]  # a calendar year


def test_the_api_answers_a_quarter_and_a_year_of_the_same_patients(physician: User, example: Example) -> None:
    client = client_of(physician)
    quarter = get(client, "period=2025-Q1").json()
    assert (quarter["period"], quarter["from"], quarter["to"]) == ("2025-Q1", "2025-01-01", "2025-03-31")
    year = get(client, "period=2025").json()
    assert (year["period"], year["from"], year["to"]) == ("2025", "2025-01-01", "2025-12-31")
    assert quarter["total"]["patients"] == year["total"]["patients"] == 4


def test_an_arbitrary_period_is_a_422_naming_from_and_to_with_the_reason(physician: User) -> None:
    response = get(client_of(physician), "from=2025-01-01&to=2025-03-30")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    reason = (
        "Choose a period from the list: a month (2025-03), a quarter (2025-Q1) or a year (2025). "
        "Periods of any other length could be subtracted from one another."
    )
    assert error["fields"] == [{"field": "from", "message": reason}, {"field": "to", "message": reason}]
    assert not AuditEvent.objects.filter(object_type="outcomes_report").exists()


def test_dates_that_make_a_calendar_period_are_refused_with_its_key(physician: User) -> None:
    response = get(client_of(physician), "from=2025-01-01&to=2025-03-31")
    assert response.status_code == 422
    [from_, _to] = response.json()["error"]["fields"]
    assert from_["message"].endswith("These dates are the period 2025-Q1.")


def test_the_refusal_of_an_arbitrary_period_is_in_indonesian_for_an_indonesian_request(physician: User) -> None:
    response = client_of(physician, "id").get("/api/outcomes?from=2025-01-01")
    assert response.status_code == 422
    [field] = response.json()["error"]["fields"]
    assert field["field"] == "from"
    assert field["message"].startswith("Pilih periode dari daftar")


def test_a_period_not_on_the_calendar_is_a_422_naming_period(physician: User) -> None:
    client = client_of(physician)
    for period in ("2025-Q5", "2025-13", "2025-01-15", "last-90-days"):
        response = get(client, f"period={period}")
        assert response.status_code == 422
        assert [f["field"] for f in response.json()["error"]["fields"]] == ["period"]


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


def test_a_malformed_date_or_a_measure_is_a_422_naming_the_field(physician: User) -> None:
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
