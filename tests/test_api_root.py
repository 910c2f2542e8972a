from __future__ import annotations

import pytest
from django.test import Client

from nyeri.tenancy.models import Facility


def test_the_api_lists_only_the_users_own_facilities(
    nurse_client: Client, facility: Facility, other_facility: Facility
) -> None:
    response = nurse_client.get("/api/facilities")
    assert response.status_code == 200
    assert [f["id"] for f in response.json()["items"]] == [facility.pk]


def test_the_api_answers_404_with_the_error_envelope_for_another_organizations_facility(
    nurse_client: Client, other_facility: Facility
) -> None:
    response = nurse_client.get(f"/api/facilities/{other_facility.pk}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_the_api_refuses_anonymous_callers_with_401(client: Client) -> None:
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_an_invalid_path_parameter_names_the_field(nurse_client: Client) -> None:
    response = nurse_client.get("/api/facilities/not-a-number")
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "invalid"
    assert body["fields"][0]["field"] == "facility_id"


@pytest.mark.django_db
def test_the_openapi_document_and_its_docs_page_are_served_locally(client: Client) -> None:
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "Nyeri API"
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "cdn." not in html
    assert "/static/ninja/swagger-ui-bundle.js" in html
