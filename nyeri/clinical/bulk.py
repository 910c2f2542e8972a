"""Many patients at once (the patient import): matched, checked and registered together.

A row is recognised as a patient already registered by its NIK or, without a NIK, by its
other identifier (kind and number): such a row is left as it is ("unchanged"), so that
importing the same file twice changes nothing. Every other row goes through the checks of
registration (``check_bulk_registration``: ``validate_registration`` and the duplicate
rules) and is registered by ``register_patients_bulk`` (a record number generated when the
row has none, one audit row per patient), all in one transaction. A fixed number of
queries per 500 rows, whatever the size of the file.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.clinical.access import REGISTRATION_ROLES
from nyeri.clinical.models import Patient
from nyeri.clinical.registration import PatientDetails
from nyeri.clinical.services import BulkRegistrationRefused, BulkRow, check_bulk_registration, register_patients_bulk
from nyeri.lib.services import check_acting_user
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope

CHUNK = 500


def may_import_patients(scope: Scope) -> bool:
    return bool(scope.roles & {str(r) for r in REGISTRATION_ROLES})


@dataclass(frozen=True)
class PatientIn:
    """A row of the import: where it came from (``ref``), where to register, the details."""

    ref: int
    facility: Facility | None
    details: PatientDetails
    mrn: str = ""


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


def _registered(scope: Scope, rows: list[PatientIn]) -> tuple[set[str], set[tuple[str, str]]]:
    """The NIKs and other identifiers of ``rows`` already registered (one query per CHUNK rows)."""
    niks: set[str] = set()
    others: set[tuple[str, str]] = set()
    for start in range(0, len(rows), CHUNK):
        chunk = [r.details for r in rows[start : start + CHUNK]]
        wanted_niks = {d.nik for d in chunk if d.nik}
        wanted_others = {d.other_identifier for d in chunk if not d.nik and d.other_identifier}
        if not wanted_niks and not wanted_others:
            continue
        found = Patient.objects.filter(organization=scope.organization).filter(
            Q(nik__in=wanted_niks) | Q(other_identifier__in=wanted_others)
        )
        for nik, kind, other in found.values_list("nik", "other_identifier_kind", "other_identifier"):
            if nik:
                niks.add(nik)
            if other:
                others.add((kind, other))
    return niks, others


def plan_patients(scope: Scope, rows: list[PatientIn]) -> PatientPlan:
    """Which rows are registered already, and the problems of the others (no write)."""
    plan = PatientPlan()
    cleaned = [PatientIn(r.ref, r.facility, r.details.cleaned(), r.mrn.strip()) for r in rows]
    niks, others = _registered(scope, cleaned)
    for row in cleaned:
        d = row.details
        if (d.nik and d.nik in niks) or (not d.nik and (d.other_identifier_kind, d.other_identifier) in others):
            plan.unchanged += 1
        else:
            plan.new_patients.append(row)
    errors = check_bulk_registration(
        scope.organization.pk, [BulkRow(details=r.details, mrn=r.mrn) for r in plan.new_patients]
    )
    for index, row in enumerate(plan.new_patients):
        facility = row.facility
        if facility is None:
            plan.problems.append(FieldProblem(row.ref, "registered_at", _("Give the facility's code.")))
        elif facility.organization_id != scope.organization.pk or not scope.covers_facility(facility.pk):
            plan.problems.append(
                FieldProblem(row.ref, "registered_at", _("You cannot register patients at this facility."))
            )
        for name, messages in errors.get(index, {}).items():
            plan.problems.extend(FieldProblem(row.ref, name, m) for m in messages)
    return plan


def import_patients(*, scope: Scope, acting_user: User, patients: list[PatientIn], dry_run: bool) -> PatientPlan:
    """Plan, and unless ``dry_run`` or a problem was found, register every new patient in one transaction."""
    check_acting_user(scope, acting_user)
    if not may_import_patients(scope):
        raise PermissionDenied(_("Your role does not allow registering patients."))
    try:
        return _import(scope, acting_user, patients, dry_run=dry_run)
    except IntegrityError:
        # Someone registered one of these patients (same NIK or record number) meanwhile.
        raise ValidationError(
            {"file": [_("Some of these patients were registered by someone else meanwhile: check the file again.")]}
        ) from None


def _import(scope: Scope, acting_user: User, patients: list[PatientIn], *, dry_run: bool) -> PatientPlan:
    with transaction.atomic():
        plan = plan_patients(scope, patients)
        if dry_run or plan.problems:
            return plan
        by_facility: dict[int, list[PatientIn]] = defaultdict(list)
        for row in plan.new_patients:
            assert row.facility is not None
            by_facility[row.facility.pk].append(row)
        for group in by_facility.values():
            try:
                register_patients_bulk(
                    scope=scope,
                    acting_user=acting_user,
                    facility=group[0].facility,
                    rows=[BulkRow(details=r.details, mrn=r.mrn) for r in group],
                )
            except BulkRegistrationRefused as refused:
                # Someone registered one of these patients since the plan was made.
                transaction.set_rollback(True)
                for index, errors in refused.rows.items():
                    for name, messages in errors.items():
                        plan.problems.extend(FieldProblem(group[index].ref, name, m) for m in messages)
                return plan
        plan.written = True
    return plan
