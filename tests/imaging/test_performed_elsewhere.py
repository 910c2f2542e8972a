"""A procedure referred for its guidance equipment: the referral done closes the referring clinic's
record as *performed elsewhere* in the same transaction (audited, shown with the referral and its
result, no marker of a procedure done here); a declined referral leaves it open to refer elsewhere.
The procedure page offers "Refer" when the facility lacks the equipment and the record is open."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.models import Patient
from nyeri.imaging import services
from nyeri.imaging.models import Referral
from nyeri.procedures import selectors as procedure_selectors
from nyeri.procedures import services as procedure_services
from nyeri.procedures.kinds import ProcedureStatus
from nyeri.procedures.models import ProcedureRecord
from nyeri.tenancy.models import Facility
from tests.imaging.conftest import Staff

pytestmark = pytest.mark.usefixtures("equipment")


def waiting(clinic_doctor: Staff, patient: Patient, clinic: Facility) -> ProcedureRecord:
    return procedure_services.order_procedure(
        scope=clinic_doctor.scope,
        acting_user=clinic_doctor.user,
        patient=patient,
        procedure_code="medial_branch_block",
        body_site="lower_back",
        laterality="bilateral",
        guidance="fluoroscopy",
        facility=clinic,
    )


def referred(clinic_doctor: Staff, record: ProcedureRecord, to: Facility) -> Referral:
    return services.refer(scope=clinic_doctor.scope, acting_user=clinic_doctor.user, procedure=record, to_facility=to)


def test_the_referral_done_closes_the_procedure_as_performed_elsewhere_with_its_audit(
    clinic_doctor: Staff, hospital_doctor: Staff, clinic_patient: Patient, clinic: Facility, facility: Facility
) -> None:
    record = waiting(clinic_doctor, clinic_patient, clinic)
    referral = referred(clinic_doctor, record, facility)
    services.accept_referral(scope=hospital_doctor.scope, acting_user=hospital_doctor.user, referral=referral)
    record.refresh_from_db()
    assert record.status == ProcedureStatus.ORDERED  # accepted is not done
    services.complete_referral(
        scope=hospital_doctor.scope, acting_user=hospital_doctor.user, referral=referral, report="MBB L3-L5 done."
    )
    record.refresh_from_db()
    assert record.status == ProcedureStatus.ELSEWHERE
    assert not record.performances.exists()  # what was done is the performing facility's record
    event = AuditEvent.objects.get(object_type="procedure", object_id=str(record.pk), action=AuditAction.UPDATE)
    assert event.reason == f"performed elsewhere (was ordered): referral {referral.pk} to {facility.name} done"
    assert event.actor == hospital_doctor.user
    # Closed: not performed here, nor cancelled, nor referred again.
    with pytest.raises(Exception, match="performed elsewhere"):
        procedure_services.cancel_procedure(
            scope=clinic_doctor.scope, acting_user=clinic_doctor.user, record=record, reason="x"
        )
    # The chart draws procedures performed here only.
    assert procedure_selectors.procedure_markers(clinic_doctor.scope, clinic_patient) == []


def test_a_declined_referral_leaves_the_procedure_open_to_refer_elsewhere(
    clinic_doctor: Staff, hospital_doctor: Staff, clinic_patient: Patient, clinic: Facility, facility: Facility
) -> None:
    record = waiting(clinic_doctor, clinic_patient, clinic)
    referral = referred(clinic_doctor, record, facility)
    services.decline_referral(
        scope=hospital_doctor.scope, acting_user=hospital_doctor.user, referral=referral, reason="C-arm rusak"
    )
    record.refresh_from_db()
    assert record.status == ProcedureStatus.ORDERED
    again = services.refer(
        scope=clinic_doctor.scope,
        acting_user=clinic_doctor.user,
        procedure=record,
        outside_name="RS Mitra",
        outside_address="Jl. Merdeka 1, Bandung",
    )
    # An outside provider's answer is recorded by the referring clinic.
    services.accept_referral(scope=clinic_doctor.scope, acting_user=clinic_doctor.user, referral=again)
    services.complete_referral(scope=clinic_doctor.scope, acting_user=clinic_doctor.user, referral=again, report="OK")
    record.refresh_from_db()
    assert record.status == ProcedureStatus.ELSEWHERE


def test_the_procedure_page_offers_refer_and_then_shows_where_it_was_performed(
    clinic_doctor: Staff, hospital_doctor: Staff, clinic_patient: Patient, clinic: Facility, facility: Facility
) -> None:
    record = waiting(clinic_doctor, clinic_patient, clinic)
    url = f"/patients/{clinic_patient.pk}/procedures/{record.pk}/"
    client = clinic_doctor.client()
    html = client.get(url).content.decode()
    assert f'href="/patients/{clinic_patient.pk}/imaging/procedures/{record.pk}/refer/" data-testid="refer"' in html
    referral = referred(clinic_doctor, record, facility)
    assert 'data-testid="refer"' not in client.get(url).content.decode()  # a referral is open
    services.accept_referral(scope=hospital_doctor.scope, acting_user=hospital_doctor.user, referral=referral)
    services.complete_referral(
        scope=hospital_doctor.scope, acting_user=hospital_doctor.user, referral=referral, report="MBB L3-L5 done."
    )
    services.amend_referral_result(
        scope=hospital_doctor.scope,
        acting_user=hospital_doctor.user,
        referral=referral,
        reason="Levels",
        report="MBB L4-L5 done.",
    )
    html = client.get(url).content.decode()
    assert "Performed elsewhere" in html
    assert f'href="/imaging/referrals/{referral.pk}/"' in html
    assert "MBB L4-L5 done." in html
    assert 'data-testid="refer"' not in html
    assert "Record as performed" not in html


def test_a_facility_with_the_equipment_is_not_offered_refer(
    hospital_doctor: Staff, hospital_patient: Patient, facility: Facility
) -> None:
    record = procedure_services.order_procedure(
        scope=hospital_doctor.scope,
        acting_user=hospital_doctor.user,
        patient=hospital_patient,
        procedure_code="medial_branch_block",
        body_site="lower_back",
        laterality="bilateral",
        guidance="fluoroscopy",
        facility=facility,
    )
    html = hospital_doctor.client().get(f"/patients/{hospital_patient.pk}/procedures/{record.pk}/").content.decode()
    assert 'data-testid="refer"' not in html


def test_the_referral_worklist_is_in_the_navigation_of_those_who_answer_referrals(
    hospital_doctor: Staff, facility: Facility
) -> None:
    html = hospital_doctor.client().get("/patients/").content.decode()
    assert f'href="/imaging/facilities/{facility.pk}/referrals/"' in html


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL triggers")
def test_the_database_closes_a_record_as_performed_elsewhere_only_with_a_done_referral(
    clinic_doctor: Staff, clinic_patient: Patient, clinic: Facility
) -> None:
    record = waiting(clinic_doctor, clinic_patient, clinic)
    with pytest.raises(DatabaseError), transaction.atomic():
        ProcedureRecord.objects.filter(pk=record.pk).update(status=ProcedureStatus.ELSEWHERE)
    record.refresh_from_db()
    assert record.status == ProcedureStatus.ORDERED


def test_the_referral_pages_name_the_procedure_not_its_code(
    clinic_doctor: Staff, hospital_doctor: Staff, clinic_patient: Patient, clinic: Facility, facility: Facility
) -> None:
    record = waiting(clinic_doctor, clinic_patient, clinic)
    referral = referred(clinic_doctor, record, facility)
    name = procedure_selectors.procedure_label("medial_branch_block", "en")
    pages = {
        "worklist": hospital_doctor.client().get(f"/imaging/facilities/{facility.pk}/referrals/"),
        "referral": hospital_doctor.client().get(f"/imaging/referrals/{referral.pk}/"),
        "imaging of the patient": clinic_doctor.client().get(f"/patients/{clinic_patient.pk}/imaging/"),
    }
    for page, response in pages.items():
        assert response.status_code == 200, page
        html = response.content.decode()
        assert name in html, page
        assert "medial_branch_block" not in html, page
