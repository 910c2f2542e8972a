"""Prescription services: drafts, bad input, the engine's refusals, MME and warnings, signing
with a fresh second factor, immutability, cancellation and reissue."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.http import Http404
from django.utils import timezone, translation
from django_otp.plugins.otp_totp.models import TOTPDevice

from nyeri.accounts.models import User
from nyeri.accounts.reauth import ReauthenticationRequired
from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.clinical.models import Patient
from nyeri.prescriptions import selectors, services
from nyeri.prescriptions.models import Prescription, PrescriptionItem, PrescriptionStatus
from nyeri.prescriptions.signing import AttestedSecondFactor, SessionSecondFactor
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.refusals import ActionRefused
from nyeri.tenancy.roles import Role
from tests.accounts_fixtures import reset_otp_throttling
from tests.conftest import MakeMember
from tests.prescriptions.conftest import (
    MakeDraft,
    code_factor,
    fresh_request,
    item,
    make_patient,
    new_key,
    scope_of,
    staff,
)

pytestmark = pytest.mark.django_db

SEED = AttestedSecondFactor("test")


def sign(user: User, prescription: Prescription, **kwargs: object) -> Prescription:
    return services.sign_prescription(scope=scope_of(user), acting_user=user, prescription=prescription, **kwargs)  # type: ignore[arg-type]


def signed(make_draft: MakeDraft, user: User, patient: Patient, *items: object, **kwargs: object) -> Prescription:
    draft = make_draft(user, patient, *items)
    return sign(user, draft, second_factor=SEED, **kwargs)


def events(action: AuditAction) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, object_type="prescription").order_by("pk"))


# --- Drafts -------------------------------------------------------------------------------


def test_a_draft_keeps_its_items_with_quantity_and_mme_computed(
    physician: User, patient: Patient, make_draft: MakeDraft
) -> None:
    draft = make_draft(
        physician,
        patient,
        item("oxycodone-10mg-tab-er", dose=1, doses_per_day=2, days=14),
        item("paracetamol-500mg-tab", dose=2, doses_per_day=3, days=7, instructions="after meals"),
    )
    assert draft.status == PrescriptionStatus.DRAFT
    assert draft.contains_controlled
    oxy, para = PrescriptionItem.objects.filter(prescription=draft).order_by("position")
    assert (oxy.quantity, oxy.mme_per_day, oxy.mme_factor, oxy.mme_table) == (
        28,
        Decimal("30.00"),
        Decimal("1.5"),
        "CDC-2022",
    )
    assert (oxy.controlled_class, oxy.opioid, oxy.label_id) == (
        "narkotika_II",
        True,
        "Oksikodon 10 mg tablet lepas lambat",
    )
    assert (para.quantity, para.mme_per_day, para.controlled_class, para.instructions) == (42, None, "", "after meals")
    [event] = events(AuditAction.CREATE)
    assert event.patient_id == patient.pk
    assert "prescribe, prescribe_controlled allowed for person" in event.reason


def test_the_same_key_sent_again_returns_the_first_prescription(physician: User, patient: Patient) -> None:
    scope = scope_of(physician)
    first = services.create_prescription(
        scope=scope, acting_user=physician, patient=patient, items=[item("ibuprofen-400mg-tab")], idempotency_key="k-1"
    )
    again = services.create_prescription(
        scope=scope, acting_user=physician, patient=patient, items=[item("ibuprofen-400mg-tab")], idempotency_key="k-1"
    )
    assert first.created
    assert not again.created
    assert again.prescription.pk == first.prescription.pk
    assert Prescription.objects.count() == 1
    assert len(events(AuditAction.CREATE)) == 1


def test_a_key_used_for_another_patient_is_refused(
    physician: User, patient: Patient, org: Organization, facility: Facility
) -> None:
    scope = scope_of(physician)
    other = make_patient(org, facility, "RM-2", "Asep")
    services.create_prescription(
        scope=scope, acting_user=physician, patient=patient, items=[item("ibuprofen-400mg-tab")], idempotency_key="k-1"
    )
    with pytest.raises(ValidationError) as error:
        services.create_prescription(
            scope=scope,
            acting_user=physician,
            patient=other,
            items=[item("ibuprofen-400mg-tab")],
            idempotency_key="k-1",
        )
    assert list(error.value.message_dict) == ["idempotency_key"]


@pytest.mark.parametrize(
    ("bad", "field", "message"),
    [
        (item("ibuprofen-400mg-tab", dose=0), "items.0.dose", "The dose must be more than zero."),
        (item("ibuprofen-400mg-tab", dose=-1), "items.0.dose", "The dose must be more than zero."),
        (item("ibuprofen-400mg-tab", dose="a lot"), "items.0.dose", "Enter the dose as a number"),
        (item("unicorn-tears"), "items.0.medication", "unicorn-tears is not in the medication catalogue."),
        (item("ibuprofen-400mg-tab", days=0), "items.0.days", "Prescribe for at least one day."),
        (item("ibuprofen-400mg-tab", days=91), "items.0.days", "At most 90 days"),
        (item("ibuprofen-400mg-tab", doses_per_day=0), "items.0.doses_per_day", "more than zero and at most 24"),
        (item("hydrocodone-apap-5-325-tab"), "items.0.medication", "not available in this jurisdiction (ID)"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(
    physician: User, patient: Patient, bad: object, field: str, message: str
) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as error:
        services.create_prescription(
            scope=scope_of(physician),
            acting_user=physician,
            patient=patient,
            items=[item("paracetamol-500mg-tab"), bad],  # type: ignore[list-item]
            idempotency_key=new_key(),
        )
    field = field.replace("items.0", "items.1")
    assert list(error.value.message_dict) == [field]
    assert message in error.value.message_dict[field][0]
    assert not Prescription.objects.exists()
    assert not AuditEvent.objects.filter(object_type="prescription").exists()


def test_the_reasons_are_looked_up_in_the_users_language(physician: User, patient: Patient) -> None:
    # The Indonesian wording of these messages comes with the catalogue merge (docs/translations.md):
    # what is checked here is that each is translated when raised, in the active language.
    with translation.override("id"), pytest.raises(ValidationError) as error:
        services.create_prescription(
            scope=scope_of(physician),
            acting_user=physician,
            patient=patient,
            items=[item("ibuprofen-400mg-tab", dose=0, days=0)],
            idempotency_key=new_key(),
        )
    with translation.override("id"):
        assert error.value.message_dict["items.0.dose"] == [translation.gettext("The dose must be more than zero.")]
        assert error.value.message_dict["items.0.days"] == [translation.gettext("Prescribe for at least one day.")]


def test_a_prescription_without_items_is_refused(physician: User, patient: Patient) -> None:
    with pytest.raises(ValidationError) as error:
        services.create_prescription(
            scope=scope_of(physician), acting_user=physician, patient=patient, items=[], idempotency_key=new_key()
        )
    assert list(error.value.message_dict) == ["items"]


def test_another_organizations_patient_is_not_found(physician: User, foreign_patient: Patient) -> None:
    with pytest.raises(Http404):
        services.create_prescription(
            scope=scope_of(physician),
            acting_user=physician,
            patient=foreign_patient,
            items=[item("ibuprofen-400mg-tab")],
            idempotency_key=new_key(),
        )


# --- The engine ---------------------------------------------------------------------------


def test_a_nurse_is_refused_a_controlled_prescription_with_reasons_and_nothing_is_saved(
    licensed_nurse: User, patient: Patient
) -> None:
    with translation.override("en"), pytest.raises(ActionRefused) as refused:
        services.create_prescription(
            scope=scope_of(licensed_nurse),
            acting_user=licensed_nurse,
            patient=patient,
            items=[item("morphine-30mg-tab-mr")],
            idempotency_key=new_key(),
        )
    assert any(reason.startswith("Needs one of these roles") for reason in refused.value.reasons)
    assert "No controlled-substance authorisation on record." in refused.value.reasons
    assert not Prescription.objects.exists()
    [event] = events(AuditAction.PERMISSION_DENIED)
    assert event.outcome == AuditOutcome.DENIED
    assert event.patient_id == patient.pk
    assert "prescribe: role_missing" in event.reason
    assert "prescribe_controlled: role_missing, credential_missing, check_missing" in event.reason


def test_the_refusal_reasons_come_in_the_users_language(licensed_nurse: User, patient: Patient) -> None:
    with translation.override("id"), pytest.raises(ActionRefused) as refused:
        services.create_prescription(
            scope=scope_of(licensed_nurse),
            acting_user=licensed_nurse,
            patient=patient,
            items=[item("morphine-30mg-tab-mr")],
            idempotency_key=new_key(),
        )
    assert refused.value.reasons[0].startswith("Memerlukan salah satu peran berikut:")
    assert "Belum ada kewenangan obat yang dikendalikan yang tercatat." in refused.value.reasons


def test_a_physician_without_authorisation_may_prescribe_but_not_controlled_drugs(
    gp: User, patient: Patient, make_draft: MakeDraft
) -> None:
    draft = make_draft(gp, patient, item("gabapentin-300mg-cap", doses_per_day=3))
    assert sign(gp, draft).status == PrescriptionStatus.SIGNED
    with translation.override("en"), pytest.raises(ActionRefused) as refused:
        make_draft(gp, patient, item("codeine-10mg-tab", doses_per_day=3))
    assert refused.value.reasons == (
        "No controlled-substance authorisation on record.",
        "No police record (SKCK) background check on record.",
    )


def test_an_expired_practice_permit_refuses_even_a_simple_prescription(
    make_member: MakeMember, org: Organization, facility: Facility, patient: Patient
) -> None:
    lapsed = staff(make_member, org, facility, Role.GENERAL_PRACTITIONER, "fajar", sip_expired=True)
    with translation.override("en"), pytest.raises(ActionRefused) as refused:
        services.create_prescription(
            scope=scope_of(lapsed),
            acting_user=lapsed,
            patient=patient,
            items=[item("paracetamol-500mg-tab")],
            idempotency_key=new_key(),
        )
    assert refused.value.reasons[0].startswith("The practice permit (SIP) expired on")
    assert "credential_expired" in events(AuditAction.PERMISSION_DENIED)[0].reason


def test_a_user_without_a_professional_record_is_refused(
    make_member: MakeMember, org: Organization, patient: Patient
) -> None:
    doctor = make_member(org, Role.PAIN_PHYSICIAN, username="nobody")
    with pytest.raises(ActionRefused):
        services.create_prescription(
            scope=scope_of(doctor),
            acting_user=doctor,
            patient=patient,
            items=[item("paracetamol-500mg-tab")],
            idempotency_key=new_key(),
        )


def test_the_engine_is_asked_again_at_signing(physician: User, patient: Patient, make_draft: MakeDraft) -> None:
    from nyeri.workforce.models import Credential

    draft = make_draft(physician, patient, item("paracetamol-500mg-tab"))
    Credential.objects.filter(kind="practice_permit").update(
        expires_on=timezone.localdate() - timedelta(days=1), issued_on=timezone.localdate() - timedelta(days=900)
    )
    with pytest.raises(ActionRefused):
        sign(physician, draft)
    assert Prescription.objects.get(pk=draft.pk).status == PrescriptionStatus.DRAFT


def test_only_the_author_signs_a_draft(
    physician: User,
    patient: Patient,
    make_draft: MakeDraft,
    make_member: MakeMember,
    org: Organization,
    facility: Facility,
) -> None:
    colleague = staff(make_member, org, facility, Role.ANESTHESIOLOGIST, "bambang", controlled=True)
    draft = make_draft(physician, patient, item("paracetamol-500mg-tab"))
    with pytest.raises(ActionRefused):
        sign(colleague, draft)
    assert "not the author" in events(AuditAction.PERMISSION_DENIED)[0].reason


# --- Signing ------------------------------------------------------------------------------


def test_signing_keeps_the_prescribers_str_and_sip_and_the_decision(
    gp: User, patient: Patient, make_draft: MakeDraft
) -> None:
    draft = make_draft(gp, patient, item("amitriptyline-25mg-tab", doses_per_day=1, days=30))
    done = sign(gp, draft)
    done.refresh_from_db()
    assert done.status == PrescriptionStatus.SIGNED
    assert (done.prescriber_name, done.prescriber_registration, done.prescriber_permit) == (
        "dr. Fajar",
        "STR-fajar",
        "SIP-fajar",
    )
    assert (done.second_factor, done.legal_statement, done.mme_per_day, done.warnings) == ("", "", None, [])
    assert done.decision.startswith("prescribe allowed for person")
    event = events(AuditAction.UPDATE)[-1]
    assert event.reason.startswith("signed: prescribe allowed")
    assert "second factor: not needed" in event.reason


def test_a_controlled_prescription_is_signed_with_a_fresh_code(
    physician: User, patient: Patient, make_draft: MakeDraft, device: TOTPDevice
) -> None:
    draft = make_draft(physician, patient, item("oxycodone-10mg-tab-er"))
    with translation.override("en"):
        done = sign(physician, draft, second_factor=code_factor(physician, device))
    done.refresh_from_db()
    assert done.status == PrescriptionStatus.SIGNED
    assert (done.second_factor, done.prescriber_authorisation) == ("totp", "KEW-andi")
    assert done.legal_statement.startswith("By entering the code from my authenticator app I sign")
    assert (done.mme_per_day, done.mme_total_per_day, done.mme_table) == (
        Decimal("30.00"),
        Decimal("30.00"),
        "CDC-2022",
    )
    assert AuditEvent.objects.filter(action=AuditAction.MFA_VERIFIED, actor=physician).exists()
    assert "second factor: totp" in events(AuditAction.UPDATE)[-1].reason


def test_signing_a_controlled_prescription_without_the_second_factor_is_refused(
    physician: User, patient: Patient, make_draft: MakeDraft, device: TOTPDevice
) -> None:
    draft = make_draft(physician, patient, item("morphine-30mg-tab-mr"))
    with translation.override("en"), pytest.raises(ValidationError) as error:
        sign(physician, draft)
    assert list(error.value.message_dict) == ["code"]
    assert "Enter the code from your authenticator app" in error.value.message_dict["code"][0]
    with pytest.raises(ValidationError) as empty:
        sign(physician, draft, second_factor=SessionSecondFactor(fresh_request(physician), ""))
    assert list(empty.value.message_dict) == ["code"]
    assert Prescription.objects.get(pk=draft.pk).status == PrescriptionStatus.DRAFT


def test_a_wrong_code_is_refused_audited_and_nothing_is_signed(
    physician: User, patient: Patient, make_draft: MakeDraft, device: TOTPDevice
) -> None:
    draft = make_draft(physician, patient, item("morphine-30mg-tab-mr"))
    with pytest.raises(ValidationError) as error:
        sign(physician, draft, second_factor=SessionSecondFactor(fresh_request(physician), "000000"))
    assert list(error.value.message_dict) == ["code"]
    assert AuditEvent.objects.filter(action=AuditAction.MFA_FAILED, actor=physician).exists()
    assert Prescription.objects.get(pk=draft.pk).status == PrescriptionStatus.DRAFT
    reset_otp_throttling(physician)
    assert sign(physician, draft, second_factor=code_factor(physician, device)).status == PrescriptionStatus.SIGNED


def test_a_stale_password_asks_for_re_authentication_before_any_code_is_spent(
    physician: User, patient: Patient, make_draft: MakeDraft, device: TOTPDevice
) -> None:
    draft = make_draft(physician, patient, item("morphine-30mg-tab-mr"))
    stale = code_factor(physician, device, password_age=3600, factor_age=3600)
    with pytest.raises(ReauthenticationRequired):
        sign(physician, draft, second_factor=stale)
    assert not AuditEvent.objects.filter(action__in=[AuditAction.MFA_VERIFIED, AuditAction.MFA_FAILED]).exists()
    assert Prescription.objects.get(pk=draft.pk).status == PrescriptionStatus.DRAFT


def test_a_prescriber_without_a_second_factor_is_told_to_set_one_up(
    physician: User, patient: Patient, make_draft: MakeDraft
) -> None:
    draft = make_draft(physician, patient, item("morphine-30mg-tab-mr"))
    with translation.override("en"), pytest.raises(ValidationError) as error:
        sign(physician, draft, second_factor=SessionSecondFactor(fresh_request(physician), "123456"))
    assert "Set up a second factor" in error.value.message_dict["code"][0]


def test_the_engine_refuses_before_a_code_is_spent(
    physician: User, patient: Patient, make_draft: MakeDraft, device: TOTPDevice
) -> None:
    from nyeri.workforce.models import Credential

    draft = make_draft(physician, patient, item("morphine-30mg-tab-mr"))
    Credential.objects.filter(kind="controlled_authorisation").update(status="revoked")
    with pytest.raises(ActionRefused):
        sign(physician, draft, second_factor=code_factor(physician, device))
    assert not AuditEvent.objects.filter(action=AuditAction.MFA_VERIFIED).exists()


def test_a_signed_prescription_is_not_signed_or_changed_again(
    physician: User, patient: Patient, make_draft: MakeDraft
) -> None:
    done = signed(make_draft, physician, patient, item("paracetamol-500mg-tab"))
    with pytest.raises(ValidationError) as again:
        sign(physician, done)
    assert again.value.code == "already_signed"
    with pytest.raises(ValidationError) as edit:
        services.update_draft(
            scope=scope_of(physician), acting_user=physician, prescription=done, items=[item("ibuprofen-400mg-tab")]
        )
    assert edit.value.code == "already_signed"
    assert [i.medication_code for i in done.items.all()] == ["paracetamol-500mg-tab"]


def test_a_draft_is_edited_by_replacing_its_items(physician: User, patient: Patient, make_draft: MakeDraft) -> None:
    draft = make_draft(physician, patient, item("paracetamol-500mg-tab"))
    services.update_draft(
        scope=scope_of(physician),
        acting_user=physician,
        prescription=draft,
        items=[item("tramadol-50mg-cap", doses_per_day=3, days=5), item("ibuprofen-400mg-tab")],
    )
    assert [i.medication_code for i in selectors.items_of(draft)] == ["tramadol-50mg-cap", "ibuprofen-400mg-tab"]
    assert "draft items replaced" in events(AuditAction.UPDATE)[-1].reason


# --- MME thresholds and warnings -------------------------------------------------------------


def test_the_total_counts_the_patients_other_active_opioid_prescriptions(
    physician: User, patient: Patient, make_draft: MakeDraft
) -> None:
    signed(make_draft, physician, patient, item("morphine-30mg-tab-mr", doses_per_day=2))  # 60
    draft = make_draft(physician, patient, item("tramadol-50mg-cap", doses_per_day=3))  # 30
    check = selectors.safety_check(draft, selectors.items_of(draft))
    assert (check.prescription_mme, check.other_mme, check.total_mme) == (Decimal("30"), Decimal("60"), Decimal("90"))
    assert check.justification_required
    assert [o.medication_code for o in check.others] == ["morphine-30mg-tab-mr"]


def test_at_the_upper_threshold_a_justification_is_required_to_sign(
    physician: User, patient: Patient, make_draft: MakeDraft
) -> None:
    signed(make_draft, physician, patient, item("morphine-30mg-tab-mr", doses_per_day=2))  # 60 MME/day
    draft = make_draft(physician, patient, item("oxycodone-10mg-tab-er"))  # +30 = 90
    with translation.override("en"), pytest.raises(ValidationError) as error:
        sign(physician, draft, second_factor=SEED)
    assert list(error.value.message_dict) == ["justification"]
    assert "90 MME/day, at or above 90" in error.value.message_dict["justification"][0]
    assert Prescription.objects.get(pk=draft.pk).status == PrescriptionStatus.DRAFT
    done = sign(physician, draft, second_factor=SEED, justification="Metastatic breast cancer, pain not controlled")
    assert done.warnings == ["mme_justify"]
    assert (done.mme_per_day, done.mme_total_per_day) == (Decimal("30"), Decimal("90"))
    assert done.justification == "Metastatic breast cancer, pain not controlled"


def test_between_the_thresholds_it_warns_without_asking_for_a_justification(
    physician: User, patient: Patient, make_draft: MakeDraft
) -> None:
    draft = make_draft(physician, patient, item("morphine-30mg-tab-mr", doses_per_day=2))  # 60
    check = selectors.safety_check(draft, selectors.items_of(draft))
    assert check.warning_codes == ["mme_warn"]
    assert not check.justification_required
    with translation.override("en"):
        assert "60 MME/day" in check.warnings[0].message()
        assert "at or above 50 MME/day" in check.warnings[0].message()
    assert sign(physician, draft, second_factor=SEED).warnings == ["mme_warn"]


def test_an_opioid_with_a_benzodiazepine_is_warned_within_the_prescription(
    physician: User, patient: Patient, make_draft: MakeDraft
) -> None:
    draft = make_draft(physician, patient, item("tramadol-50mg-cap"), item("diazepam-5mg-tab", doses_per_day=1))
    check = selectors.safety_check(draft, selectors.items_of(draft))
    assert check.warning_codes == ["opioid_benzodiazepine"]
    with translation.override("id"):
        assert "Tramadol 50 mg kapsul, Diazepam 5 mg tablet" in check.warnings[0].message()


def test_a_benzodiazepine_is_warned_across_the_patients_active_prescriptions(
    physician: User, patient: Patient, make_draft: MakeDraft
) -> None:
    signed(make_draft, physician, patient, item("alprazolam-0-5mg-tab", doses_per_day=1, days=30))
    draft = make_draft(physician, patient, item("codeine-10mg-tab", doses_per_day=3))
    check = selectors.safety_check(draft, selectors.items_of(draft))
    assert check.warning_codes == ["opioid_benzodiazepine_active"]
    benzo_draft = make_draft(physician, patient, item("lorazepam-1mg-tab"))
    assert selectors.safety_check(benzo_draft, selectors.items_of(benzo_draft)).warning_codes == []
    signed(make_draft, physician, patient, item("codeine-10mg-tab", doses_per_day=3))
    assert selectors.safety_check(benzo_draft, selectors.items_of(benzo_draft)).warning_codes == [
        "opioid_benzodiazepine_active"
    ]


def test_cancelled_and_finished_prescriptions_are_not_active(
    physician: User, patient: Patient, make_draft: MakeDraft
) -> None:
    old = signed(make_draft, physician, patient, item("morphine-30mg-tab-mr", doses_per_day=2, days=7))
    gone = signed(make_draft, physician, patient, item("oxycodone-5mg-tab", doses_per_day=2, days=30))
    services.cancel_prescription(
        scope=scope_of(physician), acting_user=physician, prescription=gone, reason="wrong strength"
    )
    today = timezone.localdate()
    assert [line.prescription_id for line in selectors.active_lines(patient.organization_id, patient.pk)] == [old.pk]
    assert selectors.active_lines(patient.organization_id, patient.pk, on=today + timedelta(days=6)) != []
    assert selectors.active_lines(patient.organization_id, patient.pk, on=today + timedelta(days=7)) == []


def test_buprenorphine_is_left_out_of_the_total_with_a_warning(
    physician: User, patient: Patient, make_draft: MakeDraft
) -> None:
    draft = make_draft(physician, patient, item("buprenorphine-2mg-tab-sl", doses_per_day=1))
    check = selectors.safety_check(draft, selectors.items_of(draft))
    assert check.total_mme == 0
    assert check.warning_codes == ["mme_not_counted"]


def test_the_us_pack_computes_the_hydrocodone_example(
    make_member: MakeMember, org: Organization, facility: Facility, patient: Patient, make_draft: MakeDraft
) -> None:
    Organization.objects.filter(pk=org.pk).update(jurisdiction="US")
    doctor = staff(make_member, org, facility, Role.PAIN_PHYSICIAN, "smith", controlled=True, check="exclusion_list")
    draft = make_draft(doctor, patient, item("hydrocodone-apap-5-325-tab", dose=1, doses_per_day=4, days=5))
    [row] = selectors.items_of(draft)
    assert (row.mme_per_day, row.controlled_class, row.quantity) == (Decimal("20.00"), "CII", 20)


# --- Cancel and reissue ----------------------------------------------------------------------


def test_a_signed_prescription_is_cancelled_with_a_reason_and_reissued(
    physician: User, patient: Patient, make_draft: MakeDraft
) -> None:
    scope = scope_of(physician)
    done = signed(make_draft, physician, patient, item("tramadol-50mg-cap", doses_per_day=3))
    with pytest.raises(ValidationError) as no_reason:
        services.cancel_prescription(scope=scope, acting_user=physician, prescription=done, reason="  ")
    assert list(no_reason.value.message_dict) == ["reason"]
    with pytest.raises(ValidationError) as too_early:
        services.reissue_prescription(scope=scope, acting_user=physician, prescription=done, idempotency_key="r-1")
    assert too_early.value.code == "not_cancelled"
    cancelled = services.cancel_prescription(
        scope=scope, acting_user=physician, prescription=done, reason="Dose too high"
    )
    assert (cancelled.status, cancelled.cancel_reason) == (PrescriptionStatus.CANCELLED, "Dose too high")
    assert cancelled.signed_at is not None  # the signature is kept
    reissue = services.reissue_prescription(
        scope=scope, acting_user=physician, prescription=cancelled, idempotency_key="r-1"
    )
    assert reissue.created
    assert reissue.prescription.reissue_of_id == done.pk
    assert reissue.prescription.status == PrescriptionStatus.DRAFT
    assert [i.medication_code for i in selectors.items_of(reissue.prescription)] == ["tramadol-50mg-cap"]
    again = services.reissue_prescription(
        scope=scope, acting_user=physician, prescription=cancelled, idempotency_key="r-1"
    )
    assert (again.created, again.prescription.pk) == (False, reissue.prescription.pk)
    with pytest.raises(ValidationError) as twice:
        services.reissue_prescription(scope=scope, acting_user=physician, prescription=cancelled, idempotency_key="r-2")
    assert twice.value.code == "already_reissued"
    assert [e.reason.split(" ")[0] for e in events(AuditAction.CANCEL)] == ["cancelled"]


def test_someone_else_needs_the_privilege_to_cancel(
    physician: User, licensed_nurse: User, patient: Patient, make_draft: MakeDraft
) -> None:
    done = signed(make_draft, physician, patient, item("paracetamol-500mg-tab"))
    with pytest.raises(ActionRefused):
        services.cancel_prescription(
            scope=scope_of(licensed_nurse), acting_user=licensed_nurse, prescription=done, reason="not mine"
        )
    assert Prescription.objects.get(pk=done.pk).status == PrescriptionStatus.SIGNED


# --- The database keeps signed prescriptions as signed (PostgreSQL) ---------------------------------


def _sql_refused(sql: str, params: list[object], match: str) -> None:
    with pytest.raises(DatabaseError, match=match), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_postgresql_refuses_to_change_a_signed_prescription(
    physician: User, patient: Patient, make_draft: MakeDraft
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the guard triggers are PostgreSQL's")
    done = signed(make_draft, physician, patient, item("oxycodone-10mg-tab-er"))
    [row] = selectors.items_of(done)
    immutable = "a signed prescription is not changed"
    _sql_refused("UPDATE prescriptions_prescription SET justification = 'later' WHERE id = %s", [done.pk], immutable)
    _sql_refused("UPDATE prescriptions_prescription SET status = 'draft' WHERE id = %s", [done.pk], immutable)
    _sql_refused("DELETE FROM prescriptions_prescription WHERE id = %s", [done.pk], "never deleted")
    _sql_refused("UPDATE prescriptions_prescriptionitem SET dose = 2 WHERE id = %s", [row.pk], "written once")
    _sql_refused("DELETE FROM prescriptions_prescriptionitem WHERE id = %s", [row.pk], "are not changed")
    row.pk = None
    row.position = 2
    with pytest.raises(DatabaseError, match="are not changed"), transaction.atomic():
        row.save(force_insert=True)
    # A cancellation changes only the cancellation columns: allowed.
    services.cancel_prescription(scope=scope_of(physician), acting_user=physician, prescription=done, reason="error")
    _sql_refused("UPDATE prescriptions_prescription SET cancel_reason = 'other' WHERE id = %s", [done.pk], immutable)
    assert Prescription.objects.get(pk=done.pk).cancel_reason == "error"
    assert len(selectors.items_of(done)) == 1


def test_postgresql_lets_a_draft_be_edited(physician: User, patient: Patient, make_draft: MakeDraft) -> None:
    draft = make_draft(physician, patient, item("paracetamol-500mg-tab"))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE prescriptions_prescription SET contains_controlled = false WHERE id = %s", [draft.pk])
    services.update_draft(
        scope=scope_of(physician), acting_user=physician, prescription=draft, items=[item("ibuprofen-400mg-tab")]
    )
    assert [i.medication_code for i in selectors.items_of(draft)] == ["ibuprofen-400mg-tab"]
