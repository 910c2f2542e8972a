"""Diagnosis writes: recording, amending, changing the clinical status, entered in error.

Every write is one transaction that

1. asks the requirements engine whether the acting user's professional record may
   ``record_diagnosis`` at the facility (a refusal is audited on its own and raised);
2. validates every field, naming each bad one (nothing is written on bad input);
3. inserts one new version (nothing is ever updated or deleted, see ``models``);
4. records the audit event with the patient and the decision relied on.
"""

from __future__ import annotations

import enum
from datetime import date
from typing import Any, Final

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.clinical.access import ensure_clinical_role
from nyeri.clinical.diagnoses import catalogue
from nyeri.clinical.diagnoses.models import (
    ClinicalStatus,
    Diagnosis,
    Icd11PainCategory,
    Laterality,
    RecordStatus,
)
from nyeri.clinical.models import Patient
from nyeri.lib.bodysites import body_sites
from nyeri.lib.services import Errors, add_error
from nyeri.tenancy.clock import local_date
from nyeri.tenancy.models import Facility
from nyeri.tenancy.refusals import write_transaction
from nyeri.tenancy.scope import Scope
from nyeri.workforce.door import Verdict, authorize, check

ACTION: Final = "record_diagnosis"
REASON_MAX_LENGTH: Final = 1000
CAUSE_MAX_LENGTH: Final = 2000
OBJECT_TYPE: Final = "diagnosis"
# Foreign keys the service hands over itself: full_clean need not query them again.
RELATED: Final = ["organization", "patient", "facility", "recorded_by", "amends"]
# The fields whose change makes an amendment (facility and people are circumstances).
CONTENT_FIELDS: Final = (
    "icd10_code",
    "icd11_category",
    "suspected_cause",
    "body_site",
    "laterality",
    "clinical_status",
    "onset_date",
    "encounter_id",
)


class Keep(enum.Enum):
    """The value of an amendment's field that the amendment leaves as it was."""

    KEEP = "keep"


KEEP: Final = Keep.KEEP


def _no_record() -> str:
    return _("Your account has no professional record in this organization, so it cannot record diagnoses.")


def privilege(scope: Scope, facility: Facility) -> Verdict:
    """May the scope's user record diagnoses at ``facility`` today? (The engine decides; not audited.)"""
    return check(scope, ACTION, facility, no_record=_no_record())


def privilege_anywhere(scope: Scope, preferred: Facility) -> Verdict:
    """May the user record diagnoses at ``preferred``, or else at another facility where they work?

    For the pages: a physician of another facility of the organization may see a patient
    registered elsewhere and record the diagnosis where they practise. The refusal at
    ``preferred`` is returned when no facility allows it. (A read: nothing is audited.)
    """
    first = privilege(scope, preferred)
    if first.allowed or first.person_id is None:
        return first
    places = Facility.objects.filter(organization=scope.organization, person_links__person_id=first.person_id).exclude(
        pk=preferred.pk
    )
    for place in places.order_by("name"):
        if scope.covers_facility(place.pk):
            other = privilege(scope, place)
            if other.allowed:
                return other
    return first


def _authorize(scope: Scope, facility: Facility, *, patient_id: int, object_id: int | str) -> Verdict:
    return authorize(
        scope,
        ACTION,
        facility,
        object_type=OBJECT_TYPE,
        patient_id=patient_id,
        object_id=object_id,
        no_record=_no_record(),
    )


def _text(value: str | None) -> str:
    return (value or "").strip()


def _place(scope: Scope, facility: Facility | None, default: Facility, errors: Errors) -> Facility:
    """The facility where the write happens: in the organization and within the membership."""
    place = facility or default
    if place.organization_id != scope.organization.pk:
        # Only a caller that skipped the scoped look-up gets here: the same answer as one.
        raise Http404("No such facility")
    if not scope.covers_facility(place.pk):
        add_error(errors, "facility", _("Your membership does not reach this facility."))
    return place


def _clean_content(diagnosis: Diagnosis, patient: Patient, errors: Errors, *, icd10_changed: bool) -> None:
    """Check and normalise the clinical fields of ``diagnosis``; each problem under its field."""
    if icd10_changed:
        entry, problem = catalogue.icd10_problem(diagnosis.icd10_code)
        if entry is None:
            add_error(errors, "icd10_code", problem)
        else:
            diagnosis.icd10_code = entry.code
            # The title as the WHO list words it today, kept with the record.
            diagnosis.icd10_title = entry.title_en
            diagnosis.icd10_edition = catalogue.icd10_edition()
    category = _text(diagnosis.icd11_category).upper()
    diagnosis.icd11_category = category
    if category and category not in Icd11PainCategory.values:
        add_error(
            errors,
            "icd11_category",
            _("%(value)s is not an ICD-11 chronic pain category; choose one of MG30.0 to MG30.6, MG30.Y or MG30.Z.")
            % {"value": category[:12]},
        )
    elif not category and "icd10_code" not in errors:
        entry = catalogue.lookup_icd10(diagnosis.icd10_code)
        if entry is not None and entry.chronic_pain:
            add_error(
                errors,
                "icd11_category",
                _("%(code)s is a chronic pain diagnosis: choose its ICD-11 chronic pain category.")
                % {"code": entry.code},
            )
    if diagnosis.body_site and body_sites().site(diagnosis.body_site) is None:
        add_error(errors, "body_site", _("Choose a body site from the list."))
    if diagnosis.laterality and diagnosis.laterality not in Laterality.values:
        add_error(errors, "laterality", _("Choose left, right, bilateral or midline."))
    elif diagnosis.laterality and not diagnosis.body_site:
        add_error(errors, "laterality", _("Choose the body site this side belongs to."))
    if diagnosis.clinical_status not in ClinicalStatus.values:
        add_error(errors, "clinical_status", _("Choose active, resolved or ruled out."))
    onset = diagnosis.onset_date
    if onset is not None:
        if not isinstance(onset, date):
            add_error(errors, "onset_date", _("Enter the onset as a date."))
        elif onset > local_date(diagnosis.facility):  # the day where it is recorded
            add_error(errors, "onset_date", _("The onset cannot be in the future."))
        elif onset < patient.birth_date:
            add_error(
                errors,
                "onset_date",
                _("The onset is before the patient's birth date (%(date)s).")
                % {"date": formats.date_format(patient.birth_date, "DATE_FORMAT")},
            )
    diagnosis.suspected_cause = _text(diagnosis.suspected_cause)
    if len(diagnosis.suspected_cause) > CAUSE_MAX_LENGTH:
        add_error(errors, "suspected_cause", _("At most %(max)d characters.") % {"max": CAUSE_MAX_LENGTH})
    if diagnosis.encounter_id is not None and diagnosis.encounter_id <= 0:
        add_error(errors, "encounter_id", _("This visit does not exist."))


def _clean_reason(reason: str, errors: Errors, missing: str) -> str:
    text = _text(reason)
    if not text:
        add_error(errors, "reason", missing)
    elif len(text) > REASON_MAX_LENGTH:
        add_error(errors, "reason", _("At most %(max)d characters.") % {"max": REASON_MAX_LENGTH})
    return text


def _finish(diagnosis: Diagnosis, errors: Errors) -> None:
    """Raise every problem found; then the model's own field checks as a safety net."""
    if errors:
        raise ValidationError(errors)
    # Field checks only: the constraints hold in the database (checking them here would
    # cost a query each), and the version is unique by construction.
    diagnosis.full_clean(exclude=RELATED, validate_unique=False, validate_constraints=False)


def _audit(scope: Scope, acting_user: User, diagnosis: Diagnosis, action: AuditAction, granted: Verdict) -> None:
    record_event(
        actor=acting_user,
        action=action,
        organization=scope.organization,
        facility=diagnosis.facility,
        patient_id=diagnosis.patient_id,
        object_type=OBJECT_TYPE,
        object_id=diagnosis.pk,
        reason=f"{granted.basis}; version {diagnosis.version} of {diagnosis.lineage}",
    )


def record_diagnosis(
    *,
    scope: Scope,
    acting_user: User,
    patient: Patient,
    icd10_code: str,
    icd11_category: str = "",
    suspected_cause: str = "",
    body_site: str = "",
    laterality: str = "",
    clinical_status: str = ClinicalStatus.ACTIVE,
    onset_date: date | None = None,
    encounter_id: int | None = None,
    facility: Facility | None = None,
) -> Diagnosis:
    """Record a new diagnosis of ``patient`` at ``facility`` (default: where the patient is registered).

    Refused, naming each field: an ICD-10 code unknown to the WHO list or with
    subdivisions, an ICD-11 category that is not MG30.x (or none for a chronic pain code),
    an onset in the future or before birth, an unknown body site, side or status. Another
    organization's patient is not found; without the privilege, ActionRefused.
    """
    ensure_clinical_role(scope, object_type=OBJECT_TYPE)
    if patient.organization_id != scope.organization.pk:
        raise Http404("No such patient")
    errors: Errors = {}
    place = _place(scope, facility, patient.registered_at, errors)
    with write_transaction():
        granted = _authorize(scope, place, patient_id=patient.pk, object_id="")
        diagnosis = Diagnosis(
            organization=scope.organization,
            patient=patient,
            facility=place,
            encounter_id=encounter_id,
            icd10_code=icd10_code,
            icd11_category=icd11_category,
            suspected_cause=suspected_cause,
            body_site=_text(body_site),
            laterality=_text(laterality),
            clinical_status=_text(clinical_status),
            onset_date=onset_date,
            record_status=RecordStatus.ORIGINAL,
            recorded_by=acting_user,
            recorded_at=timezone.now(),
        )
        _clean_content(diagnosis, patient, errors, icd10_changed=True)
        _finish(diagnosis, errors)
        diagnosis.save(force_insert=True)
        _audit(scope, acting_user, diagnosis, AuditAction.CREATE, granted)
        return diagnosis


def _successor(
    scope: Scope, acting_user: User, diagnosis: Diagnosis, place: Facility, status: RecordStatus, reason: str
) -> Diagnosis:
    """The next version of ``diagnosis``: a copy of its content, made here and now by ``acting_user``."""
    content: dict[str, Any] = {name: getattr(diagnosis, name) for name in CONTENT_FIELDS}
    return Diagnosis(
        organization=scope.organization,
        patient=diagnosis.patient,
        facility=place,
        lineage=diagnosis.lineage,
        version=diagnosis.version + 1,
        icd10_title=diagnosis.icd10_title,
        icd10_edition=diagnosis.icd10_edition,
        record_status=status,
        amends=diagnosis,
        amendment_reason=reason,
        recorded_by=acting_user,
        recorded_at=timezone.now(),
        **content,
    )


def _lock_current(diagnosis: Diagnosis) -> None:
    """ValidationError unless ``diagnosis`` is the current version and not entered in error.

    The row is locked first, so two amendments of one version cannot both pass (the
    one-to-one ``amends`` would refuse the second anyway).
    """
    Diagnosis.objects.select_for_update().filter(pk=diagnosis.pk).values_list("pk", flat=True).first()
    if Diagnosis.objects.filter(amends=diagnosis).exists():
        raise ValidationError(
            _("This version has been amended since: open the diagnosis again and amend its current version."),
            code="superseded",
        )
    if diagnosis.is_entered_in_error:
        raise ValidationError(
            _("This diagnosis was marked as entered in error and can no longer be changed."), code="entered_in_error"
        )


def _write_successor(
    *,
    scope: Scope,
    acting_user: User,
    diagnosis: Diagnosis,
    facility: Facility | None,
    status: RecordStatus,
    reason: str,
    changes: dict[str, Any],
    audit_action: AuditAction,
) -> Diagnosis:
    ensure_clinical_role(scope, object_type=OBJECT_TYPE)
    if diagnosis.organization_id != scope.organization.pk:
        raise Http404("No such diagnosis")
    errors: Errors = {}
    place = _place(scope, facility, diagnosis.facility, errors)
    with write_transaction():
        granted = _authorize(scope, place, patient_id=diagnosis.patient_id, object_id=diagnosis.pk)
        _lock_current(diagnosis)
        missing = (
            _("Say why this is entered in error.")
            if status == RecordStatus.ENTERED_IN_ERROR
            else _("Say why the diagnosis is amended.")
        )
        text = _clean_reason(reason, errors, missing)
        successor = _successor(scope, acting_user, diagnosis, place, status, text)
        for name, value in changes.items():
            if name == "icd10_code":
                value = catalogue.normalise_code(value)
            setattr(successor, name, _text(value) if isinstance(value, str) else value)
        _clean_content(successor, diagnosis.patient, errors, icd10_changed=successor.icd10_code != diagnosis.icd10_code)
        if status == RecordStatus.AMENDMENT and not errors and _same_content(successor, diagnosis):
            raise ValidationError(_("The amendment changes nothing: change a field or cancel."), code="unchanged")
        _finish(successor, errors)
        successor.save(force_insert=True)
        _audit(scope, acting_user, successor, audit_action, granted)
        return successor


def _same_content(a: Diagnosis, b: Diagnosis) -> bool:
    return all(getattr(a, name) == getattr(b, name) for name in CONTENT_FIELDS)


def amend_diagnosis(
    *,
    scope: Scope,
    acting_user: User,
    diagnosis: Diagnosis,
    reason: str,
    icd10_code: str | Keep = KEEP,
    icd11_category: str | Keep = KEEP,
    suspected_cause: str | Keep = KEEP,
    body_site: str | Keep = KEEP,
    laterality: str | Keep = KEEP,
    clinical_status: str | Keep = KEEP,
    onset_date: date | Keep | None = KEEP,
    encounter_id: int | Keep | None = KEEP,
    facility: Facility | None = None,
) -> Diagnosis:
    """Correct ``diagnosis`` (its current version): a new version with the changed fields and the reason.

    The earlier version is kept as it was, with who recorded it and when. Refused (naming
    the field) like ``record_diagnosis``, and also without a reason, when nothing changes,
    when the version was amended since or entered in error.
    """
    given = {
        "icd10_code": icd10_code,
        "icd11_category": icd11_category,
        "suspected_cause": suspected_cause,
        "body_site": body_site,
        "laterality": laterality,
        "clinical_status": clinical_status,
        "onset_date": onset_date,
        "encounter_id": encounter_id,
    }
    return _write_successor(
        scope=scope,
        acting_user=acting_user,
        diagnosis=diagnosis,
        facility=facility,
        status=RecordStatus.AMENDMENT,
        reason=reason,
        changes={k: v for k, v in given.items() if not isinstance(v, Keep)},
        audit_action=AuditAction.AMEND,
    )


def change_clinical_status(
    *,
    scope: Scope,
    acting_user: User,
    diagnosis: Diagnosis,
    clinical_status: str,
    reason: str,
    facility: Facility | None = None,
) -> Diagnosis:
    """Resolve, rule out or reactivate a diagnosis: an amendment of its status alone."""
    return amend_diagnosis(
        scope=scope,
        acting_user=acting_user,
        diagnosis=diagnosis,
        reason=reason,
        clinical_status=clinical_status,
        facility=facility,
    )


def mark_entered_in_error(
    *, scope: Scope, acting_user: User, diagnosis: Diagnosis, reason: str, facility: Facility | None = None
) -> Diagnosis:
    """Mark ``diagnosis`` as recorded by mistake: a last version that hides it from the problem list.

    Nothing is deleted: every version stays in the history, with this one saying who found
    the mistake, when and why.
    """
    return _write_successor(
        scope=scope,
        acting_user=acting_user,
        diagnosis=diagnosis,
        facility=facility,
        status=RecordStatus.ENTERED_IN_ERROR,
        reason=reason,
        changes={},
        audit_action=AuditAction.CANCEL,
    )
