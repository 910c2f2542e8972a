"""Many patients at once (the patient import): checked together, written together.

The same rules as ``register_patient`` (every field validated by the model, the facility
of the organization and within the user's facilities) with the facts read once for the
whole batch: the patients already recorded with these NIKs and record numbers (two
queries whatever the size), then bulk inserts with one audit row per patient (carrying
the patient, so that their access history shows the import) appended in bulk.

A patient is recognised by their NIK, or by their record number when the row has no NIK:
one already recorded is left as it is ("unchanged"), so importing the same file twice
changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_events
from nyeri.clinical.models import Patient
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import CLINICAL_ROLES, Role
from nyeri.tenancy.scope import Scope

BATCH_SIZE = 1000
# Who may register patients in bulk: clinical staff (as on the registration page) and administrators.
IMPORT_ROLES = frozenset({*CLINICAL_ROLES, Role.ADMINISTRATOR})


def may_import_patients(scope: Scope) -> bool:
    return bool(scope.roles & {str(r) for r in IMPORT_ROLES})


@dataclass(frozen=True)
class PatientIn:
    ref: int
    mrn: str
    full_name: str
    birth_date: date | None
    sex: str
    facility: Facility | None
    nik: str = ""
    phone: str = ""
    address: str = ""
    regency: str = ""


@dataclass(frozen=True)
class FieldProblem:
    ref: int
    field: str
    message: str


@dataclass
class PatientPlan:
    problems: list[FieldProblem] = field(default_factory=list)
    new_patients: list[PatientIn] = field(default_factory=list)
    unchanged: int = 0
    written: bool = False


def _unsaved(scope: Scope, item: PatientIn) -> Patient:
    return Patient(
        organization=scope.organization,
        registered_at=item.facility,
        mrn=item.mrn.strip(),
        full_name=item.full_name.strip(),
        birth_date=item.birth_date,
        sex=item.sex,
        nik=item.nik.strip(),
        phone=item.phone.strip(),
        address=item.address.strip(),
        regency=item.regency.strip(),
    )


def plan_patients(scope: Scope, patients: list[PatientIn]) -> PatientPlan:
    """Check every patient against the rules and what is already recorded (two queries)."""
    plan = PatientPlan()
    niks = sorted({p.nik for p in patients if p.nik})
    mrns = sorted({p.mrn for p in patients if p.mrn})
    org = scope.organization
    by_nik: dict[str, str] = dict(Patient.objects.filter(organization=org, nik__in=niks).values_list("nik", "mrn"))
    by_mrn: dict[str, str] = dict(Patient.objects.filter(organization=org, mrn__in=mrns).values_list("mrn", "nik"))
    for item in patients:
        if item.nik and item.nik in by_nik:
            plan.unchanged += 1
            continue
        if item.mrn in by_mrn:
            if not item.nik or by_mrn[item.mrn] == item.nik:
                plan.unchanged += 1
            else:
                plan.problems.append(
                    FieldProblem(
                        item.ref, "mrn", _("This record number is already used by another patient (another NIK).")
                    )
                )
            continue
        errors: dict[str, list[str]] = {}
        if item.facility is not None and (
            item.facility.organization_id != org.pk or not scope.covers_facility(item.facility.pk)
        ):
            errors["registered_at"] = [_("You cannot register patients at this facility.")]
        try:
            _unsaved(scope, item).full_clean(
                exclude=["organization", "registered_at"], validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, []).extend(messages)
        if item.facility is None:
            errors.setdefault("registered_at", []).append(_("This field cannot be blank."))
        for name, messages in errors.items():
            plan.problems.extend(FieldProblem(item.ref, name, m) for m in messages)
        plan.new_patients.append(item)
    return plan


def import_patients(
    *, scope: Scope, acting_user: User, patients: list[PatientIn], source: str, dry_run: bool
) -> PatientPlan:
    """Plan, and unless ``dry_run`` or a problem was found, register every new patient in one transaction."""
    if scope.user.pk != acting_user.pk:
        raise ValueError("acting_user must be the user of the scope")
    if not may_import_patients(scope):
        raise PermissionDenied(_("Your role does not allow registering patients."))
    with transaction.atomic():
        plan = plan_patients(scope, patients)
        if dry_run or plan.problems:
            return plan
        created = Patient.objects.bulk_create([_unsaved(scope, p) for p in plan.new_patients], batch_size=BATCH_SIZE)
        events: list[dict[str, Any]] = [
            {
                "object_type": "patient",
                "object_id": p.pk,
                "patient_id": p.pk,
                "facility": p.registered_at,
                "reason": f"imported from {source}",
            }
            for p in created
        ]
        record_events(actor=acting_user, organization=scope.organization, events=events, action=AuditAction.CREATE)
        plan.written = True
    return plan
