"""Procedure services: ordering with the catalogue's rules, the life of an order, performing under
the requirements engine and the equipment register, amendments, audit rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone, translation

from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.clinical.models import Encounter, EncounterKind, EncounterStatus, Patient
from nyeri.facilities.models import Equipment
from nyeri.procedures import services
from nyeri.procedures.kinds import ComplicationKind, PerformanceKind, ProcedureStatus
from nyeri.procedures.models import ProcedureComplication, ProcedurePerformance, ProcedureRecord, Relief
from nyeri.procedures.refusals import ProcedureRefused
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import Role
from nyeri.workforce.kinds import Specialty
from tests.conftest import MakeMember
from tests.procedures.conftest import AddUnit, MakeStaff, Order, Staff, scope_of


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages in English unless a test asks for Indonesian."""
    with translation.override("en"):
        yield


def field_errors(error: ValidationError) -> dict[str, list[str]]:
    return error.message_dict


# --- Ordering: the catalogue's rules --------------------------------------------------------------


def test_an_order_keeps_the_procedure_site_side_and_the_usual_guidance_and_anesthesia(
    order: Order, nurse: Staff, patient: Patient, facility: Facility
) -> None:
    record = order()
    assert record.status == ProcedureStatus.ORDERED
    assert (record.procedure_code, record.body_site, record.laterality) == ("esi_transforaminal", "lower_back", "left")
    assert (record.guidance, record.anesthesia) == ("fluoroscopy", "local")
    assert record.facility == facility
    assert record.catalogue_version == "2026.11-1"
    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="procedure")
    assert event.patient_id == patient.pk
    assert "ordered esi_transforaminal" in event.reason


def test_it_refuses_a_body_site_the_procedure_does_not_allow_and_saves_nothing(order: Order) -> None:
    with pytest.raises(ValidationError) as caught:
        order(procedure_code="stellate_ganglion_block", body_site="knee", laterality="left")
    message = field_errors(caught.value)["body_site"][0]
    assert "Stellate ganglion block is not done on the knee" in message
    assert "Neck" in message
    assert not ProcedureRecord.objects.exists()


def test_it_refuses_a_missing_side_where_the_procedure_needs_one(order: Order) -> None:
    with pytest.raises(ValidationError) as caught:
        order(procedure_code="esi_transforaminal", body_site="lower_back", laterality="")
    assert field_errors(caught.value)["laterality"] == [
        "Choose the side: Transforaminal epidural steroid injection on the lower back (lumbar) needs one "
        "(left, right, bilateral)."
    ]
    assert not ProcedureRecord.objects.exists()


def test_a_paired_body_site_always_needs_a_side(order: Order) -> None:
    # A trigger point injection needs no side on the back, but on a shoulder: which one?
    order(procedure_code="trigger_point_injection", body_site="upper_back", laterality="")
    with pytest.raises(ValidationError) as caught:
        order(procedure_code="trigger_point_injection", body_site="shoulder", laterality="")
    assert "laterality" in field_errors(caught.value)


def test_a_stellate_ganglion_block_is_never_bilateral(order: Order) -> None:
    with pytest.raises(ValidationError) as caught:
        order(procedure_code="stellate_ganglion_block", body_site="neck", laterality="bilateral")
    assert "choose left, right" in field_errors(caught.value)["laterality"][0]


def test_it_refuses_a_guidance_or_anesthesia_the_procedure_does_not_accept(order: Order) -> None:
    with pytest.raises(ValidationError) as caught:
        order(procedure_code="medial_branch_block", body_site="lower_back", guidance="ct", anesthesia="sedation")
    errors = field_errors(caught.value)
    assert errors["guidance"] == ["Medial branch block is guided by Fluoroscopy (C-arm), Ultrasound."]
    assert errors["anesthesia"] == ["Medial branch block is done with local anesthesia."]


def test_it_refuses_a_procedure_not_in_the_catalogue(order: Order) -> None:
    with pytest.raises(ValidationError) as caught:
        order(procedure_code="acupuncture")
    assert field_errors(caught.value)["procedure_code"] == ["Choose a procedure of the catalogue."]


def test_the_reasons_are_in_indonesian_for_an_indonesian_user(order: Order) -> None:
    with translation.override("id"), pytest.raises(ValidationError) as caught:
        order(procedure_code="stellate_ganglion_block", body_site="knee", laterality="left")
    message = field_errors(caught.value)["body_site"][0]
    # The catalogue's Indonesian label and the body map's Indonesian region name.
    assert "Blok ganglion stelata" in message
    assert "Leher" in message


def test_an_order_in_a_visit_is_at_the_visits_facility_and_a_cancelled_visit_is_refused(
    order: Order, nurse: Staff, patient: Patient, facility: Facility
) -> None:
    visit = Encounter.objects.create(
        organization=patient.organization,
        patient=patient,
        facility=facility,
        kind=EncounterKind.PROCEDURE_DAY,
        starts_at=timezone.now() - timedelta(hours=1),
        created_by=nurse.user,
    )
    assert order(encounter=visit).encounter == visit
    visit.status, visit.cancelled_at, visit.cancel_reason = EncounterStatus.CANCELLED, timezone.now(), "Sakit"
    visit.cancelled_by = nurse.user
    visit.save()
    with pytest.raises(ValidationError) as caught:
        order(encounter=visit)
    assert field_errors(caught.value)["encounter"] == ["This visit was cancelled."]


def test_another_organizations_patient_is_not_found(order: Order, foreign_patient: Patient) -> None:
    with pytest.raises(Http404):
        order(patient=foreign_patient)


# --- The life of an order --------------------------------------------------------------------------


def test_an_order_is_scheduled_moved_and_then_performed(
    order: Order, nurse: Staff, physician: Staff, c_arm: Equipment, radiographer: Staff
) -> None:
    record = order()
    tomorrow = timezone.now() + timedelta(days=1)
    services.schedule_procedure(scope=nurse.scope, acting_user=nurse.user, record=record, scheduled_for=tomorrow)
    later = tomorrow + timedelta(days=2)
    services.schedule_procedure(scope=nurse.scope, acting_user=nurse.user, record=record, scheduled_for=later)
    record.refresh_from_db()
    assert (record.status, record.scheduled_for, record.scheduled_by) == (ProcedureStatus.SCHEDULED, later, nurse.user)
    moved = AuditEvent.objects.filter(action=AuditAction.UPDATE, object_type="procedure").order_by("pk").last()
    assert moved is not None
    assert f"(was {tomorrow.isoformat()})" in moved.reason
    services.record_performance(
        scope=nurse.scope,
        acting_user=nurse.user,
        record=record,
        performer=physician.person,
        imaging_operator=radiographer.person,
    )
    record.refresh_from_db()
    assert record.status == ProcedureStatus.PERFORMED


def test_a_time_in_the_past_is_refused(order: Order, nurse: Staff) -> None:
    with pytest.raises(ValidationError) as caught:
        services.schedule_procedure(
            scope=nurse.scope,
            acting_user=nurse.user,
            record=order(),
            scheduled_for=timezone.now() - timedelta(hours=1),
        )
    assert field_errors(caught.value)["scheduled_for"] == ["The time cannot be in the past."]


def test_a_cancelled_procedure_keeps_its_reason_and_moves_no_further(
    order: Order, nurse: Staff, physician: Staff, c_arm: Equipment, radiographer: Staff
) -> None:
    record = order()
    with pytest.raises(ValidationError):
        services.cancel_procedure(scope=nurse.scope, acting_user=nurse.user, record=record, reason="  ")
    services.cancel_procedure(scope=nurse.scope, acting_user=nurse.user, record=record, reason="Pasien demam")
    record.refresh_from_db()
    assert (record.status, record.cancel_reason, record.cancelled_by) == ("cancelled", "Pasien demam", nurse.user)
    assert AuditEvent.objects.filter(action=AuditAction.CANCEL, object_id=str(record.pk)).exists()
    with pytest.raises(ValidationError) as caught:
        services.record_performance(
            scope=nurse.scope,
            acting_user=nurse.user,
            record=record,
            performer=physician.person,
            imaging_operator=radiographer.person,
        )
    assert caught.value.messages == ["This procedure was cancelled."]
    with pytest.raises(ValidationError):
        services.schedule_procedure(
            scope=nurse.scope, acting_user=nurse.user, record=record, scheduled_for=timezone.now() + timedelta(days=1)
        )


def test_a_performed_procedure_is_not_cancelled_nor_performed_again(
    performed: ProcedurePerformance, nurse: Staff, physician: Staff, radiographer: Staff
) -> None:
    record = performed.record
    with pytest.raises(ValidationError) as caught:
        services.cancel_procedure(scope=nurse.scope, acting_user=nurse.user, record=record, reason="Salah")
    assert caught.value.messages == ["This procedure has been performed: correct it with an amendment."]
    with pytest.raises(ValidationError):
        services.record_performance(
            scope=nurse.scope,
            acting_user=nurse.user,
            record=record,
            performer=physician.person,
            imaging_operator=radiographer.person,
        )
    assert ProcedurePerformance.objects.count() == 1


def test_the_database_refuses_a_cancellation_without_a_reason(order: Order) -> None:
    record = order()
    with pytest.raises(IntegrityError), transaction.atomic():
        ProcedureRecord.objects.filter(pk=record.pk).update(status=ProcedureStatus.CANCELLED)


# --- Performing: the engine and the equipment -----------------------------------------------------------


def test_performing_records_the_decisions_relied_on(
    performed: ProcedurePerformance, physician: Staff, facility: Facility
) -> None:
    assert performed.kind == PerformanceKind.ORIGINAL
    assert performed.performer == physician.person
    assert f"perform_procedure:interventional_spine allowed for person {physician.person.pk}" in performed.decision
    assert f"c_arm in service at facility {facility.pk}" in performed.decision
    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="procedure_performance")
    assert event.object_id == str(performed.pk)
    assert "ordered -> performed" in event.reason
    assert "perform_procedure:interventional_spine allowed" in event.reason


def test_a_performer_without_the_privilege_is_refused_with_the_engines_reasons(
    order: Order, nurse: Staff, gp: Staff, c_arm: Equipment, radiographer: Staff
) -> None:
    record = order()
    with pytest.raises(ProcedureRefused) as caught:
        services.record_performance(
            scope=nurse.scope,
            acting_user=nurse.user,
            record=record,
            performer=gp.person,
            imaging_operator=radiographer.person,
        )
    codes = [r.code for r in caught.value.reasons]
    assert codes == ["performer.role_missing", "performer.one_of"]
    first = caught.value.reasons[0]
    assert first.message_en.startswith("Performer Dr Fajar: Needs one of these roles: Pain physician, ")
    # The engine's reason in Indonesian too (the page shows the user's language, the API both).
    assert "Dr Fajar: Memerlukan salah satu peran berikut: Dokter manajemen nyeri" in first.message_id
    record.refresh_from_db()
    assert record.status == ProcedureStatus.ORDERED
    assert not ProcedurePerformance.objects.exists()
    denied = AuditEvent.objects.get(action=AuditAction.PERMISSION_DENIED, object_type="procedure")
    assert denied.outcome == AuditOutcome.DENIED
    assert "performer.role_missing" in denied.reason


def test_an_expired_practice_permit_refuses_the_performer(
    order: Order, nurse: Staff, make_staff: MakeStaff, c_arm: Equipment, radiographer: Staff
) -> None:
    lapsed = make_staff(
        Role.PAIN_PHYSICIAN, "dr_lapsed", residency=Specialty.ANESTHESIOLOGY, fellowship=True, sip_expired=True
    )
    with pytest.raises(ProcedureRefused) as caught:
        services.record_performance(
            scope=nurse.scope,
            acting_user=nurse.user,
            record=order(),
            performer=lapsed.person,
            imaging_operator=radiographer.person,
        )
    assert [r.code for r in caught.value.reasons] == ["performer.credential_expired"]


def test_sedation_without_an_anesthesiologist_is_refused_as_a_missing_field(
    order: Order, nurse: Staff, physician: Staff, c_arm: Equipment, radiographer: Staff
) -> None:
    record = order(anesthesia="sedation")
    with pytest.raises(ValidationError) as caught:
        services.record_performance(
            scope=nurse.scope,
            acting_user=nurse.user,
            record=record,
            performer=physician.person,
            imaging_operator=radiographer.person,
        )
    assert field_errors(caught.value)["anesthesiologist"] == ["Sedation needs an anesthesiologist: choose who gave it."]
    assert not ProcedurePerformance.objects.exists()


def test_sedation_by_an_anesthesiologist_who_holds_the_privilege_is_recorded(
    order: Order, nurse: Staff, physician: Staff, anesthesiologist: Staff, c_arm: Equipment, radiographer: Staff
) -> None:
    record = order(anesthesia="sedation")
    performance = services.record_performance(
        scope=nurse.scope,
        acting_user=nurse.user,
        record=record,
        performer=physician.person,
        imaging_operator=radiographer.person,
        anesthesiologist=anesthesiologist.person,
        monitoring_nurse=nurse.person,
    )
    assert performance.anesthesiologist == anesthesiologist.person
    assert f"give_sedation allowed for person {anesthesiologist.person.pk}" in performance.decision


def test_an_anesthesiologist_without_the_privilege_is_refused(
    order: Order, nurse: Staff, physician: Staff, make_staff: MakeStaff, c_arm: Equipment, radiographer: Staff
) -> None:
    # An anesthesiologist by role, but no anesthesiology residency on record.
    unqualified = make_staff(Role.ANESTHESIOLOGIST, "dr_baru")
    record = order(procedure_code="celiac_plexus_neurolysis", body_site="abdomen", laterality="", anesthesia="general")
    with pytest.raises(ProcedureRefused) as caught:
        services.record_performance(
            scope=nurse.scope,
            acting_user=nurse.user,
            record=record,
            performer=physician.person,
            imaging_operator=radiographer.person,
            anesthesiologist=unqualified.person,
            monitoring_nurse=nurse.person,
        )
    codes = [r.code for r in caught.value.reasons]
    # General anesthesia: an anesthesiology residency and board certification, neither on record.
    assert codes == ["anesthesiologist.specialty_missing", "anesthesiologist.specialty_missing"]
    assert {r.subject for r in caught.value.reasons} == {"anesthesiologist"}
    assert caught.value.reasons[0].message_en == (
        "Anesthesiologist Dr Baru: Needs a residency (specialty) in anesthesiology."
    )


def test_the_performer_is_not_also_the_anesthesiologist(
    order: Order, nurse: Staff, anesthesiologist: Staff, c_arm: Equipment, radiographer: Staff
) -> None:
    record = order(anesthesia="sedation")
    with pytest.raises(ValidationError) as caught:
        services.record_performance(
            scope=nurse.scope,
            acting_user=nurse.user,
            record=record,
            performer=anesthesiologist.person,
            imaging_operator=radiographer.person,
            anesthesiologist=anesthesiologist.person,
        )
    assert "anesthesiologist" in field_errors(caught.value)


def test_fluoroscopy_without_a_c_arm_is_refused(
    order: Order, nurse: Staff, physician: Staff, facility: Facility, radiographer: Staff
) -> None:
    record = order()
    with pytest.raises(ProcedureRefused) as caught:
        services.record_performance(
            scope=nurse.scope,
            acting_user=nurse.user,
            record=record,
            performer=physician.person,
            imaging_operator=radiographer.person,
        )
    [reason] = caught.value.reasons
    assert reason.code == "equipment.not_in_service"
    assert reason.message_en == (
        f"{facility.name} has no c-arm fluoroscopy in service, so fluoroscopy (c-arm) guidance is not possible."
    )
    assert not ProcedurePerformance.objects.exists()


def test_a_c_arm_under_maintenance_does_not_count(
    order: Order, nurse: Staff, physician: Staff, add_unit: AddUnit, radiographer: Staff
) -> None:
    add_unit("c_arm", status="under_maintenance")
    record = order()
    with pytest.raises(ProcedureRefused) as caught:
        services.record_performance(
            scope=nurse.scope,
            acting_user=nurse.user,
            record=record,
            performer=physician.person,
            imaging_operator=radiographer.person,
        )
    [reason] = caught.value.reasons
    assert reason.code == "equipment.under_maintenance"
    assert "(under maintenance: 1)" in reason.message_en


def test_a_refusal_lists_every_reason_at_once(order: Order, nurse: Staff, gp: Staff, radiographer: Staff) -> None:
    with pytest.raises(ProcedureRefused) as caught:
        services.record_performance(
            scope=nurse.scope,
            acting_user=nurse.user,
            record=order(),
            performer=gp.person,
            imaging_operator=radiographer.person,
        )
    subjects = [r.subject for r in caught.value.reasons]
    assert subjects == ["performer", "performer", "equipment"]


def test_an_ultrasound_guided_block_needs_the_ultrasound_unit_not_the_c_arm(
    order: Order, nurse: Staff, physician: Staff, ultrasound: Equipment
) -> None:
    record = order(procedure_code="suprascapular_nerve_block", body_site="shoulder", laterality="right")
    performance = services.record_performance(
        scope=nurse.scope,
        acting_user=nurse.user,
        record=record,
        performer=physician.person,
        pain_before=6,
        pain_after=3,
    )
    assert performance.guidance == "ultrasound"


def test_a_landmark_injection_needs_no_equipment_and_a_gp_may_do_it(order: Order, nurse: Staff, gp: Staff) -> None:
    record = order(procedure_code="trigger_point_injection", body_site="upper_back", laterality="")
    performance = services.record_performance(
        scope=nurse.scope, acting_user=nurse.user, record=record, performer=gp.person
    )
    assert performance.anesthesia == "none"
    assert "perform_procedure:injection allowed" in performance.decision


def test_the_performance_is_checked_like_the_order(
    order: Order, nurse: Staff, physician: Staff, c_arm: Equipment, radiographer: Staff
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.record_performance(
            scope=nurse.scope,
            acting_user=nurse.user,
            record=order(),
            performer=physician.person,
            imaging_operator=radiographer.person,
            body_site="knee",
            pain_before=11,
            complications=["other"],
            performed_at=timezone.now() + timedelta(hours=1),
        )
    assert set(field_errors(caught.value)) == {"body_site", "pain_before", "complication_note", "performed_at"}


def test_complications_are_recorded_with_the_note(
    order: Order, nurse: Staff, physician: Staff, c_arm: Equipment, radiographer: Staff
) -> None:
    performance = services.record_performance(
        scope=nurse.scope,
        acting_user=nurse.user,
        record=order(),
        performer=physician.person,
        imaging_operator=radiographer.person,
        complications=["other", "vasovagal", "vasovagal"],
        complication_note="Mual sesaat",
    )
    kinds = list(ProcedureComplication.objects.filter(performance=performance).values_list("kind", flat=True))
    assert sorted(kinds) == [ComplicationKind.OTHER, ComplicationKind.VASOVAGAL]
    assert performance.complication_note == "Mual sesaat"


# --- Relief -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "change", "percent"),
    [
        (7, 2, -5, Decimal("71")),  # 5/7 = 71.4 %
        (8, 4, -4, Decimal("50")),
        (6, 6, 0, Decimal("0")),
        (3, 5, 2, Decimal("-67")),  # worse: -66.7 % rounds half up in magnitude to -67
        (9, 8, -1, Decimal("11")),  # 11.1 %
        (0, 0, 0, None),  # nothing to reduce
    ],
)
def test_relief_is_the_change_and_the_reduction_from_the_pain_before(
    before: int, after: int, change: int, percent: Decimal | None
) -> None:
    relief = Relief(before, after)
    assert relief.change == change
    assert relief.percent == percent


def test_a_performance_without_both_ratings_has_no_relief(performed: ProcedurePerformance) -> None:
    assert performed.relief is not None
    assert performed.relief.percent == Decimal("71")
    performed.pain_after = None
    assert performed.relief is None


# --- Amendments -----------------------------------------------------------------------------------


def test_an_amendment_is_a_new_version_and_the_earlier_one_is_kept(
    performed: ProcedurePerformance, physician: Staff
) -> None:
    successor = services.amend_performance(
        scope=physician.scope,
        acting_user=physician.user,
        performance=performed,
        reason="Skor nyeri pascatindakan salah ketik",
        pain_after=3,
    )
    assert (successor.version, successor.kind, successor.amends) == (2, PerformanceKind.AMENDMENT, performed)
    assert successor.amendment_reason == "Skor nyeri pascatindakan salah ketik"
    assert successor.recorded_by == physician.user
    assert successor.pain_after == 3
    performed.refresh_from_db()
    assert performed.pain_after == 2
    assert performed.version == 1
    # Nothing about who or how changed: the earlier decisions are kept, not decided again.
    assert successor.decision == performed.decision
    event = AuditEvent.objects.get(action=AuditAction.AMEND)
    assert "amended version 1 -> 2 (pain_after)" in event.reason


def test_only_the_current_version_is_amended(performed: ProcedurePerformance, physician: Staff) -> None:
    services.amend_performance(
        scope=physician.scope, acting_user=physician.user, performance=performed, reason="Koreksi", pain_after=3
    )
    with pytest.raises(ValidationError) as caught:
        services.amend_performance(
            scope=physician.scope, acting_user=physician.user, performance=performed, reason="Lagi", pain_after=4
        )
    assert caught.value.code == "superseded"


def test_an_amendment_needs_a_reason_and_a_change(performed: ProcedurePerformance, physician: Staff) -> None:
    with pytest.raises(ValidationError) as caught:
        services.amend_performance(
            scope=physician.scope, acting_user=physician.user, performance=performed, reason="", pain_after=3
        )
    assert "reason" in field_errors(caught.value)
    with pytest.raises(ValidationError) as caught:
        services.amend_performance(
            scope=physician.scope, acting_user=physician.user, performance=performed, reason="Tidak ada", pain_after=2
        )
    assert caught.value.code == "unchanged"


def test_an_amendment_that_changes_the_performer_is_decided_again(
    performed: ProcedurePerformance, physician: Staff, gp: Staff
) -> None:
    with pytest.raises(ProcedureRefused) as caught:
        services.amend_performance(
            scope=physician.scope,
            acting_user=physician.user,
            performance=performed,
            reason="Yang melakukan dr. Fajar",
            performer=gp.person,
        )
    assert caught.value.reasons[0].code == "performer.role_missing"
    assert ProcedurePerformance.objects.count() == 1


def test_an_amendment_keeps_the_body_site_rules(performed: ProcedurePerformance, physician: Staff) -> None:
    with pytest.raises(ValidationError) as caught:
        services.amend_performance(
            scope=physician.scope, acting_user=physician.user, performance=performed, reason="Sisi", laterality=""
        )
    assert "laterality" in field_errors(caught.value)


def test_the_database_refuses_a_second_original_version(performed: ProcedurePerformance) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ProcedurePerformance.objects.create(
            organization=performed.organization,
            record=performed.record,
            version=1,
            kind=PerformanceKind.ORIGINAL,
            procedure_code=performed.procedure_code,
            catalogue_version=performed.catalogue_version,
            performed_at=performed.performed_at,
            performer=performed.performer,
            anesthesia="local",
            guidance="fluoroscopy",
            body_site="lower_back",
            decision="x",
            recorded_by=performed.recorded_by,
            recorded_at=performed.recorded_at,
        )


def test_the_database_refuses_sedation_without_an_anesthesiologist(performed: ProcedurePerformance) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ProcedurePerformance.objects.create(
            organization=performed.organization,
            record=performed.record,
            version=2,
            kind=PerformanceKind.AMENDMENT,
            amends=performed,
            amendment_reason="x",
            procedure_code=performed.procedure_code,
            catalogue_version=performed.catalogue_version,
            performed_at=performed.performed_at,
            performer=performed.performer,
            anesthesia="sedation",
            guidance="fluoroscopy",
            body_site="lower_back",
            decision="x",
            recorded_by=performed.recorded_by,
            recorded_at=performed.recorded_at,
        )


def test_a_member_limited_to_another_facility_may_not_write_here(order: Order, make_member: MakeMember) -> None:
    record = order()
    other = Facility.objects.create(
        organization=record.organization,
        name="Klinik Lain",
        code="lain-2",
        kind=Facility.Kind.PAIN_CLINIC,
        province="Jawa Barat",
        regency="Kota Cimahi",
        regency_code="32.77",
    )
    limited = make_member(record.organization, Role.NURSE, username="ns_lain", facilities=(other,))
    with pytest.raises(ValidationError) as caught:
        services.cancel_procedure(scope=scope_of(limited), acting_user=limited, record=record, reason="x")
    assert "facility" in field_errors(caught.value)
