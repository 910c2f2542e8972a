"""Prescription writes: draft, edit, sign, cancel, reissue, print.

Every write is one transaction with its audit row (``write_transaction``), and asks the one
door (``nyeri.workforce.door.authorize``), in that transaction, whether the acting user's
professional record may ``prescribe`` at the facility (and ``prescribe_controlled`` when an
item is a controlled drug there). A refusal is audited after the write's rollback
(``permission_denied`` with the unmet reason codes) and raised as ``ActionRefused`` with the
engine's reasons in the user's language (under the field ``prescriber``); nothing is written.

Bad input is refused before anything is written, with one ValidationError naming each
field (``items.<n>.dose``, ``items.<n>.medication``, ``justification``, ``code``, ...).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.api.idempotency import key_error, key_is_valid
from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.clinical.access import ensure_clinical_role
from nyeri.clinical.models import Patient
from nyeri.prescriptions import catalogue, selectors
from nyeri.prescriptions.items import ItemIn, ParsedItem, item_in, item_row, parse_items
from nyeri.prescriptions.models import Prescription, PrescriptionItem, PrescriptionStatus
from nyeri.prescriptions.safety import SafetyCheck, format_number
from nyeri.prescriptions.signing import SecondFactor, legal_statement, no_code_error
from nyeri.tenancy.models import Facility
from nyeri.tenancy.refusals import refuse, write_transaction
from nyeri.tenancy.scope import Scope
from nyeri.workforce.access import person_of_user
from nyeri.workforce.door import Verdict, authorize, check
from nyeri.workforce.kinds import CredentialKind
from nyeri.workforce.models import Credential, Person

PRESCRIBE: Final = "prescribe"
PRESCRIBE_CONTROLLED: Final = "prescribe_controlled"
PRESCRIBE_NARCOTIC_II: Final = "prescribe_narcotic_ii"
OBJECT_TYPE: Final = "prescription"
REASON_MAX_LENGTH: Final = 1000
JUSTIFICATION_MAX_LENGTH: Final = 2000


@dataclass(frozen=True)
class Written:
    """A prescription written by a submission; ``created`` is False for a repeated submission."""

    prescription: Prescription
    created: bool


# The classes of the narcotics whose prescribing is a clinical privilege where the facility
# requires it (nyeri/workforce/privileges/data: "narcotics_ii"), per jurisdiction's catalogue.
NARCOTIC_II_CLASSES: Final = frozenset({"narkotika_II", "CII"})


def actions_for(*, controlled: bool, narcotic_ii: bool = False) -> list[str]:
    actions = [PRESCRIBE, PRESCRIBE_CONTROLLED] if controlled else [PRESCRIBE]
    return [*actions, PRESCRIBE_NARCOTIC_II] if narcotic_ii else actions


def has_narcotic_ii(items: Sequence[PrescriptionItem]) -> bool:
    return any(i.controlled_class in NARCOTIC_II_CLASSES for i in items)


# Refusals list each reason under this field in the API's envelope: what the prescriber lacks.
REFUSAL_FIELD: Final = "prescriber"


def _no_record() -> str:
    return _("Your account has no professional record in this organization, so it cannot prescribe.")


def privilege(scope: Scope, facility: Facility, *, controlled: bool) -> Verdict:
    """May the scope's user prescribe (a controlled drug, if ``controlled``) at ``facility`` now?
    Nothing is audited: for a page or a preview that shows whether the user may sign."""
    return check(scope, actions_for(controlled=controlled), facility, no_record=_no_record())


def _authorize(
    scope: Scope,
    facility: Facility,
    *,
    controlled: bool,
    patient_id: int,
    object_id: int | str = "",
    narcotic_ii: bool = False,
) -> Verdict:
    """``privilege`` for a write: a no is audited and raised as ``ActionRefused``."""
    return authorize(
        scope,
        actions_for(controlled=controlled, narcotic_ii=narcotic_ii),
        facility,
        object_type=OBJECT_TYPE,
        no_record=_no_record(),
        patient_id=patient_id,
        object_id=object_id,
        field=REFUSAL_FIELD,
    )


def _only_the_author(scope: Scope, prescription: Prescription) -> None:
    if prescription.created_by_id == scope.user.pk:
        return
    refuse(
        scope,
        audit_reason=f"user {scope.user.pk} is not the author (user {prescription.created_by_id}) of this draft",
        reasons=[_("Only the prescriber who wrote this draft can change or sign it.")],
        object_type=OBJECT_TYPE,
        facility=prescription.facility,
        patient_id=prescription.patient_id,
        object_id=prescription.pk,
        field=REFUSAL_FIELD,
    )


def _ours(scope: Scope, prescription: Prescription) -> None:
    ensure_clinical_role(scope, object_type=OBJECT_TYPE)
    if prescription.organization_id != scope.organization.pk:
        raise Http404("No such prescription")


def default_facility(scope: Scope, patient: Patient) -> Facility:
    """Where a new prescription is written unless chosen: the patient's facility when the
    user works there, else the first facility (by name) where the user works within their
    membership, else the patient's facility."""
    person = person_of_user(scope)
    if person is not None:
        places = [
            link.facility
            for link in person.facility_links.select_related("facility").order_by("facility__name")
            if scope.covers_facility(link.facility_id) and link.facility.is_active
        ]
        if any(p.pk == patient.registered_at_id for p in places):
            return patient.registered_at
        if places:
            return places[0]
    return patient.registered_at


def check_facility(scope: Scope, facility: Facility) -> None:
    if facility.organization_id != scope.organization.pk:
        # Only a caller that skipped the scoped look-up gets here: the same answer as one.
        raise Http404("No such facility")
    if not scope.covers_facility(facility.pk):
        raise ValidationError({"facility": _("Your membership does not reach this facility.")})


def clean_key(raw: str | None) -> str:
    key = (raw or "").strip()
    if not key_is_valid(key):
        raise ValidationError({"idempotency_key": key_error()})
    return key


def _by_key(scope: Scope, key: str) -> Prescription | None:
    return (
        Prescription.objects.select_related("patient", "facility")
        .filter(organization=scope.organization, idempotency_key=key)
        .first()
    )


def _replayed(
    existing: Prescription, *, patient: Patient, acting_user: User, reissue_of: Prescription | None
) -> Written:
    """The prescription an earlier submission with the same key wrote, if it was this same submission."""
    same = (
        existing.patient_id == patient.pk
        and existing.created_by_id == acting_user.pk
        and existing.reissue_of_id == (reissue_of.pk if reissue_of else None)
    )
    if not same:
        raise ValidationError(
            {"idempotency_key": _("This key was already used for another prescription: send a new key.")},
            code="key_reused",
        )
    return Written(existing, False)


def _insert_items(prescription: Prescription, parsed: Sequence[ParsedItem]) -> None:
    PrescriptionItem.objects.bulk_create(
        [
            item_row(p, position=n, organization_id=prescription.organization_id, prescription=prescription)
            for n, p in enumerate(parsed, start=1)
        ]
    )


def _summary(parsed: Sequence[ParsedItem]) -> str:
    return ", ".join(f"{p.medication.code} x{p.quantity}" for p in parsed)


def create_prescription(
    *,
    scope: Scope,
    acting_user: User,
    patient: Patient,
    items: Sequence[ItemIn],
    idempotency_key: str,
    facility: Facility | None = None,
    reissue_of: Prescription | None = None,
) -> Written:
    """Write a draft prescription for ``patient`` at ``facility`` (default: ``default_facility``).

    The same ``idempotency_key`` sent again (a double click, a retried request, twenty at
    once) returns the prescription the first one wrote (``created=False``): the database's
    unique constraint on (organization, key) makes sure there is one.
    """
    ensure_clinical_role(scope, object_type=OBJECT_TYPE)
    if patient.organization_id != scope.organization.pk:
        raise Http404("No such patient")
    key = clean_key(idempotency_key)
    existing = _by_key(scope, key)
    if existing is not None:
        return _replayed(existing, patient=patient, acting_user=acting_user, reissue_of=reissue_of)
    place = facility or default_facility(scope, patient)
    check_facility(scope, place)
    jurisdiction = scope.organization.jurisdiction
    rules = selectors.rules_for(jurisdiction)
    parsed = parse_items(items, jurisdiction=jurisdiction, mme_table=rules.mme_table)
    controlled = any(p.controlled_class for p in parsed)
    try:
        # A savepoint even inside a request's idempotency transaction (nyeri/api/idempotency.py):
        # the race below is caught and answered, so the enclosing transaction must survive it.
        with write_transaction(savepoint=True):
            granted = _authorize(scope, place, controlled=controlled, patient_id=patient.pk)
            prescription = Prescription(
                organization=scope.organization,
                patient=patient,
                facility=place,
                status=PrescriptionStatus.DRAFT,
                jurisdiction=jurisdiction,
                catalogue_version=catalogue.catalogue_version(),
                idempotency_key=key,
                contains_controlled=controlled,
                created_by=acting_user,
                reissue_of=reissue_of,
            )
            prescription.save(force_insert=True)
            _insert_items(prescription, parsed)
            reissued = f"; reissue of {reissue_of.pk}" if reissue_of else ""
            record_event(
                actor=acting_user,
                action=AuditAction.CREATE,
                organization=scope.organization,
                facility=place,
                patient_id=patient.pk,
                object_type=OBJECT_TYPE,
                object_id=prescription.pk,
                reason=f"draft: {_summary(parsed)}{reissued}; {granted.basis}",
            )
            return Written(prescription, True)
    except IntegrityError:
        # Another submission with the same key won the race: return what it wrote.
        existing = _by_key(scope, key)
        if existing is not None:
            return _replayed(existing, patient=patient, acting_user=acting_user, reissue_of=reissue_of)
        if reissue_of is not None and Prescription.objects.filter(reissue_of=reissue_of).exists():
            # Another reissue (with another key) of the same cancelled prescription won.
            raise ValidationError(_("This prescription was already reissued."), code="already_reissued") from None
        raise


def _ensure_draft(prescription: Prescription) -> None:
    if prescription.status == PrescriptionStatus.SIGNED:
        raise ValidationError(
            _("This prescription is already signed: it cannot be changed. Cancel it and reissue it instead."),
            code="already_signed",
        )
    if prescription.status == PrescriptionStatus.CANCELLED:
        raise ValidationError(_("This prescription is cancelled."), code="cancelled")


def _lock_draft(prescription: Prescription) -> Prescription:
    """The draft, re-read and locked for the rest of the transaction; ValidationError once it is not a draft."""
    locked = Prescription.objects.select_for_update().select_related("patient", "facility").get(pk=prescription.pk)
    _ensure_draft(locked)
    return locked


def update_draft(
    *,
    scope: Scope,
    acting_user: User,
    prescription: Prescription,
    items: Sequence[ItemIn],
    facility: Facility | None = None,
) -> Prescription:
    """Replace the items (and the facility) of a draft; only its author may."""
    _ours(scope, prescription)
    _only_the_author(scope, prescription)
    place = facility or prescription.facility
    check_facility(scope, place)
    rules = selectors.rules_for(prescription.jurisdiction)
    parsed = parse_items(items, jurisdiction=prescription.jurisdiction, mme_table=rules.mme_table)
    controlled = any(p.controlled_class for p in parsed)
    with write_transaction():
        locked = _lock_draft(prescription)
        granted = _authorize(scope, place, controlled=controlled, patient_id=locked.patient_id, object_id=locked.pk)
        PrescriptionItem.objects.filter(prescription=locked).delete()
        _insert_items(locked, parsed)
        locked.facility = place
        locked.contains_controlled = controlled
        locked.catalogue_version = catalogue.catalogue_version()
        locked.save(update_fields=["facility", "contains_controlled", "catalogue_version"])
        record_event(
            actor=acting_user,
            action=AuditAction.UPDATE,
            organization=scope.organization,
            facility=place,
            patient_id=locked.patient_id,
            object_type=OBJECT_TYPE,
            object_id=locked.pk,
            reason=f"draft items replaced: {_summary(parsed)}; {granted.basis}",
        )
        return locked


def _clean_justification(check: SafetyCheck, justification: str) -> str:
    text = (justification or "").strip()
    if len(text) > JUSTIFICATION_MAX_LENGTH:
        raise ValidationError({"justification": _("At most %(max)d characters.") % {"max": JUSTIFICATION_MAX_LENGTH}})
    if check.justification_required and not text:
        raise ValidationError(
            {
                "justification": _(
                    "The patient's opioids add up to %(total)s MME/day, at or above %(threshold)s: record why "
                    "this dose is needed to sign."
                )
                % {"total": format_number(check.total_mme), "threshold": format_number(check.justify_at)}
            },
            code="justification_required",
        )
    return text


def _licence_numbers(person: Person, relied_on: Sequence[int]) -> dict[str, str]:
    """The numbers of the STR, SIP and controlled-drug authorisation the engine relied on (1 query)."""
    wanted = {
        CredentialKind.REGISTRATION.value: "prescriber_registration",
        CredentialKind.PRACTICE_PERMIT.value: "prescriber_permit",
        CredentialKind.CONTROLLED_AUTHORISATION.value: "prescriber_authorisation",
    }
    numbers = dict.fromkeys(wanted.values(), "")
    rows = Credential.objects.filter(pk__in=relied_on, person=person, kind__in=list(wanted)).order_by("-issued_on")
    for kind, number in rows.values_list("kind", "number"):
        field = wanted[kind]
        numbers[field] = numbers[field] or number
    return numbers


def sign_prescription(
    *,
    scope: Scope,
    acting_user: User,
    prescription: Prescription,
    justification: str = "",
    second_factor: SecondFactor | None = None,
) -> Prescription:
    """Sign a draft: the engine decides, the MME and warnings are computed and kept, and a
    prescription with a controlled drug needs a fresh second factor (``second_factor``).

    Refused with a ValidationError: a prescription already signed (``code="already_signed"``)
    or cancelled, a missing justification at or above the upper MME threshold
    (``justification``), a missing or wrong code (``code``). ``ReauthenticationRequired``
    when the password must be entered again first; ``ActionRefused`` when the engine
    refuses (audited). Nothing is written then.
    """
    _ours(scope, prescription)
    _only_the_author(scope, prescription)
    factor_used = ""
    if prescription.contains_controlled or second_factor is not None:
        # Check everything a code could be spent on in vain first: the code is single-use.
        current = Prescription.objects.select_related("facility").get(pk=prescription.pk)
        _ensure_draft(current)
        items_now = selectors.items_of(current)
        check = selectors.safety_check(current, items_now)
        _clean_justification(check, justification)
        if check.controlled:
            _authorize(
                scope,
                current.facility,
                controlled=True,
                patient_id=current.patient_id,
                object_id=current.pk,
                narcotic_ii=has_narcotic_ii(items_now),
            )
            if second_factor is None:
                raise no_code_error()
            factor_used = second_factor.confirm(user=acting_user)
    with write_transaction():
        locked = _lock_draft(prescription)
        # One signing at a time per patient: the total MME counts every other active prescription.
        Patient.objects.select_for_update(no_key=connection.features.has_select_for_no_key_update).filter(
            pk=locked.patient_id
        ).values_list("pk", flat=True).first()
        items = selectors.items_of(locked)
        check = selectors.safety_check(locked, items)
        text = _clean_justification(check, justification)
        if check.controlled and not factor_used:
            # The draft became controlled after the checks above (an edit in between).
            raise no_code_error()
        granted = _authorize(
            scope,
            locked.facility,
            controlled=check.controlled,
            patient_id=locked.patient_id,
            object_id=locked.pk,
            narcotic_ii=has_narcotic_ii(items),
        )
        assert granted.person_id is not None  # a yes is always a professional record's
        # The prescriber's name is kept on the prescription as it reads when signed.
        person = Person.objects.only("full_name").get(pk=granted.person_id)
        now = timezone.now()
        numbers = _licence_numbers(person, granted.relied_on)
        locked.status = PrescriptionStatus.SIGNED
        locked.signed_at = now
        locked.signed_by = acting_user
        locked.prescriber = person
        locked.prescriber_name = person.full_name
        for field, number in numbers.items():
            setattr(locked, field, number)
        locked.decision = granted.basis
        locked.second_factor = factor_used
        locked.legal_statement = legal_statement(locked.jurisdiction) if check.controlled else ""
        locked.contains_controlled = check.controlled
        locked.mme_table = check.table if check.has_opioid else ""
        locked.mme_per_day = check.prescription_mme if check.has_opioid else None
        locked.mme_total_per_day = check.total_mme if check.has_opioid else None
        locked.warnings = check.warning_codes
        locked.justification = text
        locked.save(
            update_fields=[
                "status",
                "signed_at",
                "signed_by",
                "prescriber",
                "prescriber_name",
                *numbers,
                "decision",
                "second_factor",
                "legal_statement",
                "contains_controlled",
                "mme_table",
                "mme_per_day",
                "mme_total_per_day",
                "warnings",
                "justification",
            ]
        )
        mme_text = (
            f"MME/day {check.prescription_mme} (patient total {check.total_mme}, table {check.table})"
            if check.has_opioid
            else "no opioid"
        )
        record_event(
            actor=acting_user,
            action=AuditAction.UPDATE,
            organization=scope.organization,
            facility=locked.facility,
            patient_id=locked.patient_id,
            object_type=OBJECT_TYPE,
            object_id=locked.pk,
            reason=(
                f"signed: {granted.basis}; {mme_text}; warnings: {', '.join(check.warning_codes) or 'none'}"
                f"; second factor: {factor_used or 'not needed'}"
            ),
        )
        return locked


def cancel_prescription(*, scope: Scope, acting_user: User, prescription: Prescription, reason: str) -> Prescription:
    """Cancel a draft or a signed prescription with a reason; the row is kept.

    Its author may cancel it; anyone else needs the ``prescribe`` privilege at its facility.
    """
    _ours(scope, prescription)
    text = (reason or "").strip()
    if not text:
        raise ValidationError({"reason": _("Say why the prescription is cancelled.")})
    if len(text) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": _("At most %(max)d characters.") % {"max": REASON_MAX_LENGTH}})
    with write_transaction():
        locked = Prescription.objects.select_for_update().select_related("facility").get(pk=prescription.pk)
        if locked.status == PrescriptionStatus.CANCELLED:
            raise ValidationError(_("This prescription is already cancelled."), code="cancelled")
        basis = f"author (user {acting_user.pk})"
        if locked.created_by_id != acting_user.pk:
            basis = _authorize(
                scope, locked.facility, controlled=False, patient_id=locked.patient_id, object_id=locked.pk
            ).basis
        was = locked.status
        locked.status = PrescriptionStatus.CANCELLED
        locked.cancelled_at = timezone.now()
        locked.cancelled_by = acting_user
        locked.cancel_reason = text
        locked.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
        record_event(
            actor=acting_user,
            action=AuditAction.CANCEL,
            organization=scope.organization,
            facility=locked.facility,
            patient_id=locked.patient_id,
            object_type=OBJECT_TYPE,
            object_id=locked.pk,
            reason=f"cancelled ({was}); {basis}",
        )
        return locked


def reissue_prescription(
    *, scope: Scope, acting_user: User, prescription: Prescription, idempotency_key: str
) -> Written:
    """A new draft with the items of a cancelled prescription, linked to it (``reissue_of``).

    The items are written again from today's catalogue. A cancelled prescription is
    reissued once; the same key sent again returns that reissue.
    """
    _ours(scope, prescription)
    prescription = Prescription.objects.select_related("patient", "facility").get(pk=prescription.pk)
    existing = Prescription.objects.filter(reissue_of=prescription).first()
    if existing is not None and existing.idempotency_key != (idempotency_key or "").strip():
        raise ValidationError(
            _("This prescription was already reissued as %(number)s.") % {"number": existing.number},
            code="already_reissued",
        )
    if prescription.status != PrescriptionStatus.CANCELLED:
        raise ValidationError(
            _("Only a cancelled prescription is reissued: cancel it first, with the reason."), code="not_cancelled"
        )
    return create_prescription(
        scope=scope,
        acting_user=acting_user,
        patient=prescription.patient,
        items=[item_in(row) for row in selectors.items_of(prescription)],
        idempotency_key=idempotency_key,
        facility=prescription.facility,
        reissue_of=prescription,
    )


def export_pdf(*, scope: Scope, acting_user: User, prescription: Prescription) -> bytes:
    """The printable prescription (PDF) of a signed prescription; the export is audited."""
    from nyeri.prescriptions.pdf import render_prescription

    _ours(scope, prescription)
    if prescription.status != PrescriptionStatus.SIGNED:
        raise ValidationError(_("Only a signed prescription can be printed."), code="not_signed")
    items = selectors.items_of(prescription)
    content = render_prescription(prescription, items, language=translation.get_language() or "id")
    with transaction.atomic():
        record_event(
            actor=acting_user,
            action=AuditAction.EXPORT,
            organization=scope.organization,
            facility=prescription.facility,
            patient_id=prescription.patient_id,
            object_type=OBJECT_TYPE,
            object_id=prescription.pk,
            reason=f"pdf, {len(content)} bytes, sha256 {hashlib.sha256(content).hexdigest()}",
        )
    return content
