from __future__ import annotations

import pytest
from django.test import Client

from nyeri.tenancy.models import Facility


def test_a_member_sees_their_facility_dashboard(nurse_client: Client, facility: Facility) -> None:
    response = nurse_client.get(f"/facilities/{facility.pk}/")
    assert response.status_code == 200
    assert facility.name in response.content.decode()


def test_another_organizations_facility_is_not_found(nurse_client: Client, other_facility: Facility) -> None:
    response = nurse_client.get(f"/facilities/{other_facility.pk}/")
    assert response.status_code == 404


@pytest.mark.django_db
def test_healthz_answers_ok_when_the_database_is_reachable(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
