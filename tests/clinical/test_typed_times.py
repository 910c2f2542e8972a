"""Times typed at a facility are read on its clock (issue 18): a WIT clinic's 09:00 is 00:00 UTC.

A form's ``datetime-local`` value and an API date-time without an offset are the facility's
wall-clock time; an API date-time with an offset is taken as given. Dates are "yesterday at
the facility", so the tests hold on any day (NYERI_TEST_CLOCK).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from nyeri.accounts.models import User
from nyeri.clinical.assessments.forms import initial_from
from nyeri.clinical.models import ConsentKind, Encounter, PainAssessment, Patient, PatientConsent
from nyeri.tenancy.clock import local_date
from nyeri.tenancy.models import Facility, Organization
from nyeri.workforce.kinds import CredentialKind
from nyeri.workforce.models import Person, PersonFacility
from tests.clinical.conftest import credential

WIT = ZoneInfo("Asia/Jayapura")


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


def yesterday_at(facility: Facility, hour: int) -> datetime:
    """Yesterday on ``facility``'s calendar at ``hour``:00, naive (as typed)."""
    day = local_date(facility) - timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, 0)


def post_visit(client: Client, patient: Patient, facility: Facility, typed: datetime) -> Encounter:
    response = client.post(
        f"/patients/{patient.pk}/encounters/new/",
        {"facility": facility.pk, "kind": "follow_up", "starts_at": typed.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 302, response.content
    return Encounter.objects.get()


def test_a_jayapura_visit_typed_at_09_00_is_stored_at_00_00_utc_and_shown_at_09_00_wit(
    clinician_client: Client, patient: Patient, jayapura: Facility
) -> None:
    typed = yesterday_at(jayapura, 9)
    encounter = post_visit(clinician_client, patient, jayapura, typed)
    assert encounter.starts_at == typed.replace(hour=0, tzinfo=UTC)
    before = datetime.now(WIT).strftime("%Y-%m-%dT%H")
    response = clinician_client.get(f"/patients/encounters/{encounter.pk}/")
    after = datetime.now(WIT).strftime("%Y-%m-%dT%H")
    assert f"{typed.strftime('%Y')} 09:00 WIT" in response.content.decode()
    # The finish form offers "now" on the Jayapura clock (to the hour: the clock ticks).
    assert response.context["finish_form"].fields["ends_at"].initial[:13] in {before, after}


def test_a_wib_facility_s_typed_time_is_read_as_before(
    clinician_client: Client, patient: Patient, facility: Facility
) -> None:
    typed = yesterday_at(facility, 9)
    encounter = post_visit(clinician_client, patient, facility, typed)
    assert encounter.starts_at == typed.replace(hour=2, tzinfo=UTC)  # 09:00 WIB


def test_an_api_visit_without_an_offset_is_read_on_the_facility_s_clock(
    clinician_client: Client, patient: Patient, jayapura: Facility
) -> None:
    typed = yesterday_at(jayapura, 9)
    response = clinician_client.post(
        "/api/encounters",
        {"patient_id": patient.pk, "facility_id": jayapura.pk, "kind": "follow_up", "starts_at": typed.isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert Encounter.objects.get().starts_at == typed.replace(hour=0, tzinfo=UTC)
    assert datetime.fromisoformat(response.json()["starts_at"]) == typed.replace(hour=0, tzinfo=UTC)


def test_an_api_visit_with_an_offset_is_taken_as_given(
    clinician_client: Client, patient: Patient, jayapura: Facility
) -> None:
    given = yesterday_at(jayapura, 9).replace(tzinfo=UTC)  # 09:00 UTC, 18:00 WIT
    response = clinician_client.post(
        "/api/encounters",
        {"patient_id": patient.pk, "facility_id": jayapura.pk, "kind": "follow_up", "starts_at": given.isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert Encounter.objects.get().starts_at == given


def test_a_consent_typed_at_09_00_in_jayapura_is_stored_at_00_00_utc_on_the_page_and_through_the_api(
    clinician_client: Client, patient: Patient, jayapura: Facility
) -> None:
    typed = yesterday_at(jayapura, 9)
    response = clinician_client.post(
        f"/patients/{patient.pk}/consents/",
        {
            "kind": ConsentKind.TREATMENT,
            "how": "signed_form",
            "given_at": typed.strftime("%Y-%m-%dT%H:%M"),
            "facility": jayapura.pk,
        },
    )
    assert response.status_code == 302, response.content
    response = clinician_client.post(
        f"/api/patients/{patient.pk}/consents",
        {"kind": ConsentKind.RESEARCH, "how": "signed_form", "given_at": typed.isoformat(), "facility_id": jayapura.pk},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    stored = PatientConsent.objects.order_by("pk").values_list("given_at", flat=True)
    assert list(stored) == [typed.replace(hour=0, tzinfo=UTC)] * 2


def works_in_jayapura(clinician: User, jayapura: Facility) -> None:
    """The nurse also holds a SIP for the Jayapura clinic, so the engine lets her assess there."""
    person = Person.objects.get(user=clinician)
    PersonFacility.objects.create(organization=jayapura.organization, person=person, facility=jayapura)
    credential(
        person,
        CredentialKind.PRACTICE_PERMIT,
        facility=jayapura,
        issuer="DPMPTSP Kota Jayapura",
        issuer_regency_code=jayapura.regency_code,
        expires_on=date.today() + timedelta(days=3 * 365),
    )


def test_an_assessment_typed_at_09_00_in_jayapura_is_stored_at_00_00_utc_and_prefilled_at_09_00_to_amend(
    clinician_client: Client, clinician: User, patient: Patient, jayapura: Facility
) -> None:
    works_in_jayapura(clinician, jayapura)
    typed = yesterday_at(jayapura, 9)
    response = clinician_client.post(
        f"/api/patients/{patient.pk}/assessments",
        {
            "instrument": "nrs",
            "facility_id": jayapura.pk,
            "answers": {"intensity": 6},
            "recorded_at": typed.isoformat(),
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assessment = PainAssessment.objects.get()
    assert assessment.recorded_at == typed.replace(hour=0, tzinfo=UTC)
    assert initial_from(assessment)["recorded_at"] == typed.strftime("%Y-%m-%dT09:00")
