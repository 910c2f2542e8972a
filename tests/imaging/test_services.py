"""Imaging services: in-house results under the engine, referrals and their statuses, bad input."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone, translation

from nyeri.audit.models import AuditEvent
from nyeri.clinical.models import Patient
from nyeri.imaging import services
from nyeri.imaging.models import ImagingOrder, ImagingResult, Referral
from nyeri.procedures import services as procedure_services
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import Role
from tests.imaging.conftest import MakeStaff, Staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("equipment")]


def order(staff: Staff, patient: Patient, modality: str = "xray", **fields: object) -> ImagingOrder:
    values: dict[str, object] = {"body_region": "lower_back", "clinical_question": "Spondylosis?"}
    values.update(fields)
    return services.order_imaging(
        scope=staff.scope,
        acting_user=staff.user,
        patient=patient,
        modality=modality,
        **values,  # type: ignore[arg-type]
    )


def test_an_xray_is_done_in_house_by_a_licensed_radiographer(
    hospital_doctor: Staff, radiographer: Staff, hospital_patient: Patient
) -> None:
    placed = order(hospital_doctor, hospital_patient)
    result = services.record_imaging_result(
        scope=radiographer.scope,
        acting_user=radiographer.user,
        order=placed,
        findings="Osteophytes L3-L5.",
        impression="Lumbar spondylosis.",
    )
    placed.refresh_from_db()
    assert placed.status == "done"
    assert result.operator == radiographer.person
    assert "operate_equipment:xray allowed" in result.basis
    assert AuditEvent.objects.filter(object_type="imaging_result", object_id=str(result.pk)).exists()


def test_a_radiographer_with_an_expired_sip_is_refused_with_the_engines_reason_and_nothing_saved(
    hospital_doctor: Staff, make_staff: MakeStaff, hospital_patient: Patient
) -> None:
    lapsed = make_staff(Role.RADIOGRAPHER, "lapsed_rad", sip_expired=True)
    placed = order(hospital_doctor, hospital_patient)
    with pytest.raises(services.ImagingRefused) as refused:
        services.record_imaging_result(
            scope=lapsed.scope, acting_user=lapsed.user, order=placed, findings="x", impression="y"
        )
    assert any(r.code.startswith("operator.") for r in refused.value.reasons)
    assert "expired" in " ".join(refused.value.messages("en"))
    assert all(r.message_id and r.message_en for r in refused.value.reasons)
    assert not ImagingResult.objects.exists()
    placed.refresh_from_db()
    assert placed.status == "ordered"
    assert AuditEvent.objects.filter(action="permission_denied", object_type="imaging_order").exists()


def test_a_nurse_may_not_operate_the_xray_unit(
    hospital_doctor: Staff, make_staff: MakeStaff, hospital_patient: Patient
) -> None:
    nurse = make_staff(Role.NURSE, "ns_siti")
    placed = order(hospital_doctor, hospital_patient)
    with pytest.raises(services.ImagingRefused) as refused:
        services.record_imaging_result(
            scope=nurse.scope, acting_user=nurse.user, order=placed, findings="x", impression="y"
        )
    assert [r.code for r in refused.value.reasons] == ["operator.role_missing"]


def test_without_the_equipment_in_service_the_result_is_refused(
    clinic_doctor: Staff, make_staff: MakeStaff, clinic: Facility, clinic_patient: Patient
) -> None:
    rad = make_staff(Role.RADIOGRAPHER, "clinic_rad", at=clinic)
    placed = order(clinic_doctor, clinic_patient)
    with pytest.raises(services.ImagingRefused) as refused:
        services.record_imaging_result(
            scope=rad.scope, acting_user=rad.user, order=placed, findings="x", impression="y"
        )
    assert [r.code for r in refused.value.reasons] == ["equipment.not_in_service"]


def test_bad_order_input_is_refused_by_field_and_nothing_saved(
    hospital_doctor: Staff, hospital_patient: Patient
) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as error:
        order(hospital_doctor, hospital_patient, modality="pet", body_region="elbow_x", clinical_question=" ")
    assert set(error.value.message_dict) == {"modality", "body_region", "clinical_question"}
    assert not ImagingOrder.objects.exists()


def test_bad_result_input_is_refused_by_field(
    hospital_doctor: Staff, radiographer: Staff, hospital_patient: Patient
) -> None:
    placed = order(hospital_doctor, hospital_patient)
    with pytest.raises(ValidationError) as error:
        services.record_imaging_result(
            scope=radiographer.scope,
            acting_user=radiographer.user,
            order=placed,
            findings="",
            impression="",
            performed_at=timezone.now() + timezone.timedelta(hours=1),
        )
    assert set(error.value.message_dict) == {"findings", "impression", "performed_at"}


def test_a_declined_referral_says_why_and_the_order_waits_again(
    clinic_doctor: Staff, hospital_doctor: Staff, clinic_patient: Patient, facility: Facility
) -> None:
    placed = order(clinic_doctor, clinic_patient)
    referral = services.refer(
        scope=clinic_doctor.scope, acting_user=clinic_doctor.user, order=placed, to_facility=facility
    )
    with pytest.raises(ValidationError) as error:
        services.decline_referral(
            scope=hospital_doctor.scope, acting_user=hospital_doctor.user, referral=referral, reason=""
        )
    assert "reason" in error.value.message_dict
    services.decline_referral(
        scope=hospital_doctor.scope, acting_user=hospital_doctor.user, referral=referral, reason="X-ray unit booked"
    )
    referral.refresh_from_db()
    placed.refresh_from_db()
    assert referral.status == "declined"
    assert referral.decline_reason == "X-ray unit booked"
    assert placed.status == "ordered"
    # A declined referral is final; another one may be sent.
    with pytest.raises(ValidationError):
        services.accept_referral(scope=hospital_doctor.scope, acting_user=hospital_doctor.user, referral=referral)
    again = services.refer(
        scope=clinic_doctor.scope, acting_user=clinic_doctor.user, order=placed, to_facility=facility
    )
    assert again.status == "sent"


def test_a_referral_to_a_facility_without_the_equipment_is_refused(
    hospital_doctor: Staff, hospital_patient: Patient, clinic: Facility
) -> None:
    placed = order(hospital_doctor, hospital_patient, modality="ct")
    with pytest.raises(ValidationError) as error:
        services.refer(scope=hospital_doctor.scope, acting_user=hospital_doctor.user, order=placed, to_facility=clinic)
    assert "to_facility" in error.value.message_dict
    assert not Referral.objects.exists()


def test_an_outside_referral_needs_a_name_and_address_and_its_answer_is_recorded_by_the_sender(
    hospital_doctor: Staff, hospital_patient: Patient
) -> None:
    placed = order(hospital_doctor, hospital_patient, modality="mri")
    with pytest.raises(ValidationError) as error:
        services.refer(scope=hospital_doctor.scope, acting_user=hospital_doctor.user, order=placed)
    assert "to_facility" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.refer(
            scope=hospital_doctor.scope, acting_user=hospital_doctor.user, order=placed, outside_name="RS Borromeus"
        )
    assert "outside_address" in error.value.message_dict
    referral = services.refer(
        scope=hospital_doctor.scope,
        acting_user=hospital_doctor.user,
        order=placed,
        outside_name="RS Borromeus",
        outside_address="Jl. Juanda 100, Bandung",
    )
    services.accept_referral(scope=hospital_doctor.scope, acting_user=hospital_doctor.user, referral=referral)
    services.complete_referral(
        scope=hospital_doctor.scope, acting_user=hospital_doctor.user, referral=referral, report="HNP L4-L5."
    )
    placed.refresh_from_db()
    assert placed.status == "done"


def test_completing_before_acceptance_and_without_a_report_is_refused(
    clinic_doctor: Staff, hospital_doctor: Staff, clinic_patient: Patient, facility: Facility
) -> None:
    placed = order(clinic_doctor, clinic_patient)
    referral = services.refer(
        scope=clinic_doctor.scope, acting_user=clinic_doctor.user, order=placed, to_facility=facility
    )
    with pytest.raises(ValidationError):
        services.complete_referral(
            scope=hospital_doctor.scope, acting_user=hospital_doctor.user, referral=referral, report="Done."
        )
    services.accept_referral(scope=hospital_doctor.scope, acting_user=hospital_doctor.user, referral=referral)
    with pytest.raises(ValidationError) as error:
        services.complete_referral(
            scope=hospital_doctor.scope, acting_user=hospital_doctor.user, referral=referral, report=" "
        )
    assert "report" in error.value.message_dict


def test_a_file_that_is_not_a_pdf_png_or_jpeg_is_refused_by_its_content(
    clinic_doctor: Staff, hospital_doctor: Staff, clinic_patient: Patient, facility: Facility, private_storage: object
) -> None:
    placed = order(clinic_doctor, clinic_patient)
    referral = services.refer(
        scope=clinic_doctor.scope, acting_user=clinic_doctor.user, order=placed, to_facility=facility
    )
    services.accept_referral(scope=hospital_doctor.scope, acting_user=hospital_doctor.user, referral=referral)
    fake = SimpleUploadedFile("hasil.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError) as error:
        services.complete_referral(
            scope=hospital_doctor.scope, acting_user=hospital_doctor.user, referral=referral, report="ok", upload=fake
        )
    assert "file" in error.value.message_dict
    referral.refresh_from_db()
    assert referral.status == "accepted"


def test_staff_of_another_facility_cannot_answer_a_referral(
    clinic_doctor: Staff, make_staff: MakeStaff, clinic_patient: Patient, facility: Facility, clinic: Facility
) -> None:
    placed = order(clinic_doctor, clinic_patient)
    referral = services.refer(
        scope=clinic_doctor.scope, acting_user=clinic_doctor.user, order=placed, to_facility=facility
    )
    other = make_staff(Role.GENERAL_PRACTITIONER, "dr_lain", at=clinic)
    with pytest.raises(ValidationError) as error:
        services.accept_referral(scope=other.scope, acting_user=other.user, referral=referral)
    assert "facility" in error.value.message_dict


def test_a_waiting_fluoroscopy_procedure_is_referred_to_a_facility_with_a_c_arm(
    clinic_doctor: Staff, hospital_doctor: Staff, clinic_patient: Patient, clinic: Facility, facility: Facility
) -> None:
    record = procedure_services.order_procedure(
        scope=clinic_doctor.scope,
        acting_user=clinic_doctor.user,
        patient=clinic_patient,
        procedure_code="medial_branch_block",
        body_site="lower_back",
        laterality="bilateral",
        guidance="fluoroscopy",
        facility=clinic,
    )
    assert services.referral_destinations(clinic, "c_arm") == [facility]
    referral = services.refer(
        scope=clinic_doctor.scope, acting_user=clinic_doctor.user, procedure=record, to_facility=facility
    )
    assert referral.equipment_kind == "c_arm"
    with pytest.raises(ValidationError):
        services.refer(
            scope=clinic_doctor.scope, acting_user=clinic_doctor.user, procedure=record, to_facility=facility
        )
    services.accept_referral(scope=hospital_doctor.scope, acting_user=hospital_doctor.user, referral=referral)
    services.complete_referral(
        scope=hospital_doctor.scope,
        acting_user=hospital_doctor.user,
        referral=referral,
        report="Performed under C-arm.",
    )
    assert Referral.objects.get(procedure=record).status == "done"


def test_another_organizations_patient_and_facility_are_not_found(
    hospital_doctor: Staff, foreign_patient: Patient, hospital_patient: Patient, other_facility: Facility
) -> None:
    with pytest.raises(Http404):
        order(hospital_doctor, foreign_patient)
    placed = order(hospital_doctor, hospital_patient, modality="mri")
    with pytest.raises(Http404):
        services.refer(
            scope=hospital_doctor.scope, acting_user=hospital_doctor.user, order=placed, to_facility=other_facility
        )


def test_a_member_without_a_clinical_role_may_not_order(admin: object, hospital_patient: Patient) -> None:
    from tests.imaging.conftest import scope_of

    with pytest.raises(PermissionDenied):
        services.order_imaging(
            scope=scope_of(admin),  # type: ignore[arg-type]
            acting_user=admin,  # type: ignore[arg-type]
            patient=hospital_patient,
            modality="xray",
            body_region="lower_back",
            clinical_question="?",
        )


def test_the_database_refuses_a_referral_with_both_or_neither_subject_and_done_without_a_report(
    clinic_doctor: Staff, clinic_patient: Patient, clinic: Facility, facility: Facility
) -> None:
    placed = order(clinic_doctor, clinic_patient)
    base = {
        "organization": clinic.organization,
        "patient": clinic_patient,
        "equipment_kind": "xray",
        "from_facility": clinic,
        "to_facility": facility,
        "sent_by": clinic_doctor.user,
        "sent_at": timezone.now(),
    }
    with transaction.atomic(), pytest.raises(IntegrityError):
        Referral.objects.create(**base)
    with transaction.atomic(), pytest.raises(IntegrityError):
        Referral.objects.create(**{**base, "to_facility": None})
    with transaction.atomic(), pytest.raises(IntegrityError):
        Referral.objects.create(
            **base, imaging_order=placed, status="done", responded_at=timezone.now(), completed_at=timezone.now()
        )
    with transaction.atomic(), pytest.raises(IntegrityError):
        Referral.objects.create(**base, imaging_order=placed, status="declined", responded_at=timezone.now())
    with transaction.atomic(), pytest.raises(IntegrityError):
        Referral.objects.create(**{**base, "to_facility": clinic}, imaging_order=placed)
