"""Recording and withdrawing consents: fields checked and named, nothing saved on bad input, audit rows,
the organization wall, care access, and the reads in one query."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone, translation

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.clinical.breakglass.access import CareAccessRefused
from nyeri.clinical.consents.selectors import access_consent, consent_summary, patient_consents
from nyeri.clinical.consents.services import record_consent, withdraw_consent
from nyeri.clinical.models import ConsentKind, ConsentMethod, ConsentStatus, Patient, PatientConsent
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from tests.conftest import MakeMember

from .conftest import give, scope_of


def test_a_clinician_records_a_signed_treatment_consent_with_its_audit_row(
    clinician: User, clinician_scope: Scope, patient: Patient, facility: Facility
) -> None:
    at = timezone.now() - timedelta(minutes=30)
    consent = record_consent(
        scope=clinician_scope,
        acting_user=clinician,
        patient=patient,
        kind=ConsentKind.TREATMENT,
        how=ConsentMethod.SIGNED_FORM,
        given_at=at,
    )
    stored = PatientConsent.objects.get()
    assert stored == consent
    assert (stored.kind, stored.status, stored.how, stored.given_at) == ("treatment", "given", "signed_form", at)
    # The facility defaults to the patient's, where the nurse works.
    assert (stored.facility, stored.recorded_by, stored.organization) == (facility, clinician, patient.organization)
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.object_type, event.object_id, event.patient_id, event.facility_id) == (
        AuditAction.CREATE,
        "patient_consent",
        str(consent.pk),
        patient.pk,
        facility.pk,
    )
    assert (event.actor, event.reason) == (clinician, "treatment given (signed_form)")


def test_given_at_defaults_to_now(clinician: User, clinician_scope: Scope, patient: Patient) -> None:
    before = timezone.now()
    consent = record_consent(
        scope=clinician_scope, acting_user=clinician, patient=patient, kind="data_processing", how="electronic"
    )
    assert before <= consent.given_at <= timezone.now()


def test_a_verbal_consent_is_recorded_with_its_witness_and_a_procedure_with_its_name(
    clinician: User, patient: Patient
) -> None:
    verbal = give(clinician, patient, ConsentKind.DIARY_CONTACT, how="verbal_witnessed", witness="  Ns. Rina  ")
    procedure = give(clinician, patient, ConsentKind.PROCEDURE, scope_note="Blok saraf genikular lutut kanan")
    assert (verbal.how, verbal.witness) == ("verbal_witnessed", "Ns. Rina")
    assert procedure.scope_note == "Blok saraf genikular lutut kanan"


BAD: list[tuple[dict[str, Any], str, str]] = [
    ({"kind": "marketing"}, "kind", "Choose what the patient consents to."),
    ({"how": "telepathy"}, "how", "Choose how the consent was given."),
    (
        {"given_at": timezone.now() + timedelta(days=1)},
        "given_at",
        "A consent is recorded once it has been given: the time cannot be in the future.",
    ),
    ({"how": "verbal_witnessed", "witness": "   "}, "witness", "A verbal consent needs the name of its witness."),
    ({"kind": "procedure", "scope_note": ""}, "scope_note", "Name the procedure the patient consents to."),
    ({"witness": "x" * 201}, "witness", "At most 200 characters."),
]


@pytest.mark.parametrize(("fields", "field", "message"), BAD)
def test_bad_input_is_named_by_its_field_translated_and_nothing_is_saved(
    clinician: User, clinician_scope: Scope, patient: Patient, fields: dict[str, Any], field: str, message: str
) -> None:
    values: dict[str, Any] = {"kind": "treatment", "how": "signed_form", **fields}
    events = AuditEvent.objects.count()
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        record_consent(scope=clinician_scope, acting_user=clinician, patient=patient, **values)
    assert caught.value.message_dict == {field: [message]}
    assert not PatientConsent.objects.exists()
    assert AuditEvent.objects.count() == events


def test_every_bad_field_is_named_at_once(clinician: User, clinician_scope: Scope, patient: Patient) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        record_consent(
            scope=clinician_scope,
            acting_user=clinician,
            patient=patient,
            kind="procedure",
            how="verbal_witnessed",
            given_at=timezone.now() + timedelta(hours=2),
        )
    assert set(caught.value.message_dict) == {"scope_note", "witness", "given_at"}


def test_a_kind_in_force_is_not_given_twice_but_can_be_given_again_after_a_withdrawal(
    clinician: User, clinician_scope: Scope, patient: Patient
) -> None:
    first = give(clinician, patient, ConsentKind.RESEARCH)
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        give(clinician, patient, ConsentKind.RESEARCH)
    assert list(caught.value.message_dict) == ["kind"]
    assert "already given" in caught.value.message_dict["kind"][0]
    assert PatientConsent.objects.count() == 1
    withdraw_consent(scope=clinician_scope, acting_user=clinician, consent=first, reason="Tidak ingin ikut studi")
    again = give(clinician, patient, ConsentKind.RESEARCH, given_at=timezone.now())
    assert again.pk != first.pk
    assert PatientConsent.objects.filter(status="given").get() == again


def test_each_procedure_has_its_own_informed_consent(clinician: User, patient: Patient) -> None:
    give(clinician, patient, ConsentKind.PROCEDURE, scope_note="Injeksi steroid epidural L4-L5")
    give(clinician, patient, ConsentKind.PROCEDURE, scope_note="Ablasi radiofrekuensi faset lumbal")
    assert PatientConsent.objects.filter(kind="procedure", status="given").count() == 2


def test_withdrawing_keeps_the_consent_with_who_when_and_why_and_audits(
    clinician: User, clinician_scope: Scope, patient: Patient, facility: Facility
) -> None:
    consent = give(clinician, patient, ConsentKind.DIARY_CONTACT, how="electronic")
    before = timezone.now()
    withdrawn = withdraw_consent(
        scope=clinician_scope, acting_user=clinician, consent=consent, reason="  Pasien tidak mau dihubungi lagi  "
    )
    stored = PatientConsent.objects.get(pk=consent.pk)
    assert stored.status == ConsentStatus.WITHDRAWN == withdrawn.status
    assert (stored.withdrawn_by, stored.withdrawal_reason) == (clinician, "Pasien tidak mau dihubungi lagi")
    assert stored.withdrawn_at is not None
    assert before <= stored.withdrawn_at <= timezone.now()
    # What was given stays as it was.
    assert (stored.kind, stored.how, stored.given_at) == (consent.kind, consent.how, consent.given_at)
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.object_type, event.object_id, event.patient_id, event.reason) == (
        AuditAction.UPDATE,
        "patient_consent",
        str(consent.pk),
        patient.pk,
        "diary_contact withdrawn",
    )
    assert event.facility_id == facility.pk


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_withdrawal_without_a_reason_is_refused_and_nothing_changes(
    clinician: User, clinician_scope: Scope, patient: Patient, reason: str
) -> None:
    consent = give(clinician, patient)
    events = AuditEvent.objects.count()
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        withdraw_consent(scope=clinician_scope, acting_user=clinician, consent=consent, reason=reason)
    assert caught.value.message_dict == {"reason": ["Give the reason for the withdrawal."]}
    assert PatientConsent.objects.get().status == "given"
    assert AuditEvent.objects.count() == events


def test_withdrawing_twice_is_refused(clinician: User, clinician_scope: Scope, patient: Patient) -> None:
    consent = give(clinician, patient)
    withdraw_consent(scope=clinician_scope, acting_user=clinician, consent=consent, reason="Menolak perawatan")
    stored = PatientConsent.objects.get()
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        withdraw_consent(scope=clinician_scope, acting_user=clinician, consent=consent, reason="Lagi")
    assert list(caught.value.message_dict) == ["status"]
    assert caught.value.message_dict["status"][0].startswith("This consent was already withdrawn on ")
    assert PatientConsent.objects.get().withdrawal_reason == stored.withdrawal_reason == "Menolak perawatan"


def test_a_member_without_a_clinical_role_is_refused_and_the_refusal_audited(
    org: Organization, patient: Patient, clinician: User, make_member: MakeMember
) -> None:
    officer = make_member(org, Role.COMPLIANCE_OFFICER, username="hendra")
    consent = give(clinician, patient)
    with pytest.raises(PermissionDenied):
        give(officer, patient, ConsentKind.RESEARCH)
    with pytest.raises(PermissionDenied):
        withdraw_consent(scope=scope_of(officer), acting_user=officer, consent=consent, reason="x")
    denied = AuditEvent.objects.filter(actor=officer, action=AuditAction.PERMISSION_DENIED)
    assert [(e.object_type, e.outcome) for e in denied] == [("patient_consent", AuditOutcome.DENIED)] * 2
    assert PatientConsent.objects.get().status == "given"


def test_another_organizations_patient_and_consent_are_not_found(
    clinician: User, clinician_scope: Scope, foreign_patient: Patient, foreign_consent: PatientConsent
) -> None:
    with pytest.raises(Http404):
        give(clinician, foreign_patient)
    with pytest.raises(Http404):
        withdraw_consent(scope=clinician_scope, acting_user=clinician, consent=foreign_consent, reason="x")
    with pytest.raises(Http404):
        access_consent(clinician_scope, foreign_consent.pk)
    assert PatientConsent.objects.get().status == "given"


def test_a_facility_outside_the_organization_or_the_membership_is_refused(
    clinician: User, patient: Patient, other_facility: Facility, branch: Facility, branch_nurse: User
) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        give(clinician, patient, facility=other_facility)
    assert caught.value.message_dict == {"facility": ["This facility is not part of your organization."]}
    # The branch nurse may record at the branch for a patient registered there...
    there = Patient.objects.create(
        organization=patient.organization,
        registered_at=branch,
        mrn="RM-77",
        full_name="Euis",
        birth_date=patient.birth_date,
        sex=patient.sex,
    )
    assert give(branch_nurse, there).facility == branch
    # ...but not at the main facility, which the membership does not cover.
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        give(branch_nurse, there, ConsentKind.RESEARCH, facility=patient.registered_at)
    assert caught.value.message_dict == {"facility": ["Your membership does not cover this facility."]}


def test_a_member_without_care_access_to_the_patient_is_refused_and_audited(
    clinician: User, patient: Patient, branch_nurse: User
) -> None:
    consent = give(clinician, patient)
    with pytest.raises(CareAccessRefused):
        give(branch_nurse, patient, ConsentKind.RESEARCH)
    with pytest.raises(CareAccessRefused):
        withdraw_consent(scope=scope_of(branch_nurse), acting_user=branch_nurse, consent=consent, reason="x")
    with pytest.raises(CareAccessRefused):
        access_consent(scope_of(branch_nurse), consent.pk)
    denied = AuditEvent.objects.filter(actor=branch_nurse, action=AuditAction.PERMISSION_DENIED)
    assert denied.count() == 3
    assert {e.object_type for e in denied} == {"patient_consent"}
    assert PatientConsent.objects.get().status == "given"


def test_the_patients_consents_give_the_state_of_each_kind_and_the_history_in_one_query(
    clinician: User,
    clinician_scope: Scope,
    patient: Patient,
    django_assert_num_queries: Any,
) -> None:
    now = timezone.now()
    treatment = give(clinician, patient, ConsentKind.TREATMENT, given_at=now - timedelta(days=10))
    research = give(clinician, patient, ConsentKind.RESEARCH, given_at=now - timedelta(days=9))
    knee = give(
        clinician, patient, ConsentKind.PROCEDURE, scope_note="Blok genikular", given_at=now - timedelta(days=8)
    )
    withdraw_consent(scope=clinician_scope, acting_user=clinician, consent=research, reason="Menarik diri")
    with django_assert_num_queries(1):
        found = patient_consents(clinician_scope, patient)
    states = {s.kind.value: (s.status, [c.pk for c in s.given]) for s in found.states}
    assert states == {
        "treatment": ("given", [treatment.pk]),
        "procedure": ("given", [knee.pk]),
        "data_processing": ("none", []),
        "diary_contact": ("none", []),
        "research": ("withdrawn", []),
    }
    assert [c.pk for c in found.history] == [knee.pk, research.pk, treatment.pk]
    assert found.active_kinds == [ConsentKind.TREATMENT, ConsentKind.PROCEDURE]
    with django_assert_num_queries(1):
        summary = consent_summary(clinician_scope, patient)
    assert (summary.kinds, summary.procedures, summary.recorded) == (
        [ConsentKind.TREATMENT, ConsentKind.PROCEDURE],
        ["Blok genikular"],
        True,
    )


def test_the_acting_user_must_be_the_scopes(clinician: User, patient: Patient, org: Organization) -> None:
    other = User.objects.create_user(username="lain", password="x-very-long-password-1")
    with pytest.raises(ValueError, match="acting_user"):
        record_consent(
            scope=scope_of(clinician), acting_user=other, patient=patient, kind="treatment", how="electronic"
        )


def test_two_users_recording_the_same_consent_at_once_get_one_row_and_a_named_error(
    clinician: User, patient: Patient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nyeri.clinical.consents import services

    give(clinician, patient, ConsentKind.TREATMENT)
    real = services._already_given
    calls: list[str] = []

    def raced(whose: Patient, kind: str) -> PatientConsent | None:
        # The first look sees nothing (the other user's row is not committed yet); the database decides.
        calls.append(kind)
        return None if len(calls) == 1 else real(whose, kind)

    monkeypatch.setattr(services, "_already_given", raced)
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        give(clinician, patient, ConsentKind.TREATMENT)
    assert list(caught.value.message_dict) == ["kind"]
    assert PatientConsent.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="patient_consent").count() == 1
