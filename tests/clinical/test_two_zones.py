"""One person, facilities in two zones (issue 18): each facility's times on its own clock, labelled.

The same moment, 02:00 UTC, is 09:00 WIB at the Bandung unit and 11:00 WIT at the Jayapura
clinic. A visit, a procedure order, a prescription and an imaging order at each facility are
shown in that facility's zone with its label, on the patient's pages and on each record's own.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from nyeri.accounts.models import User
from nyeri.clinical.models import Encounter, EncounterKind, EncounterStatus, Patient
from nyeri.imaging.models import ImagingOrder
from nyeri.prescriptions.models import Prescription
from nyeri.procedures.models import ProcedureRecord
from nyeri.tenancy.models import Facility, Organization

# 2 February 2026, 02:00 UTC: 09:00 WIB in Bandung, 11:00 WIT in Jayapura.
MOMENT = datetime(2026, 2, 2, 2, 0, tzinfo=UTC)
SHOWN = {"rs-sehat": "2 Feb 2026 09:00 WIB", "jayapura": "2 Feb 2026 11:00 WIT"}
# One format everywhere (nyeri/formats): the long form is the short one.
SHOWN_LONG = SHOWN


@pytest.fixture
def jayapura(org: Organization) -> Facility:
    return Facility.objects.create(
        organization=org,
        name="Klinik Nyeri Jayapura",
        code="jayapura",
        kind=Facility.Kind.PAIN_CLINIC,
        province="Papua",
        regency="Kota Jayapura",
        regency_code="91.71",
        time_zone="Asia/Jayapura",
    )


@pytest.fixture
def records(patient: Patient, facility: Facility, jayapura: Facility, clinician: User) -> dict[str, dict[str, int]]:
    """A visit, a procedure order, a prescription and an imaging order at each facility, all at MOMENT."""
    made: dict[str, dict[str, int]] = {}
    for place in (facility, jayapura):
        common = {"organization": patient.organization, "patient": patient, "facility": place}
        visit = Encounter.objects.create(
            **common,
            kind=EncounterKind.FOLLOW_UP,
            status=EncounterStatus.IN_PROGRESS,
            starts_at=MOMENT,
            created_by=clinician,
        )
        procedure = ProcedureRecord.objects.create(
            **common,
            procedure_code="esi_caudal",
            catalogue_version="x",
            body_site="sacrum_buttock",
            guidance="fluoroscopy",
            anesthesia="local",
            ordered_by=clinician,
            ordered_at=MOMENT,
            scheduled_for=MOMENT,
            scheduled_by=clinician,
            scheduled_at=MOMENT,
            status="scheduled",
        )
        prescription = Prescription.objects.create(
            **common,
            status="draft",
            jurisdiction="ID",
            catalogue_version="x",
            idempotency_key=f"rx-{place.code}",
            created_by=clinician,
            prescriber_name="dr. Budi",
        )
        # Signed at MOMENT in the one step from draft the database allows (a trigger freezes a
        # signed prescription on PostgreSQL).
        Prescription.objects.filter(pk=prescription.pk).update(status="signed", signed_at=MOMENT, signed_by=clinician)
        imaging = ImagingOrder.objects.create(
            **common,
            modality="mri",
            body_region="lower_back",
            clinical_question="Disc herniation?",
            ordered_by=clinician,
            ordered_at=MOMENT,
        )
        made[place.code] = {
            "visit": visit.pk,
            "procedure": procedure.pk,
            "prescription": prescription.pk,
            "imaging": imaging.pk,
        }
    return made


def page(client: Client, url: str) -> str:
    """The page in the user's language (Indonesian: "2 Feb 2026")."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


@pytest.mark.parametrize("code", ["rs-sehat", "jayapura"])
def test_each_facility_s_own_pages_show_its_times_in_its_zone(
    clinician_client: Client, patient: Patient, records: dict[str, dict[str, int]], code: str
) -> None:
    other = "jayapura" if code == "rs-sehat" else "rs-sehat"
    mine = records[code]
    visit = page(clinician_client, f"/patients/encounters/{mine['visit']}/")
    assert SHOWN_LONG[code] in visit
    assert SHOWN_LONG[other] not in visit
    procedure = page(clinician_client, reverse("procedures:detail", args=[patient.pk, mine["procedure"]]))
    assert SHOWN[code] in procedure
    assert SHOWN[other] not in procedure
    prescription = page(clinician_client, reverse("prescriptions:detail", args=[patient.pk, mine["prescription"]]))
    assert SHOWN[code] in prescription
    imaging = page(clinician_client, reverse("imaging:order", args=[patient.pk, mine["imaging"]]))
    assert SHOWN[code] in imaging
    assert SHOWN[other] not in imaging


def test_the_patient_s_lists_show_each_row_in_its_facility_s_zone(
    clinician_client: Client, patient: Patient, records: dict[str, dict[str, int]]
) -> None:
    timeline = page(clinician_client, f"/patients/{patient.pk}/care/")
    assert SHOWN_LONG["rs-sehat"] in timeline
    assert SHOWN_LONG["jayapura"] in timeline
    for name in ("procedures:patient_list", "prescriptions:list", "imaging:patient"):
        listed = page(clinician_client, reverse(name, args=[patient.pk]))
        assert SHOWN["rs-sehat"] in listed, name
        assert SHOWN["jayapura"] in listed, name
    chart = page(clinician_client, f"/patients/{patient.pk}/")
    assert SHOWN["rs-sehat"] in chart
    assert SHOWN["jayapura"] in chart
