"""An independent FHIR client (fhirpy) reads and searches the live server with an API token."""

from __future__ import annotations

import pytest
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import ResourceNotFound
from pytest_django.live_server_helper import LiveServer

from tests.interop.conftest import NIK, Clinic

pytestmark = pytest.mark.django_db(transaction=True)


def test_fhirpy_reads_a_patient_and_searches_its_observations(live_server: LiveServer, clinic: Clinic) -> None:
    client = SyncFHIRClient(live_server.url + "/fhir/R4", authorization=f"Bearer {clinic.token}")

    patient = client.reference("Patient", str(clinic.patient.pk)).to_resource()
    assert patient["identifier"][0] == {"use": "official", "system": "https://fhir.kemkes.go.id/id/nik", "value": NIK}

    observations = client.resources("Observation").search(patient=f"Patient/{clinic.patient.pk}").fetch_all()
    assert sorted(o["id"] for o in observations) == sorted([str(clinic.nrs.pk), str(clinic.odi.pk)])
    nrs = client.resources("Observation").search(code="http://loinc.org|72514-3").fetch()
    assert [o["valueInteger"] for o in nrs] == [7]


def test_fhirpy_sees_another_organizations_patient_as_not_found(live_server: LiveServer, clinic: Clinic) -> None:
    client = SyncFHIRClient(live_server.url + "/fhir/R4", authorization=f"Bearer {clinic.token}")
    with pytest.raises(ResourceNotFound):
        client.reference("Patient", "999999").to_resource()
