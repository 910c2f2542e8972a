"""HealthcareService: a facility's pain services, the same as the services-offered page derives."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B.healthcareservice import HealthcareService
from fhirpy import SyncFHIRClient
from pytest_django.live_server_helper import LiveServer

from nyeri.facilities.models import Equipment
from nyeri.facilities.selectors import evaluate_facility_services
from nyeri.tenancy.models import Facility
from tests.interop.conftest import Clinic


def get(client: Client, path: str, status: int = 200) -> dict[str, Any]:
    response = client.get(f"/fhir/R4{path}")
    assert response.status_code == status, response.content
    return dict(response.json())


def offered(facility: Facility) -> set[str]:
    results, _staff = evaluate_facility_services(facility, jurisdiction=facility.organization.jurisdiction)
    return {r.code for r in results if r.offered}


def test_a_facility_is_a_healthcare_service_listing_what_it_offers_today(fhir: Client, clinic: Clinic) -> None:
    data = get(fhir, f"/HealthcareService/{clinic.facility.pk}")
    HealthcareService.model_validate(data)
    assert data["location"] == [{"reference": f"Location/{clinic.facility.pk}"}]
    assert data["providedBy"] == {"reference": f"Organization/{clinic.org.pk}"}
    listed = {c["coding"][0]["code"] for c in data.get("type", [])}
    assert listed == offered(clinic.facility)
    assert "Ultrasound imaging" not in {c["text"] for c in data.get("type", [])}


def test_a_unit_put_in_service_changes_what_the_service_offers(fhir: Client, clinic: Clinic) -> None:
    before = offered(clinic.facility)
    Equipment.objects.create(
        organization=clinic.org,
        facility=clinic.facility,
        kind="ultrasound",
        model_name="SonoSite X",
        serial_number="US-1",
        status="in_service",
        status_changed_at=timezone.now(),
    )
    after = offered(clinic.facility)
    data = get(fhir, f"/HealthcareService/{clinic.facility.pk}")
    assert {c["coding"][0]["code"] for c in data.get("type", [])} == after
    found = get(fhir, f"/HealthcareService?location=Location/{clinic.facility.pk}&active=true")
    assert found["total"] == 1
    for code in after - before:
        assert get(fhir, f"/HealthcareService?service-type={code}")["total"] == 1
    assert get(fhir, "/HealthcareService?service-type=no_such_service")["total"] == 0
    assert get(fhir, "/HealthcareService?active=maybe", status=400)["resourceType"] == "OperationOutcome"


def test_another_organizations_facility_is_not_found(fhir: Client, clinic: Clinic, other_facility: Facility) -> None:
    get(fhir, f"/HealthcareService/{other_facility.pk}", status=404)
    assert get(fhir, "/HealthcareService")["total"] == 1


@pytest.mark.django_db(transaction=True)
def test_fhirpy_reads_the_healthcare_service(live_server: LiveServer, clinic: Clinic) -> None:
    client = SyncFHIRClient(live_server.url + "/fhir/R4", authorization=f"Bearer {clinic.token}")
    service = client.reference("HealthcareService", str(clinic.facility.pk)).to_resource()
    assert service["location"][0]["reference"] == f"Location/{clinic.facility.pk}"
    found = client.resources("HealthcareService").search(location=f"Location/{clinic.facility.pk}").fetch_all()
    assert [s["id"] for s in found] == [str(clinic.facility.pk)]
