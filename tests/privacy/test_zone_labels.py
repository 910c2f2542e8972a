"""Personal data requests in the zone of the patient's facility, with its label (issue 18)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.test import Client

from nyeri.accounts.models import User
from nyeri.clinical.models import Patient
from nyeri.privacy.models import PatientDataRequest, RequestKind
from nyeri.tenancy.models import Facility

# 2 February 2026, 02:00 UTC: 09:00 WIB in Jakarta, 11:00 WIT in Jayapura.
MOMENT = datetime(2026, 2, 2, 2, 0, tzinfo=UTC)


def test_a_request_of_a_jayapura_patient_reads_in_wit_on_the_patient_page_and_the_open_list(
    clinician_client: Client, clinician: User, patient: Patient, facility: Facility
) -> None:
    Facility.objects.filter(pk=facility.pk).update(time_zone="Asia/Jayapura")
    PatientDataRequest.objects.create(
        organization=patient.organization,
        patient=patient,
        kind=RequestKind.CORRECTION,
        what_is_wrong="The name is misspelt.",
        requested_by="the patient",
        received_at=MOMENT,
        due_at=MOMENT + timedelta(days=3),
        recorded_by=clinician,
    )
    for url in (f"/privacy/patients/{patient.pk}/", "/privacy/requests/"):
        html = clinician_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "2 Feb 2026 11:00 WIT" in html, url
        assert "5 Feb 2026 11:00 WIT" in html, url
        assert "2 Feb 2026 09:00" not in html, url
