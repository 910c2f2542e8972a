"""Diagnosis services and selectors: validation, the engine's privilege, versions, audit, queries."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.http import Http404
from django.utils import timezone, translation

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.clinical.diagnoses import selectors, services
from nyeri.clinical.diagnoses.models import ClinicalStatus, Diagnosis, RecordStatus
from nyeri.clinical.models import Patient
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.refusals import ActionRefused
from nyeri.tenancy.roles import Role
from nyeri.workforce.models import Credential
from tests.conftest import MakeMember
from tests.diagnoses.conftest import licensed_staff, make_patient, scope_of


def record(user: User, patient: Patient, **fields: Any) -> Diagnosis:
    values: dict[str, Any] = {"icd10_code": "M54.5"}
    values.update(fields)
    return services.record_diagnosis(scope=scope_of(user), acting_user=user, patient=patient, **values)


def errors_of(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


# --- Recording --------------------------------------------------------------------------


def test_a_licensed_physician_records_a_diagnosis_with_the_who_title_of_the_day(
    physician: User, patient: Patient, facility: Facility
) -> None:
    diagnosis = record(physician, patient, icd10_code=" m545 ", body_site="lower_back", laterality="midline")
    diagnosis.refresh_from_db()
    assert (diagnosis.icd10_code, diagnosis.icd10_title, diagnosis.icd10_edition) == (
        "M54.5",
        "Low back pain",
        "WHO ICD-10 2019",
    )
    assert (diagnosis.version, diagnosis.record_status, diagnosis.amends_id) == (1, RecordStatus.ORIGINAL, None)
    assert (diagnosis.clinical_status, diagnosis.facility_id, diagnosis.recorded_by_id) == (
        ClinicalStatus.ACTIVE,
        facility.pk,
        physician.pk,
    )


def test_recording_is_audited_with_the_patient_and_the_engines_decision(
    physician: User, patient: Patient, facility: Facility
) -> None:
    diagnosis = record(physician, patient)
    event = AuditEvent.objects.latest("pk")
    assert (event.action, event.outcome, event.patient_id, event.object_type, event.object_id) == (
        AuditAction.CREATE,
        AuditOutcome.SUCCESS,
        patient.pk,
        "diagnosis",
        str(diagnosis.pk),
    )
    assert (event.actor_id, event.facility_id) == (physician.pk, facility.pk)
    permit = Credential.objects.get(person__user=physician, kind="practice_permit")
    assert event.reason.startswith(f"record_diagnosis allowed for person {permit.person_id} at facility {facility.pk}")
    assert "by ID@" in event.reason
    assert str(permit.pk) in event.reason


def test_an_unknown_icd10_code_is_refused_naming_the_field_and_nothing_is_saved(
    physician: User, patient: Patient
) -> None:
    before = AuditEvent.objects.count()
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        record(physician, patient, icd10_code="G89.29")
    assert errors_of(excinfo) == {"icd10_code": ["G89.29 is not a code of WHO ICD-10 2019."]}
    assert not Diagnosis.objects.exists()
    assert AuditEvent.objects.count() == before


def test_an_onset_in_the_future_is_refused_naming_the_field_and_nothing_is_saved(
    physician: User, patient: Patient
) -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        record(physician, patient, onset_date=tomorrow)
    assert errors_of(excinfo) == {"onset_date": ["The onset cannot be in the future."]}
    assert not Diagnosis.objects.exists()


def test_an_onset_before_birth_is_refused(physician: User, patient: Patient) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        record(physician, patient, onset_date=date(1960, 5, 1))
    assert errors_of(excinfo) == {"onset_date": ["The onset is before the patient's birth date (2 Jan 1970)."]}


def test_an_unknown_icd11_category_is_refused_naming_the_field(physician: User, patient: Patient) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        record(physician, patient, icd11_category="MG30.9")
    assert list(errors_of(excinfo)) == ["icd11_category"]
    assert "MG30.9 is not an ICD-11 chronic pain category" in errors_of(excinfo)["icd11_category"][0]
    assert not Diagnosis.objects.exists()


def test_a_chronic_pain_code_needs_its_icd11_category_and_a_cause_code_does_not(
    physician: User, patient: Patient
) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        record(physician, patient, icd10_code="R52.2")
    assert errors_of(excinfo) == {
        "icd11_category": ["R52.2 is a chronic pain diagnosis: choose its ICD-11 chronic pain category."]
    }
    chronic = record(physician, patient, icd10_code="R52.2", icd11_category="mg30.3")
    assert chronic.icd11_category == "MG30.3"
    assert record(physician, patient, icd10_code="M51.1").icd11_category == ""


def test_every_bad_field_is_named_at_once_and_the_messages_are_translated(physician: User, patient: Patient) -> None:
    with translation.override("id"), pytest.raises(ValidationError) as excinfo:
        record(
            physician,
            patient,
            icd10_code="M54",
            icd11_category="X",
            body_site="tail",
            laterality="up",
            clinical_status="cured",
            onset_date=timezone.localdate() + timedelta(days=3),
        )
    assert set(errors_of(excinfo)) == {
        "icd10_code",
        "icd11_category",
        "body_site",
        "laterality",
        "clinical_status",
        "onset_date",
    }
    assert not Diagnosis.objects.exists()


def test_a_side_needs_a_body_site(physician: User, patient: Patient) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        record(physician, patient, laterality="left")
    assert errors_of(excinfo) == {"laterality": ["Choose the body site this side belongs to."]}


# --- Privilege --------------------------------------------------------------------------


def test_a_nurse_cannot_record_a_diagnosis_the_engine_says_why_and_the_refusal_is_audited(
    licensed_nurse: User, patient: Patient, facility: Facility
) -> None:
    with translation.override("en"), pytest.raises(ActionRefused) as excinfo:
        record(licensed_nurse, patient)
    assert any("Needs one of these roles" in r for r in excinfo.value.reasons)
    assert not Diagnosis.objects.exists()
    event = AuditEvent.objects.latest("pk")
    assert (event.action, event.outcome, event.actor_id, event.patient_id, event.facility_id) == (
        AuditAction.PERMISSION_DENIED,
        AuditOutcome.DENIED,
        licensed_nurse.pk,
        patient.pk,
        facility.pk,
    )
    assert "record_diagnosis refused" in event.reason
    assert "role_missing" in event.reason


def test_a_physician_without_a_practice_permit_here_is_refused_with_the_engines_reason(
    make_member: MakeMember, org: Organization, facility: Facility, patient: Patient
) -> None:
    unlicensed = licensed_staff(make_member, org, facility, Role.PAIN_PHYSICIAN, "dr_baru", licensed=False)
    with translation.override("en"), pytest.raises(ActionRefused) as excinfo:
        record(unlicensed, patient)
    assert "No practice permit (SIP) for this facility." in excinfo.value.reasons
    assert not Diagnosis.objects.exists()


def test_a_member_without_a_professional_record_is_refused(
    make_member: MakeMember, org: Organization, patient: Patient
) -> None:
    locum = make_member(org, Role.PAIN_PHYSICIAN, username="locum", language="en")
    with pytest.raises(ActionRefused):
        record(locum, patient)
    assert AuditEvent.objects.latest("pk").reason.endswith("has no professional record")


def test_another_organizations_patient_is_not_found_by_the_service(physician: User, foreign_patient: Patient) -> None:
    with pytest.raises(Http404):
        record(physician, foreign_patient)
    assert not Diagnosis.objects.exists()


def test_a_facility_outside_a_limited_membership_is_refused_naming_the_field(
    make_member: MakeMember, org: Organization, facility: Facility, patient: Patient
) -> None:
    elsewhere = Facility.objects.create(
        organization=org,
        name="Klinik Cabang",
        code="cabang",
        kind=Facility.Kind.PAIN_CLINIC,
        province="Jawa Barat",
        regency="Kota Bandung",
        regency_code="32.73",
    )
    user = licensed_staff(make_member, org, facility, Role.PAIN_PHYSICIAN, "dr_cabang")
    # Limit the membership to the branch: the patient's own facility is outside it.
    from nyeri.tenancy.models import MembershipFacility

    membership = user.memberships.get()  # type: ignore[attr-defined]
    MembershipFacility.objects.create(organization=org, membership=membership, facility=elsewhere)
    with pytest.raises(ValidationError) as excinfo:
        record(user, patient)
    assert list(errors_of(excinfo)) == ["facility"]


# --- Amendments -------------------------------------------------------------------------


def test_an_amendment_is_a_new_version_and_keeps_the_earlier_one_with_who_when_and_why(
    physician: User, low_back_pain: Diagnosis, make_member: MakeMember, org: Organization, facility: Facility
) -> None:
    colleague = licensed_staff(make_member, org, facility, Role.ANESTHESIOLOGIST, "dr_ani")
    amended = services.amend_diagnosis(
        scope=scope_of(colleague),
        acting_user=colleague,
        diagnosis=low_back_pain,
        reason="MRI shows L5 radiculopathy from a disc herniation",
        icd10_code="M51.1",
        laterality="left",
    )
    original = Diagnosis.objects.get(pk=low_back_pain.pk)
    assert (original.icd10_code, original.icd10_title, original.laterality, original.recorded_by_id) == (
        "M54.5",
        "Low back pain",
        "midline",
        physician.pk,
    )
    assert (amended.version, amended.record_status, amended.amends_id, amended.lineage) == (
        2,
        RecordStatus.AMENDMENT,
        original.pk,
        original.lineage,
    )
    assert amended.icd10_title == "Lumbar and other intervertebral disc disorders with radiculopathy"
    assert (amended.body_site, amended.onset_date, amended.suspected_cause) == (
        "lower_back",
        date(2024, 3, 1),
        "Facet joint arthropathy",
    )
    assert amended.recorded_by_id == colleague.pk
    assert amended.amendment_reason.startswith("MRI shows")
    event = AuditEvent.objects.latest("pk")
    assert (event.action, event.patient_id, event.object_id) == (
        AuditAction.AMEND,
        low_back_pain.patient_id,
        str(amended.pk),
    )
    assert "record_diagnosis allowed" in event.reason


def test_an_amendment_needs_a_reason_and_a_change(physician: User, low_back_pain: Diagnosis) -> None:
    scope = scope_of(physician)
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        services.amend_diagnosis(
            scope=scope, acting_user=physician, diagnosis=low_back_pain, reason="  ", laterality="left"
        )
    assert errors_of(excinfo) == {"reason": ["Say why the diagnosis is amended."]}
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        services.amend_diagnosis(
            scope=scope, acting_user=physician, diagnosis=low_back_pain, reason="typo", icd10_code="m54.5"
        )
    assert excinfo.value.messages == ["The amendment changes nothing: change a field or cancel."]
    assert Diagnosis.objects.count() == 1


def test_an_amendment_with_a_bad_field_saves_nothing(physician: User, low_back_pain: Diagnosis) -> None:
    with pytest.raises(ValidationError) as excinfo:
        services.amend_diagnosis(
            scope=scope_of(physician),
            acting_user=physician,
            diagnosis=low_back_pain,
            reason="wrong code",
            icd10_code="Q99.99",
            onset_date=timezone.localdate() + timedelta(days=1),
        )
    assert set(errors_of(excinfo)) == {"icd10_code", "onset_date"}
    assert Diagnosis.objects.count() == 1


def test_a_version_that_was_amended_cannot_be_amended_again(physician: User, low_back_pain: Diagnosis) -> None:
    scope = scope_of(physician)
    services.amend_diagnosis(scope=scope, acting_user=physician, diagnosis=low_back_pain, reason="r", laterality="left")
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        services.amend_diagnosis(
            scope=scope, acting_user=physician, diagnosis=low_back_pain, reason="r", laterality="right"
        )
    assert "amended since" in excinfo.value.messages[0]
    assert Diagnosis.objects.count() == 2


def test_a_change_of_clinical_status_is_an_amendment(physician: User, low_back_pain: Diagnosis) -> None:
    resolved = services.change_clinical_status(
        scope=scope_of(physician),
        acting_user=physician,
        diagnosis=low_back_pain,
        clinical_status=ClinicalStatus.RESOLVED,
        reason="Pain free for 3 months after radiofrequency ablation",
    )
    assert (resolved.clinical_status, resolved.record_status, resolved.version) == (
        ClinicalStatus.RESOLVED,
        RecordStatus.AMENDMENT,
        2,
    )
    assert Diagnosis.objects.get(pk=low_back_pain.pk).clinical_status == ClinicalStatus.ACTIVE


def test_a_nurse_cannot_amend_a_diagnosis(licensed_nurse: User, low_back_pain: Diagnosis) -> None:
    with pytest.raises(ActionRefused):
        services.amend_diagnosis(
            scope=scope_of(licensed_nurse),
            acting_user=licensed_nurse,
            diagnosis=low_back_pain,
            reason="r",
            laterality="left",
        )
    assert Diagnosis.objects.count() == 1


# --- Entered in error -------------------------------------------------------------------


def test_entered_in_error_is_hidden_from_the_problem_list_and_kept_in_the_history(
    physician: User, patient: Patient, low_back_pain: Diagnosis
) -> None:
    scope = scope_of(physician)
    migraine = record(physician, patient, icd10_code="G43.9")
    marked = services.mark_entered_in_error(
        scope=scope, acting_user=physician, diagnosis=migraine, reason="Recorded for the wrong patient"
    )
    problems = selectors.problem_list(scope, patient)
    assert [d.pk for d in problems.diagnoses] == [low_back_pain.pk]
    assert problems.entered_in_error == 1
    history = selectors.diagnosis_history(scope, migraine)
    assert [(v.version, v.record_status) for v in history] == [
        (1, RecordStatus.ORIGINAL),
        (2, RecordStatus.ENTERED_IN_ERROR),
    ]
    assert history[1].pk == marked.pk
    assert history[1].amendment_reason == "Recorded for the wrong patient"
    event = AuditEvent.objects.latest("pk")
    assert (event.action, event.patient_id, event.object_id) == (AuditAction.CANCEL, patient.pk, str(marked.pk))


def test_entered_in_error_needs_a_reason_and_then_cannot_be_amended(physician: User, low_back_pain: Diagnosis) -> None:
    scope = scope_of(physician)
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        services.mark_entered_in_error(scope=scope, acting_user=physician, diagnosis=low_back_pain, reason="")
    assert errors_of(excinfo) == {"reason": ["Say why this is entered in error."]}
    marked = services.mark_entered_in_error(scope=scope, acting_user=physician, diagnosis=low_back_pain, reason="dup")
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        services.amend_diagnosis(scope=scope, acting_user=physician, diagnosis=marked, reason="r", laterality="left")
    assert "entered in error" in excinfo.value.messages[0]


# --- Selectors --------------------------------------------------------------------------


def test_the_problem_list_shows_current_versions_active_first(physician: User, patient: Patient) -> None:
    scope = scope_of(physician)
    old = record(physician, patient, icd10_code="G50.0")
    services.change_clinical_status(
        scope=scope, acting_user=physician, diagnosis=old, clinical_status="resolved", reason="after MVD"
    )
    ruled_out = record(physician, patient, icd10_code="G56.0", clinical_status="ruled_out")
    active = record(physician, patient, icd10_code="M79.7", icd11_category="MG30.0")
    listed = selectors.problem_list(scope, patient).diagnoses
    assert [(d.icd10_code, d.clinical_status) for d in listed] == [
        ("M79.7", "active"),
        ("G50.0", "resolved"),
        ("G56.0", "ruled_out"),
    ]
    assert listed[0].pk == active.pk
    assert listed[2].pk == ruled_out.pk


def test_the_problem_list_and_the_history_take_one_query_whatever_their_length(
    physician: User, patient: Patient, django_assert_num_queries: Any
) -> None:
    scope = scope_of(physician)
    first = record(physician, patient, icd10_code="G50.0")
    with django_assert_num_queries(1):
        assert len(selectors.problem_list(scope, patient).diagnoses) == 1
    current = first
    for n in range(4):
        current = services.amend_diagnosis(
            scope=scope, acting_user=physician, diagnosis=current, reason=f"r{n}", suspected_cause=f"cause {n}"
        )
    for code in ("M54.5", "G43.9", "G44.2"):
        record(physician, patient, icd10_code=code)
    with django_assert_num_queries(1):
        listed = selectors.problem_list(scope, patient).diagnoses
        assert all(str(d.recorded_by) for d in listed)
        assert all(d.facility.name for d in listed)
    assert len(listed) == 4
    with django_assert_num_queries(1):
        versions = selectors.diagnosis_history(scope, first)
        assert all(str(v.recorded_by) for v in versions)
        assert all(v.facility.name for v in versions)
    assert [v.version for v in versions] == [1, 2, 3, 4, 5]


def test_the_problem_list_of_a_patient_shows_nothing_of_another_organization(
    physician: User, patient: Patient, other_org: Organization, other_facility: Facility, make_member: MakeMember
) -> None:
    record(physician, patient)
    stranger = licensed_staff(make_member, other_org, other_facility, Role.PAIN_PHYSICIAN, "dr_lain")
    other_patient = make_patient(other_org, other_facility, "RM-9", "Pasien Lain")
    # Even handed the patient object directly, the selector filters by the scope's organization.
    assert selectors.problem_list(scope_of(stranger), patient).diagnoses == []
    assert selectors.problem_list(scope_of(physician), other_patient).diagnoses == []


@pytest.mark.parametrize(
    "sql",
    ["UPDATE diagnoses_diagnosis SET icd10_code = 'G35'", "DELETE FROM diagnoses_diagnosis"],
    ids=["update", "delete"],
)
@pytest.mark.postgres_only
def test_postgresql_refuses_to_change_or_delete_a_diagnosis(sql: str, low_back_pain: Diagnosis) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    with (
        pytest.raises(DatabaseError, match="diagnoses are append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert Diagnosis.objects.get(pk=low_back_pain.pk).icd10_code == "M54.5"
