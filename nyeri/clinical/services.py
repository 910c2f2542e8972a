"""Clinical writes: registering patients, editing their demographics, merging two records.

Each write is one transaction with its audit row. The checks of the details are pure
functions in ``nyeri.clinical.registration`` (the spreadsheet import calls them too).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditOutcome
from nyeri.audit.services import record_event, record_events
from nyeri.clinical.access import MERGE_ROLES, REGISTRATION_ROLES, access_patient, ensure_clinical_role
from nyeri.clinical.models import Patient, PatientEdit, PatientFieldChange, PatientMerge, RecordNumberFormat
from nyeri.clinical.record_numbers import allocate_numbers, validate_pattern
from nyeri.clinical.registration import (
    DEMOGRAPHIC_FIELDS,
    Duplicates,
    ExistingPatient,
    PatientDetails,
    as_text,
    changed_fields,
    find_duplicates,
    find_duplicates_bulk,
    regency_name,
    validate_registration,
)
from nyeri.lib.services import Errors
from nyeri.tenancy.clock import local_date
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope

# Set from the scope, not from input: full_clean need not query them.
RELATIONS = ["organization", "registered_at", "merged_into"]
# A generated record number already taken (e.g. imported with the same format): try the next.
MRN_ATTEMPTS = 5


class DuplicatePatient(ValidationError):
    """Registration (or an edit) collides with registered patients, named in ``patients``.

    ``code`` is ``duplicate_nik`` (refused: the NIK belongs to ``patients[0]``) or
    ``possible_duplicate`` (same name and birth date: confirm to register anyway).
    """

    def __init__(self, *, field: str, message: str, code: str, patients: list[ExistingPatient]) -> None:
        super().__init__({field: [ValidationError(message, code=code)]})
        self.duplicate_code = code
        self.patients = patients


class StaleEdit(ValidationError):
    """The record changed since the form was opened: reload it, then edit again."""


class BulkRegistrationRefused(ValidationError):
    """Some rows of a bulk registration are not valid; nothing was written. ``rows``: index -> field errors."""

    def __init__(self, rows: dict[int, Errors]) -> None:
        super().__init__(_("%(count)d row(s) are not valid.") % {"count": len(rows)}, code="invalid_rows")
        self.rows = rows


def _facility_allowed(scope: Scope, facility: Facility | None) -> Facility:
    if facility is None or facility.organization_id != scope.organization.pk or not scope.covers_facility(facility.pk):
        raise PermissionDenied
    if not facility.is_active:
        # A deactivated facility keeps its records, but no new patient is registered there.
        raise ValidationError(
            {
                "facility": _("%(facility)s is deactivated: register the patient at an open facility.")
                % {"facility": facility.name}
            },
            code="facility_inactive",
        )
    return facility


def _raise_field_errors(errors: Errors) -> None:
    if errors:
        raise ValidationError(
            {name: [ValidationError(m, code="invalid") for m in messages] for name, messages in errors.items()}
        )


def _duplicate_error(found: Duplicates, *, confirmed: bool) -> DuplicatePatient | None:
    if found.same_nik is not None:
        p = found.same_nik
        return DuplicatePatient(
            field="nik",
            code="duplicate_nik",
            message=_("This NIK is already registered: %(name)s, record number %(mrn)s.")
            % {"name": p.full_name, "mrn": p.mrn},
            patients=[p],
        )
    if found.possible and not confirmed:
        names = "; ".join(f"{p.full_name} ({p.mrn})" for p in found.possible)
        return DuplicatePatient(
            field="full_name",
            code="possible_duplicate",
            message=_(
                "A patient with this name and birth date is already registered: %(patients)s. "
                "Check that this is another person, then confirm."
            )
            % {"patients": names},
            patients=found.possible,
        )
    return None


def _record_refusal(scope: Scope, acting_user: User, facility: Facility | None, error: DuplicatePatient) -> None:
    # The refusal names a registered patient: audited (after the rollback, in its own transaction).
    with transaction.atomic():
        record_event(
            actor=acting_user,
            action=AuditAction.CREATE,
            outcome=AuditOutcome.FAILURE,
            organization=scope.organization,
            facility=facility,
            patient_id=error.patients[0].id or None,
            object_type="patient",
            reason=error.duplicate_code,
        )


def register_patient(
    *,
    scope: Scope,
    acting_user: User,
    facility: Facility | None,
    full_name: str,
    birth_date: date | None,
    sex: str,
    nik: str = "",
    no_nik_reason: str = "",
    other_identifier_kind: str = "",
    other_identifier: str = "",
    phone: str = "",
    address: str = "",
    regency_code: str = "",
    regency: str = "",
    mrn: str = "",
    confirm_possible_duplicate: bool = False,
) -> Patient:
    """Register a patient at ``facility``, with a generated record number unless ``mrn`` is given.

    Refused (ValidationError naming the field, nothing written): invalid details
    (``validate_registration``); a NIK already registered in the organization
    (``DuplicatePatient`` with code ``duplicate_nik``, naming that patient); a patient with
    the same name and birth date unless ``confirm_possible_duplicate`` (code
    ``possible_duplicate``). PermissionDenied (audited) without a registration role or at a
    facility outside the scope. Queries: the format, the locked counter and its update, the
    duplicate check, the insert and the audit row.
    """
    ensure_clinical_role(scope, roles=REGISTRATION_ROLES)
    facility = _facility_allowed(scope, facility)
    details = PatientDetails(
        full_name=full_name,
        birth_date=birth_date,
        sex=sex,
        nik=nik,
        no_nik_reason=no_nik_reason,
        other_identifier_kind=other_identifier_kind,
        other_identifier=other_identifier,
        phone=phone,
        address=address,
        regency_code=regency_code,
    ).cleaned()
    # The facility's day: a birth today in Jayapura is not "in the future" on Jakarta's clock,
    # and a record number's year turns at the facility's midnight.
    today = local_date(facility)
    _raise_field_errors(validate_registration(details, today=today))
    given_mrn = mrn.strip()
    try:
        with transaction.atomic():
            numbers = [given_mrn] if given_mrn else allocate_numbers(facility, on=today)
            found = find_duplicates(scope.organization.pk, details, mrn=numbers[0])
            attempt = 1
            while found.mrn_taken and not given_mrn and attempt < MRN_ATTEMPTS:
                numbers = allocate_numbers(facility, on=today)
                found = find_duplicates(scope.organization.pk, details, mrn=numbers[0])
                attempt += 1
            error = _duplicate_error(found, confirmed=confirm_possible_duplicate)
            if error is not None:
                raise error
            if found.mrn_taken:
                raise ValidationError(
                    {"mrn": _("The record number %(mrn)s is already in use.") % {"mrn": numbers[0]}},
                    code="mrn_taken",
                )
            patient = Patient(
                organization=scope.organization,
                registered_at=facility,
                mrn=numbers[0],
                regency=regency_name(details.regency_code) or regency.strip(),
                **{k: v for k, v in details.as_dict().items() if k != "ihs_number"},
            )
            # Each field's own checks (lengths, choices); uniqueness was the duplicate check's
            # (one query), the database's constraints hold the rest, and the organization and
            # facility come from the scope (no query to see that they exist).
            patient.full_clean(exclude=RELATIONS, validate_unique=False, validate_constraints=False)
            patient.save(force_insert=True)
            record_event(
                actor=acting_user,
                action=AuditAction.CREATE,
                organization=scope.organization,
                facility=facility,
                patient_id=patient.pk,
                object_type="patient",
                object_id=patient.pk,
                reason="possible duplicate confirmed" if found.possible else "",
            )
    except DuplicatePatient as refused:
        _record_refusal(scope, acting_user, facility, refused)
        raise
    return patient


@dataclass(frozen=True)
class BulkRow:
    """A row of a bulk registration: the details and, optionally, the record number it already has."""

    details: PatientDetails
    mrn: str = ""


def check_bulk_registration(
    organization_id: int,
    rows: Sequence[BulkRow],
    *,
    confirm_possible_duplicates: bool = False,
    today: date | None = None,
) -> dict[int, Errors]:
    """The errors of each row (by index) of a bulk registration, duplicates included; no write.

    One query per 500 rows (``find_duplicates_bulk``).
    """
    errors: dict[int, Errors] = {}
    for index, row in enumerate(rows):
        found = validate_registration(row.details, today=today)
        if found:
            errors[index] = found
    duplicates = find_duplicates_bulk(organization_id, [r.details for r in rows], mrns=[r.mrn.strip() for r in rows])
    for index, found_duplicates in enumerate(duplicates):
        error = _duplicate_error(found_duplicates, confirmed=confirm_possible_duplicates)
        if error is not None:
            for name, messages in error.message_dict.items():
                errors.setdefault(index, {}).setdefault(name, []).extend(messages)
        if found_duplicates.mrn_taken:
            errors.setdefault(index, {}).setdefault("mrn", []).append(
                _("The record number %(mrn)s is already in use.") % {"mrn": rows[index].mrn.strip()}
            )
    return errors


def register_patients_bulk(
    *,
    scope: Scope,
    acting_user: User,
    facility: Facility | None,
    rows: Sequence[BulkRow],
    confirm_possible_duplicates: bool = False,
    batch_size: int = 1000,
) -> list[Patient]:
    """Register many patients at ``facility`` at once (an import): all or nothing.

    The same checks as ``register_patient`` for every row (``check_bulk_registration``); any
    bad row refuses the whole batch with ``BulkRegistrationRefused`` (errors by row). Record
    numbers for the rows without one come from one lock of the counter; the patients are
    inserted ``batch_size`` at a time, each with its CREATE audit row.
    """
    ensure_clinical_role(scope, roles=REGISTRATION_ROLES)
    facility = _facility_allowed(scope, facility)
    cleaned = [BulkRow(details=r.details.cleaned(), mrn=r.mrn.strip()) for r in rows]
    with transaction.atomic():
        today = local_date(facility)
        errors = check_bulk_registration(
            scope.organization.pk, cleaned, confirm_possible_duplicates=confirm_possible_duplicates, today=today
        )
        if errors:
            raise BulkRegistrationRefused(errors)
        missing = sum(1 for r in cleaned if not r.mrn)
        numbers = iter(allocate_numbers(facility, on=today, count=missing) if missing else [])
        patients = [
            Patient(
                organization=scope.organization,
                registered_at=facility,
                mrn=r.mrn or next(numbers),
                regency=regency_name(r.details.regency_code),
                **{k: v for k, v in r.details.as_dict().items() if k != "ihs_number"},
            )
            for r in cleaned
        ]
        taken = set(
            Patient.objects.filter(
                organization=scope.organization, mrn__in=[p.mrn for p in patients if p.mrn]
            ).values_list("mrn", flat=True)
        )
        if taken:
            raise BulkRegistrationRefused(
                {
                    i: {"mrn": [_("The record number %(mrn)s is already in use.") % {"mrn": p.mrn}]}
                    for i, p in enumerate(patients)
                    if p.mrn in taken
                }
            )
        created = Patient.objects.bulk_create(patients, batch_size=batch_size)
        # One CREATE row per patient, appended in bulk (the chain's head locked once).
        record_events(
            actor=acting_user,
            organization=scope.organization,
            action=AuditAction.CREATE,
            events=[
                {
                    "facility": facility,
                    "patient_id": patient.pk,
                    "object_type": "patient",
                    "object_id": patient.pk,
                    "reason": "bulk registration",
                }
                for patient in created
            ],
        )
    return created


# --- Demographics edited with a history --------------------------------------------------


def update_patient(
    *,
    scope: Scope,
    acting_user: User,
    patient_id: int,
    changes: Mapping[str, Any],
    version: int | None = None,
    reason: str = "",
    confirm_possible_duplicate: bool = False,
) -> Patient:
    """Change a patient's demographics; each edit is kept (who, when, each field before and after).

    ``changes`` maps fields of ``DEMOGRAPHIC_FIELDS`` to their new values. ``version``: the
    version the user saw; an edit of an older version is refused (``StaleEdit``), never a
    silent overwrite. The whole record is checked as at registration (a NIK taken by
    another patient is refused; a name and birth date of another patient must be
    confirmed). A merged record is not edited (its survivor is). Another organization's
    patient: Http404.
    """
    unknown = sorted(set(changes) - set(DEMOGRAPHIC_FIELDS))
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in unknown})
    # The role, the organization (404) and care access (a facility-limited member: 403,
    # offering break-glass), as for any opening of the record; audited as a read.
    access_patient(scope, patient_id, purpose="demographics edit", roles=REGISTRATION_ROLES)
    try:
        with transaction.atomic():
            patient = (
                Patient.objects.select_for_update()
                .select_related("registered_at")
                .filter(organization=scope.organization, pk=patient_id)
                .first()
            )
            if patient is None:
                raise Http404("No such patient")
            if patient.merged_into_id is not None:
                raise ValidationError(
                    _("This record was merged into another; edit the surviving record."), code="merged"
                )
            if version is not None and version != patient.version:
                raise StaleEdit(
                    _("The record was changed by someone else since you opened it. Reload it and edit again."),
                    code="stale",
                )
            before = PatientDetails.of(patient)
            given: dict[str, Any] = {k: ("" if v is None and k != "birth_date" else v) for k, v in changes.items()}
            after = replace(before, **given)
            after = after.cleaned()
            fields = changed_fields(before, after)
            if not fields:
                return patient
            _raise_field_errors(validate_registration(after, today=local_date(patient.registered_at)))
            if {"nik", "full_name", "birth_date"} & set(fields):
                found = find_duplicates(scope.organization.pk, after, exclude_id=patient.pk)
                if not ({"full_name", "birth_date"} & set(fields)):
                    found.possible = []
                error = _duplicate_error(found, confirmed=confirm_possible_duplicate)
                if error is not None:
                    raise error
            now = timezone.now()
            edit = PatientEdit.objects.create(
                organization=scope.organization,
                patient=patient,
                edited_by=acting_user,
                edited_at=now,
                version=patient.version + 1,
                reason=reason.strip(),
            )
            PatientFieldChange.objects.bulk_create(
                [
                    PatientFieldChange(
                        organization=scope.organization,
                        edit=edit,
                        field=name,
                        before=as_text(getattr(before, name)),
                        after=as_text(getattr(after, name)),
                    )
                    for name in fields
                ]
            )
            for name in fields:
                setattr(patient, name, getattr(after, name))
            if "regency_code" in fields:
                patient.regency = regency_name(after.regency_code)
                fields.append("regency")
            patient.version += 1
            patient.full_clean(exclude=RELATIONS, validate_unique=False, validate_constraints=False)
            patient.save(update_fields=[*fields, "version"])
            record_event(
                actor=acting_user,
                action=AuditAction.UPDATE,
                organization=scope.organization,
                facility=patient.registered_at,
                patient_id=patient.pk,
                object_type="patient",
                object_id=patient.pk,
                # The names of the changed fields, not their values (personal data).
                reason="changed: " + ", ".join(fields),
            )
    except DuplicatePatient as refused:
        _record_refusal(scope, acting_user, None, refused)
        raise
    return patient


# --- Merging two records of one person ---------------------------------------------------

# Tables that describe a record itself rather than the person's care: they stay with it.
NOT_MOVED: tuple[type[models.Model], ...] = (Patient, PatientEdit, PatientMerge)


@dataclass(frozen=True)
class PatientLink:
    """A foreign key to the patient table, and the sets of its fields that must stay unique."""

    model: type[models.Model]
    field: models.ForeignKey[Any, Any]
    unique_sets: tuple[tuple[tuple[str, ...], Q | None], ...]

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field.name}"


def patient_links() -> list[PatientLink]:
    """Every foreign key to ``Patient`` in every installed app (Django's model meta), but ``NOT_MOVED``."""
    links = []
    for relation in Patient._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete and (relation.one_to_many or relation.one_to_one)):
            continue
        model = relation.related_model
        if not (isinstance(model, type) and issubclass(model, models.Model)) or model in NOT_MOVED:
            continue
        fk = relation.field  # type: ignore[union-attr]
        assert isinstance(fk, models.ForeignKey)
        sets: list[tuple[tuple[str, ...], Q | None]] = []
        if fk.unique:
            sets.append(((fk.name,), None))
        for constraint in model._meta.constraints:
            if isinstance(constraint, models.UniqueConstraint) and fk.name in constraint.fields:
                sets.append((tuple(constraint.fields), constraint.condition))
        for together in model._meta.unique_together:
            if fk.name in together:
                sets.append((tuple(together), None))
        links.append(PatientLink(model=model, field=fk, unique_sets=tuple(sets)))
    return links


def _conflicting_pks(link: PatientLink, merged: Patient, survivor: Patient) -> list[Any]:
    """Rows of ``merged`` that would break a unique constraint on ``survivor``: they stay."""
    manager = link.model._default_manager
    conflict = Q(pk__in=[])
    for fields, condition in link.unique_sets:
        others = {name: OuterRef(name) for name in fields if name != link.field.name}
        survivor_rows = manager.filter(**{link.field.attname: survivor.pk}, **others)
        part = Q(Exists(survivor_rows.filter(condition) if condition is not None else survivor_rows))
        conflict |= part & condition if condition is not None else part
    if not link.unique_sets:
        return []
    return list(manager.filter(conflict, **{link.field.attname: merged.pk}).values_list("pk", flat=True))


@contextmanager
def _merge_allowed() -> Iterator[None]:
    """PostgreSQL: the append-only guards let this transaction move rows between patients
    (and nothing else; nyeri/clinical/merge_triggers.py)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('nyeri.patient_merge', 'on', true)")
    # On an error the transaction rolls back, and the setting with it (no reset: an aborted
    # transaction would refuse it and hide the error).
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('nyeri.patient_merge', 'off', true)")


def merge_patients(
    *, scope: Scope, acting_user: User, survivor_id: int, merged_id: int, reason: str, now: datetime | None = None
) -> PatientMerge:
    """Merge the record ``merged_id`` into ``survivor_id`` (two records of one person).

    Administrators only (``MERGE_ROLES``; a refusal is audited). Every row of every table
    with a foreign key to the patient (found through Django's model meta, ``patient_links``)
    moves to the survivor, except a row whose unique counterpart the survivor already has
    (e.g. a consent of the same kind given): it stays on the merged record and is counted in
    ``PatientMerge.kept``. The merged record is kept, marked as merged into the survivor;
    records earlier merged into it now point to the survivor. Audited on both records.
    """
    ensure_clinical_role(scope, object_type="patient_merge", roles=MERGE_ROLES)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the merge.")}, code="required")
    if survivor_id == merged_id:
        raise ValidationError({"merged_id": _("A record cannot be merged into itself.")}, code="same_record")
    now = now or timezone.now()
    with transaction.atomic():
        locked = {
            p.pk: p
            for p in Patient.objects.select_for_update()
            .select_related("registered_at")
            .filter(organization=scope.organization, pk__in=[survivor_id, merged_id])
            .order_by("pk")
        }
        if len(locked) != 2:
            raise Http404("No such patient")
        survivor, merged = locked[survivor_id], locked[merged_id]
        for name, patient in (("survivor_id", survivor), ("merged_id", merged)):
            if patient.merged_into_id is not None:
                raise ValidationError(
                    {name: _("Record %(mrn)s was already merged into another.") % {"mrn": patient.mrn}},
                    code="already_merged",
                )
        moved: dict[str, int] = {}
        kept: dict[str, int] = {}
        with _merge_allowed():
            for link in patient_links():
                conflicting = _conflicting_pks(link, merged, survivor)
                rows = link.model._default_manager.filter(**{link.field.attname: merged.pk})
                if conflicting:
                    rows = rows.exclude(pk__in=conflicting)
                    kept[link.label] = len(conflicting)
                count = rows.update(**{link.field.name: survivor})
                if count:
                    moved[link.label] = count
            Patient.objects.filter(merged_into=merged).update(merged_into=survivor)
        Patient.objects.filter(pk=merged.pk).update(merged_into=survivor, merged_at=now)
        merged.merged_into, merged.merged_at = survivor, now
        merge = PatientMerge(
            organization=scope.organization,
            survivor=survivor,
            merged=merged,
            merged_by=acting_user,
            merged_at=now,
            reason=reason,
            moved=moved,
            kept=kept,
        )
        merge.full_clean(validate_unique=False, validate_constraints=False)
        merge.save(force_insert=True)
        for patient, note in ((merged, f"merged into {survivor.pk}"), (survivor, f"received {merged.pk}")):
            record_event(
                actor=acting_user,
                action=AuditAction.UPDATE,
                organization=scope.organization,
                facility=patient.registered_at,
                patient_id=patient.pk,
                object_type="patient_merge",
                object_id=merge.pk,
                reason=f"{note}; moved {sum(moved.values())} row(s), kept {sum(kept.values())}",
            )
    return merge


# --- Record number formats ---------------------------------------------------------------


def set_record_number_format(
    *, scope: Scope, acting_user: User, pattern: str, facility: Facility | None = None
) -> RecordNumberFormat:
    """Set the record number format of the organization (``facility`` None) or of one facility.

    Administrators only. The format is checked (``validate_pattern``). Numbers already given
    stay; the next registration uses the new format.
    """
    ensure_clinical_role(scope, object_type="record_number_format", roles=MERGE_ROLES)
    if facility is not None:
        _facility_allowed(scope, facility)
    pattern = pattern.strip()
    validate_pattern(pattern)
    with transaction.atomic():
        found, _created = RecordNumberFormat.objects.update_or_create(
            organization=scope.organization, facility=facility, defaults={"pattern": pattern}
        )
        record_event(
            actor=acting_user,
            action=AuditAction.UPDATE,
            organization=scope.organization,
            facility=facility,
            object_type="record_number_format",
            object_id=found.pk,
            reason=pattern,
        )
    return found
