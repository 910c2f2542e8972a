"""Consent writes: record a patient's consent, withdraw it. Nothing else (docs/clinical.md, "Consent").

A consent is never edited or deleted: the one change is its withdrawal (given -> withdrawn,
with who, when and why), and consenting again is a new row. Both writes need a clinical
role and care access to the patient, check every field before writing (a ValidationError
naming each bad field, in the user's language, nothing saved), and write the row and its
audit row (``object_type="patient_consent"``) in one transaction.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.clinical.access import ensure_clinical_role
from nyeri.clinical.breakglass.access import require_care_access
from nyeri.clinical.models import ConsentKind, ConsentMethod, ConsentStatus, Patient, PatientConsent
from nyeri.lib.services import Errors, add_error, check_acting_user
from nyeri.tenancy.clock import at_facility, format_facility_time
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope

OBJECT_TYPE = "patient_consent"
WITNESS_MAX = 200
NOTE_MAX = 1000
REASON_MAX = 1000


def _text(value: str, field: str, limit: int, errors: Errors) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        add_error(errors, field, _("At most %(max)d characters.") % {"max": limit})
    return text


def _facility(scope: Scope, patient: Patient, facility: Facility | None, errors: Errors) -> Facility | None:
    if facility is None:
        # Default: where the patient is registered, when the user works there.
        if scope.covers_facility(patient.registered_at_id):
            return patient.registered_at
        add_error(errors, "facility", _("Choose the facility where the consent was given."))
    elif facility.organization_id != scope.organization.pk:
        add_error(errors, "facility", _("This facility is not part of your organization."))
    elif not scope.covers_facility(facility.pk):
        add_error(errors, "facility", _("Your membership does not cover this facility."))
    elif not facility.is_active:
        add_error(errors, "facility", _("This facility is no longer active."))
    return facility


def _already_given(patient: Patient, kind: str) -> PatientConsent | None:
    return (
        PatientConsent.objects.filter(
            organization_id=patient.organization_id, patient=patient, kind=kind, status=ConsentStatus.GIVEN
        )
        .order_by("-given_at", "-pk")
        .first()
    )


def _already_given_error(existing: PatientConsent) -> ValidationError:
    return ValidationError(
        {
            "kind": [
                _(
                    "This consent was already given on %(date)s and has not been withdrawn: "
                    "it stays valid, there is nothing to record again."
                )
                % {"date": format_facility_time(existing.given_at, existing.facility)}
            ]
        }
    )


def record_consent(
    *,
    scope: Scope,
    acting_user: User,
    patient: Patient,
    kind: str,
    how: str,
    given_at: datetime | None = None,
    witness: str = "",
    scope_note: str = "",
    facility: Facility | None = None,
) -> PatientConsent:
    """Record that ``patient`` gave a consent of ``kind``, ``how``, at ``given_at`` (default: now).

    ``witness`` is required for a verbal consent; ``scope_note`` names the procedure of a
    procedure consent (a note otherwise). ``facility`` is where it was given (default: the
    patient's facility when the user's membership covers it). A consent of a kind already
    given and not withdrawn is refused (procedures excepted: one consent per procedure).
    """
    check_acting_user(scope, acting_user)
    ensure_clinical_role(scope, object_type=OBJECT_TYPE)
    if patient.organization_id != scope.organization.pk:
        raise Http404("No such patient")
    require_care_access(scope, patient, purpose="consent", object_type=OBJECT_TYPE)
    errors: Errors = {}
    if kind not in ConsentKind.values:
        add_error(errors, "kind", _("Choose what the patient consents to."))
    if how not in ConsentMethod.values:
        add_error(errors, "how", _("Choose how the consent was given."))
    place = _facility(scope, patient, facility, errors)
    now = timezone.now()
    # Typed at the facility: a naive time is its wall clock (see docs/api.md).
    moment = now if given_at is None else at_facility(given_at, place)
    if moment > now:
        add_error(
            errors, "given_at", _("A consent is recorded once it has been given: the time cannot be in the future.")
        )
    witness = _text(witness, "witness", WITNESS_MAX, errors)
    if how == ConsentMethod.VERBAL_WITNESSED and not witness and "witness" not in errors:
        add_error(errors, "witness", _("A verbal consent needs the name of its witness."))
    scope_note = _text(scope_note, "scope_note", NOTE_MAX, errors)
    if kind == ConsentKind.PROCEDURE and not scope_note and "scope_note" not in errors:
        add_error(errors, "scope_note", _("Name the procedure the patient consents to."))
    if errors:
        raise ValidationError(errors)
    assert place is not None
    consent = PatientConsent(
        organization=scope.organization,
        patient=patient,
        kind=kind,
        scope_note=scope_note,
        status=ConsentStatus.GIVEN,
        given_at=moment,
        how=how,
        witness=witness,
        facility=place,
        recorded_by=acting_user,
    )
    try:
        with transaction.atomic():
            if kind != ConsentKind.PROCEDURE:
                existing = _already_given(patient, kind)
                if existing is not None:
                    raise _already_given_error(existing)
            consent.save(force_insert=True)
            record_event(
                actor=acting_user,
                action=AuditAction.CREATE,
                organization=scope.organization,
                facility=place,
                patient_id=patient.pk,
                object_type=OBJECT_TYPE,
                object_id=consent.pk,
                reason=f"{kind} given ({how})",
            )
    except IntegrityError:
        # Two users recording the same consent at once: the unique constraint let one in.
        existing = _already_given(patient, kind)
        if existing is None:
            raise
        raise _already_given_error(existing) from None
    return consent


def withdraw_consent(*, scope: Scope, acting_user: User, consent: PatientConsent, reason: str) -> PatientConsent:
    """The patient withdraws ``consent``: it becomes *withdrawn* now, with the acting user and ``reason``.

    The row is kept. Withdrawing twice is refused (``status``); a reason is required.
    """
    check_acting_user(scope, acting_user)
    ensure_clinical_role(scope, object_type=OBJECT_TYPE)
    if consent.organization_id != scope.organization.pk:
        raise Http404("No such consent")
    # Before the transaction: a refusal's audit row must not roll back with it.
    require_care_access(scope, consent.patient, purpose="consent", object_type=OBJECT_TYPE, object_id=consent.pk)
    errors: Errors = {}
    text = _text(reason, "reason", REASON_MAX, errors)
    if not text and "reason" not in errors:
        add_error(errors, "reason", _("Give the reason for the withdrawal."))
    with transaction.atomic():
        # Locked: of two users withdrawing the same consent at once, the second sees the first's withdrawal.
        locked = (
            PatientConsent.objects.select_for_update(of=("self",))
            .select_related("patient", "facility")
            .filter(organization=scope.organization, pk=consent.pk)
            .first()
        )
        if locked is None:
            raise Http404("No such consent")
        if locked.status == ConsentStatus.WITHDRAWN:
            assert locked.withdrawn_at is not None
            add_error(
                errors,
                "status",
                _("This consent was already withdrawn on %(date)s.")
                % {"date": format_facility_time(locked.withdrawn_at, locked.facility)},
            )
        if errors:
            raise ValidationError(errors)
        now = timezone.now()
        PatientConsent.objects.filter(pk=locked.pk).update(
            status=ConsentStatus.WITHDRAWN, withdrawn_at=now, withdrawn_by=acting_user, withdrawal_reason=text
        )
        record_event(
            actor=acting_user,
            action=AuditAction.UPDATE,
            organization=scope.organization,
            facility=locked.facility,
            patient_id=locked.patient_id,
            object_type=OBJECT_TYPE,
            object_id=locked.pk,
            reason=f"{locked.kind} withdrawn",
        )
    locked.status, locked.withdrawn_at, locked.withdrawn_by, locked.withdrawal_reason = (
        ConsentStatus.WITHDRAWN,
        now,
        acting_user,
        text,
    )
    return locked
