"""No input makes a 500: NUL, lone surrogates, over-long values and over-large bodies are refused
at the door (nyeri/web/input_guard.py), and an unreachable database is a 503 (nyeri/web/views.py).

PostgreSQL is where these used to fail (it cannot store NUL); the same answers are required on
SQLite, so that nothing is stored there that production could not hold.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.test import Client, override_settings

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.clinical.models import Patient
from nyeri.tenancy.models import Facility
from tests.conftest import log_in

ON_POSTGRESQL = connection.vendor == "postgresql"


@pytest.fixture
def anonymous() -> Client:
    return Client(raise_request_exception=False)


def error_of(response: Any) -> dict[str, Any]:
    return response.json()["error"]


def registration(facility: Facility, **changes: Any) -> str:
    body = {"facility_id": facility.pk, "full_name": "Siti Rahma", "birth_date": "1980-01-01", "sex": "female"}
    body |= {"no_nik_reason": "unknown", "other_identifier_kind": "other", "other_identifier": "X-1"}
    return json.dumps(body | changes)


@pytest.mark.django_db
def test_a_nul_in_the_login_form_is_refused_and_still_audited_as_a_failed_login(anonymous: Client) -> None:
    response = anonymous.post("/accounts/login/", {"username": "ad\x00min", "password": "x"})
    assert response.status_code == 400
    assert "NUL" in response.content.decode()
    event = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert event.outcome == AuditOutcome.DENIED
    assert event.actor_label == "ad\ufffdmin"
    assert event.reason == "invalid_character: username"


@pytest.mark.django_db
def test_a_nul_in_the_query_string_of_a_public_page_is_a_400_not_a_500(anonymous: Client) -> None:
    assert anonymous.get("/jobs/", {"q": "nyeri\x00"}).status_code == 400
    assert anonymous.get("/jobs/", {"q": "nyeri"}).status_code == 200


@pytest.mark.django_db
def test_a_nul_in_a_cookie_is_refused_before_the_session_is_looked_up(anonymous: Client) -> None:
    anonymous.cookies["sessionid"] = "abcdefgh\x00ijklmnop"
    assert anonymous.get("/accounts/login/").status_code == 400


@pytest.mark.django_db
def test_the_api_names_the_json_field_that_holds_a_nul_and_writes_nothing(
    nurse_client: Client, facility: Facility
) -> None:
    response = nurse_client.post(
        "/api/patients", registration(facility, full_name="Siti\x00Rahma"), content_type="application/json"
    )
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_character"
    assert error["fields"][0]["field"] == "full_name"
    assert not Patient.objects.exists()


@pytest.mark.django_db
def test_a_lone_surrogate_in_json_is_refused_with_the_fields_path(nurse_client: Client, facility: Facility) -> None:
    # json.dumps writes the surrogate as the escape \ud800, as an attacker's client would.
    body = json.dumps({"facility_id": facility.pk, "items": [{"note": "\ud800"}]})
    response = nurse_client.post("/api/patients", body, content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["fields"][0]["field"] == "items[0].note"


@pytest.mark.django_db
def test_a_deeply_nested_json_body_is_answered_by_the_endpoint_not_by_a_crash(nurse_client: Client) -> None:
    body = "[" * 100_000 + "]" * 100_000
    nurse_client.raise_request_exception = False
    response = nurse_client.post("/api/patients", body, content_type="application/json")
    assert 400 <= response.status_code < 500


@pytest.mark.django_db
@override_settings(MAX_FIELD_CHARS=1000)
def test_an_over_long_value_is_refused_naming_the_field(anonymous: Client) -> None:
    response = anonymous.get("/api/jobs/board", {"q": "a" * 1001})
    assert response.status_code == 400
    assert error_of(response)["code"] == "too_long"
    assert error_of(response)["fields"][0]["field"] == "q"


@pytest.mark.django_db
@override_settings(MAX_REQUEST_BYTES=64 * 1024)
def test_a_body_over_the_cap_is_refused_unread_even_before_login(anonymous: Client) -> None:
    big = b"x" * (65 * 1024)
    response = anonymous.generic("POST", "/candidates/sign-up/", big, content_type="application/octet-stream")
    assert response.status_code == 413
    event = AuditEvent.objects.get()
    assert (event.action, event.reason) == (AuditAction.PERMISSION_DENIED, "too_large: body")


@pytest.mark.django_db
def test_a_multipart_body_without_its_boundary_is_a_400(nurse_client: Client) -> None:
    response = nurse_client.generic("POST", "/api/tokens", b"--x\r\n", content_type="multipart/form-data")
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid"


@pytest.mark.django_db
def test_fhir_refusals_are_operation_outcomes(anonymous: Client) -> None:
    response = anonymous.get("/fhir/R4/Patient", {"name": "\x00"})
    assert response.status_code == 400
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["expression"] == ["name"]


@pytest.mark.django_db
def test_the_refusal_is_in_the_language_of_the_request(anonymous: Client) -> None:
    response = anonymous.get("/api/jobs/board", {"q": "\x00"}, HTTP_ACCEPT_LANGUAGE="id")
    assert "karakter NUL" in error_of(response)["message"]


@contextmanager
def database_down() -> Iterator[None]:
    """Every statement fails as it does when the server is unreachable."""

    def refuse(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

    with connection.execute_wrapper(refuse):
        yield


@pytest.mark.django_db
def test_with_the_database_down_the_api_answers_503_with_its_envelope_and_retry_after(nurse: User) -> None:
    client = log_in(Client(raise_request_exception=False), nurse)
    with database_down():
        response = client.get("/api/patients")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert error_of(response)["code"] == "unavailable"


@pytest.mark.django_db
def test_with_the_database_down_a_page_answers_503_in_both_languages(nurse: User) -> None:
    client = log_in(Client(raise_request_exception=False), nurse)
    with database_down():
        response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "Sementara tidak tersedia" in page
    assert "Temporarily unavailable" in page


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not ON_POSTGRESQL, reason="a real unreachable PostgreSQL server")
def test_on_postgresql_an_unreachable_server_is_a_503_and_the_next_request_recovers(nurse: User) -> None:
    client = log_in(Client(raise_request_exception=False), nurse)
    settings_dict = connection.settings_dict
    port = settings_dict["PORT"]
    connection.close()
    settings_dict["PORT"] = "1"  # nothing listens there: the connection is refused
    try:
        response = client.get("/api/patients")
    finally:
        connection.close()
        settings_dict["PORT"] = port
    assert response.status_code == 503
    assert client.get("/api/patients").status_code == 200


@pytest.mark.django_db
def test_an_identifier_beyond_a_64_bit_integer_is_not_found_not_a_crash(nurse_client: Client) -> None:
    nurse_client.raise_request_exception = False
    response = nurse_client.post("/api/patients/423107283103489654784/merge", "{}", content_type="application/json")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


@pytest.mark.django_db
def test_a_number_too_large_in_a_body_or_query_is_refused_naming_the_field(
    nurse_client: Client, facility: Facility
) -> None:
    body = registration(facility, facility_id=2**64)
    response = nurse_client.post("/api/patients", body, content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["fields"][0]["field"] == "facility_id"
    assert nurse_client.get("/api/encounters", {"patient": str(2**70)}).status_code == 400
    assert not Patient.objects.exists()
