"""Encounters: recorded, finished, cancelled with a reason; participants feed the hours ledger once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.encounters import selectors, services
from nyeri.clinical.models import Encounter, EncounterKind, EncounterParticipant, EncounterStatus, Patient
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from nyeri.workforce.kinds import HoursSource, HoursStatus
from nyeri.workforce.models import HoursEntry, Person
from tests.clinical.conftest import MakePerson, make_patient
from tests.conftest import MakeMember, log_in


def open_encounter(scope: Scope, patient: Patient, facility: Facility, **fields: object) -> Encounter:
    values: dict[str, object] = {
        "kind": EncounterKind.FIRST_VISIT,
        "starts_at": timezone.now() - timedelta(hours=1),
    }
    values.update(fields)
    return services.create_encounter(
        scope=scope,
        acting_user=scope.user,
        patient=patient,
        facility=facility,
        **values,  # type: ignore[arg-type]
    )


def test_an_encounter_is_recorded_in_progress_and_audited_with_the_patient(
    clinician_scope: Scope, patient: Patient, facility: Facility
) -> None:
    encounter = open_encounter(clinician_scope, patient, facility)
    assert (encounter.status, encounter.ends_at) == (EncounterStatus.IN_PROGRESS, None)
    event = AuditEvent.objects.get(object_type="encounter", object_id=str(encounter.pk))
    assert (event.action, event.patient_id, event.facility_id) == (AuditAction.CREATE, patient.pk, facility.pk)


def test_an_encounter_given_its_end_is_recorded_finished(
    clinician_scope: Scope, patient: Patient, facility: Facility
) -> None:
    now = timezone.now()
    encounter = open_encounter(clinician_scope, patient, facility, starts_at=now - timedelta(hours=2), ends_at=now)
    assert encounter.status == EncounterStatus.FINISHED


def test_an_encounter_in_the_future_of_an_unknown_kind_or_ending_before_it_starts_is_refused_naming_each_field(
    clinician_scope: Scope, patient: Patient, facility: Facility
) -> None:
    now = timezone.now()
    with pytest.raises(ValidationError) as caught:
        open_encounter(clinician_scope, patient, facility, kind="house_call", starts_at=now + timedelta(hours=1))
    assert set(caught.value.message_dict) == {"kind", "starts_at"}
    with pytest.raises(ValidationError) as caught:
        open_encounter(
            clinician_scope, patient, facility, starts_at=now - timedelta(hours=1), ends_at=now - timedelta(hours=2)
        )
    assert set(caught.value.message_dict) == {"ends_at"}
    assert not Encounter.objects.exists()


def test_an_encounter_at_another_organizations_facility_is_refused(
    clinician_scope: Scope, patient: Patient, other_facility: Facility
) -> None:
    with pytest.raises(ValidationError) as caught:
        open_encounter(clinician_scope, patient, other_facility)
    assert list(caught.value.message_dict) == ["facility"]


def test_a_nurses_minutes_are_credited_to_her_hours_ledger_once(
    clinician_scope: Scope, patient: Patient, facility: Facility, make_person: MakePerson
) -> None:
    nurse = make_person(Role.NURSE, name="Rina")
    encounter = open_encounter(clinician_scope, patient, facility)
    services.add_participant(
        scope=clinician_scope,
        acting_user=clinician_scope.user,
        encounter=encounter,
        person=nurse,
        role="attender",
        minutes=45,
    )
    entry = HoursEntry.objects.get(person=nurse)
    assert (entry.encounter_id, entry.hours, entry.source, entry.status) == (
        encounter.pk,
        Decimal("0.75"),
        HoursSource.ENCOUNTER,
        HoursStatus.VERIFIED,
    )
    assert entry.worked_on == timezone.localtime(encounter.starts_at).date()
    with pytest.raises(ValidationError) as caught:
        services.add_participant(
            scope=clinician_scope,
            acting_user=clinician_scope.user,
            encounter=encounter,
            person=nurse,
            role="attender",
            minutes=30,
        )
    assert list(caught.value.message_dict) == ["person"]
    assert HoursEntry.objects.filter(person=nurse).count() == 1
    assert EncounterParticipant.objects.filter(person=nurse).count() == 1
    event = AuditEvent.objects.filter(object_type="encounter", object_id=str(encounter.pk)).latest("pk")
    assert event.patient_id == patient.pk
    assert f"hours entry {entry.pk}" in event.reason


def test_a_physicians_minutes_are_credited_and_an_administrators_are_not(
    clinician_scope: Scope, patient: Patient, facility: Facility, make_person: MakePerson
) -> None:
    doctor = make_person(Role.PAIN_PHYSICIAN, name="dr. Andi")
    admin = make_person(Role.ADMINISTRATOR, name="Budi", licensed=False)
    encounter = open_encounter(clinician_scope, patient, facility)
    for person in (doctor, admin):
        services.add_participant(
            scope=clinician_scope,
            acting_user=clinician_scope.user,
            encounter=encounter,
            person=person,
            role="primary_performer",
            minutes=30,
        )
    assert list(HoursEntry.objects.values_list("person_id", flat=True)) == [doctor.pk]
    assert encounter.participants.count() == 2


def test_a_participant_who_does_not_work_at_the_facility_or_with_bad_minutes_is_refused_and_nothing_is_saved(
    clinician_scope: Scope, patient: Patient, facility: Facility, org: Organization
) -> None:
    elsewhere = Person.objects.create(organization=org, full_name="Tono", citizenship="citizen")
    now = timezone.now()
    encounter = open_encounter(clinician_scope, patient, facility, starts_at=now - timedelta(minutes=30), ends_at=now)
    with pytest.raises(ValidationError) as caught:
        services.add_participant(
            scope=clinician_scope,
            acting_user=clinician_scope.user,
            encounter=encounter,
            person=elsewhere,
            role="x",
            minutes=0,
        )
    assert set(caught.value.message_dict) == {"role", "minutes"}
    with pytest.raises(ValidationError) as caught:
        services.add_participant(
            scope=clinician_scope,
            acting_user=clinician_scope.user,
            encounter=encounter,
            person=elsewhere,
            role="attender",
            minutes=45,
        )
    # Longer than the 30-minute visit, and Tono does not work there.
    assert set(caught.value.message_dict) == {"person", "minutes"}
    assert not EncounterParticipant.objects.exists()
    assert not HoursEntry.objects.exists()


def test_another_organizations_person_cannot_take_part(
    clinician_scope: Scope, patient: Patient, facility: Facility, other_org: Organization
) -> None:
    stranger = Person.objects.create(organization=other_org, full_name="Asing", citizenship="citizen")
    encounter = open_encounter(clinician_scope, patient, facility)
    with pytest.raises(ValidationError) as caught:
        services.add_participant(
            scope=clinician_scope,
            acting_user=clinician_scope.user,
            encounter=encounter,
            person=stranger,
            role="attender",
            minutes=10,
        )
    assert list(caught.value.message_dict) == ["person"]


def test_an_encounter_is_cancelled_with_a_reason_and_kept(
    clinician_scope: Scope, patient: Patient, facility: Facility
) -> None:
    encounter = open_encounter(clinician_scope, patient, facility)
    with pytest.raises(ValidationError) as caught:
        services.cancel_encounter(
            scope=clinician_scope, acting_user=clinician_scope.user, encounter=encounter, reason=" "
        )
    assert list(caught.value.message_dict) == ["reason"]
    services.cancel_encounter(
        scope=clinician_scope, acting_user=clinician_scope.user, encounter=encounter, reason="Pasien tidak datang"
    )
    encounter.refresh_from_db()
    assert (encounter.status, encounter.cancel_reason, encounter.cancelled_by_id) == (
        EncounterStatus.CANCELLED,
        "Pasien tidak datang",
        clinician_scope.user.pk,
    )
    event = AuditEvent.objects.filter(object_type="encounter", object_id=str(encounter.pk)).latest("pk")
    assert (event.action, event.reason) == (AuditAction.CANCEL, "Pasien tidak datang")
    with pytest.raises(ValidationError):
        services.cancel_encounter(
            scope=clinician_scope, acting_user=clinician_scope.user, encounter=encounter, reason="again"
        )


def test_an_encounter_someone_took_part_in_cannot_be_cancelled(
    clinician_scope: Scope, patient: Patient, facility: Facility, make_person: MakePerson
) -> None:
    encounter = open_encounter(clinician_scope, patient, facility)
    services.add_participant(
        scope=clinician_scope,
        acting_user=clinician_scope.user,
        encounter=encounter,
        person=make_person(Role.NURSE, name="Rina"),
        role="attender",
        minutes=20,
    )
    with pytest.raises(ValidationError) as caught:
        services.cancel_encounter(
            scope=clinician_scope, acting_user=clinician_scope.user, encounter=encounter, reason="x"
        )
    assert list(caught.value.message_dict) == ["status"]


def test_an_encounter_in_progress_is_finished_once(
    clinician_scope: Scope, patient: Patient, facility: Facility
) -> None:
    encounter = open_encounter(clinician_scope, patient, facility)
    services.finish_encounter(scope=clinician_scope, acting_user=clinician_scope.user, encounter=encounter)
    encounter.refresh_from_db()
    assert encounter.status == EncounterStatus.FINISHED
    assert encounter.ends_at is not None
    with pytest.raises(ValidationError):
        services.finish_encounter(scope=clinician_scope, acting_user=clinician_scope.user, encounter=encounter)


def test_someone_without_a_clinical_role_cannot_record_an_encounter(
    org: Organization, patient: Patient, facility: Facility, make_member: MakeMember
) -> None:
    from django.core.exceptions import PermissionDenied

    from tests.clinical.conftest import scope_of

    officer = scope_of(make_member(org, Role.COMPLIANCE_OFFICER, username="hendra"))
    with pytest.raises(PermissionDenied):
        open_encounter(officer, patient, facility)


# --- Pages and API ------------------------------------------------------------------------


def test_the_encounter_page_records_a_visit_and_a_participant(
    clinician_client: Client, patient: Patient, facility: Facility, make_person: MakePerson
) -> None:
    rina = make_person(Role.NURSE, name="Rina")
    start = timezone.localtime() - timedelta(hours=1)
    response = clinician_client.post(
        f"/patients/{patient.pk}/encounters/new/",
        {"facility": facility.pk, "kind": "follow_up", "starts_at": start.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 302, response.content
    encounter = Encounter.objects.get()
    assert response["Location"] == f"/patients/encounters/{encounter.pk}/"
    page = clinician_client.get(response["Location"])
    assert "Rina" in page.content.decode()
    response = clinician_client.post(
        f"/patients/encounters/{encounter.pk}/participants/", {"person": rina.pk, "role": "attender", "minutes": "40"}
    )
    assert response.status_code == 302
    assert HoursEntry.objects.get(person=rina).hours == Decimal("0.67")
    response = clinician_client.post(
        f"/patients/encounters/{encounter.pk}/participants/", {"person": rina.pk, "role": "attender", "minutes": "2000"}
    )
    # Rina is no longer offered (she takes part already): the form refuses her choice.
    assert response.status_code == 200
    assert response.context["participant_form"].errors.keys() == {"person"}


def test_the_encounter_page_shows_the_service_error_under_the_field(
    clinician_client: Client, patient: Patient, facility: Facility
) -> None:
    start = timezone.localtime() + timedelta(hours=3)
    response = clinician_client.post(
        f"/patients/{patient.pk}/encounters/new/",
        {"facility": facility.pk, "kind": "follow_up", "starts_at": start.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["starts_at"]
    assert not Encounter.objects.exists()


def test_the_api_records_lists_and_cancels_encounters(
    clinician_client: Client, patient: Patient, facility: Facility, make_person: MakePerson
) -> None:
    rina = make_person(Role.NURSE, name="Rina")
    start = (timezone.now() - timedelta(hours=1)).isoformat()
    response = clinician_client.post(
        "/api/encounters",
        {"patient_id": patient.pk, "facility_id": facility.pk, "kind": "teleconsultation", "starts_at": start},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    encounter_id = response.json()["id"]
    response = clinician_client.post(
        f"/api/encounters/{encounter_id}/participants",
        {"person_id": rina.pk, "role": "attender", "minutes": 15},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["participants"][0]["person_name"] == "Rina"
    listed = clinician_client.get("/api/encounters", {"patient": patient.pk}).json()
    assert [e["id"] for e in listed["items"]] == [encounter_id]  # paged (docs/api.md)
    # A listed encounter reads as the encounter itself does.
    assert listed["items"][0] == clinician_client.get(f"/api/encounters/{encounter_id}").json()
    response = clinician_client.post(
        f"/api/encounters/{encounter_id}/cancel", {"reason": "salah"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "status"


def test_the_api_names_each_bad_field_of_an_encounter(
    clinician_client: Client, patient: Patient, other_facility: Facility
) -> None:
    response = clinician_client.post(
        "/api/encounters",
        {
            "patient_id": patient.pk,
            "facility_id": other_facility.pk,
            "kind": "house_call",
            "starts_at": (timezone.now() + timedelta(days=1)).isoformat(),
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert {f["field"] for f in response.json()["error"]["fields"]} == {"facility_id", "kind", "starts_at"}


def test_another_organizations_encounter_is_not_found_on_the_page_and_in_the_api(
    clinician_client: Client, other_org: Organization, other_facility: Facility, make_member: MakeMember
) -> None:
    stranger = make_member(other_org, Role.NURSE, username="asing")
    foreign = make_patient(other_org, other_facility, "RM-9", "Orang Lain")
    encounter = Encounter.objects.create(
        organization=other_org,
        patient=foreign,
        facility=other_facility,
        kind=EncounterKind.FIRST_VISIT,
        starts_at=timezone.now(),
        created_by=stranger,
    )
    assert clinician_client.get(f"/patients/encounters/{encounter.pk}/").status_code == 404
    assert clinician_client.get(f"/api/encounters/{encounter.pk}").status_code == 404
    assert clinician_client.get("/api/encounters", {"patient": foreign.pk}).status_code == 404
    response = clinician_client.post(
        f"/api/encounters/{encounter.pk}/cancel", {"reason": "x"}, content_type="application/json"
    )
    assert response.status_code == 404
    assert clinician_client.get(f"/patients/{foreign.pk}/care/").status_code == 404
    assert not AuditEvent.objects.filter(patient_id=foreign.pk).exists()


def test_a_membership_limited_to_another_facility_is_refused_the_encounter_and_offered_break_glass(
    org: Organization, clinician_scope: Scope, patient: Patient, facility: Facility, make_member: MakeMember
) -> None:
    # Changed with break-glass (docs/break-glass.md): the patient is neither registered nor seen
    # at the member's facility, so the encounter is refused (403, offering emergency access),
    # no longer hidden as not found (404), which stays for other organizations.
    branch = Facility.objects.create(
        organization=org,
        name="Cabang",
        code="cabang",
        kind="pain_clinic",
        province="Jawa Barat",
        regency="Kota Cimahi",
        regency_code="32.77",
    )
    encounter = open_encounter(clinician_scope, patient, facility)
    limited = make_member(org, Role.NURSE, username="cabang", facilities=(branch,))
    response = log_in(Client(), limited).get(f"/patients/encounters/{encounter.pk}/")
    assert response.status_code == 403
    assert f"/break-glass/patients/{patient.pk}/" in response.content.decode()


def test_the_timeline_reads_any_number_of_encounters_in_a_fixed_number_of_queries(
    clinician: User, clinician_scope: Scope, patient: Patient, facility: Facility, make_person: MakePerson
) -> None:
    nurses = [make_person(Role.NURSE, name=f"Perawat {n}") for n in range(3)]

    def visit(minutes: int) -> None:
        encounter = open_encounter(clinician_scope, patient, facility)
        for nurse in nurses:
            services.add_participant(
                scope=clinician_scope,
                acting_user=clinician,
                encounter=encounter,
                person=nurse,
                role="attender",
                minutes=minutes,
            )

    visit(10)
    with CaptureQueriesContext(connection) as few:
        timeline = selectors.patient_timeline(clinician_scope, patient)
        [[p.person.full_name for p in e.participants.all()] for e in timeline.encounters]
    for minutes in (20, 30, 40, 50):
        visit(minutes)
    with CaptureQueriesContext(connection) as many:
        timeline = selectors.patient_timeline(clinician_scope, patient)
        [[p.person.full_name for p in e.participants.all()] for e in timeline.encounters]
    assert len(timeline.encounters) == 5
    assert len(many) == len(few)


def test_one_encounter_is_read_in_the_same_queries_whatever_its_participants(
    clinician: User, clinician_scope: Scope, patient: Patient, facility: Facility, make_person: MakePerson
) -> None:
    encounter = open_encounter(clinician_scope, patient, facility)

    def read() -> list[str]:
        found = selectors.encounter_detail(clinician_scope, encounter.pk)
        return [p.person.full_name for p in found.participants.all()] + [
            a.recorded_by.username for a in found.assessments.all()
        ]

    def join(name: str) -> None:
        services.add_participant(
            scope=clinician_scope,
            acting_user=clinician,
            encounter=encounter,
            person=make_person(Role.NURSE, name=name),
            role="attender",
            minutes=10,
        )

    join("Satu")
    with CaptureQueriesContext(connection) as few:
        read()
    for n in range(5):
        join(f"Perawat {n}")
    with CaptureQueriesContext(connection) as many:
        assert len(read()) == 6
    assert len(many) == len(few)
