"""Fetching a patient: scoped to the organization, limited to care access, and every read audited.

Care access (who may open which patient) is decided in one place,
``nyeri.clinical.breakglass.access.care_access``; see docs/break-glass.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.clinical.breakglass.access import (
    CareAccess,
    CareAccessRefused,
    annotate_care_access,
    care_access,
    require_care_access,
)
from nyeri.clinical.models import Patient
from nyeri.lib.sql import Prepared, columns, instance
from nyeri.tenancy.models import Facility
from nyeri.tenancy.refusals import refuse
from nyeri.tenancy.roles import CLINICAL_ROLES, Role
from nyeri.tenancy.scope import Scope

# Who registers patients and keeps their demographics: clinical staff, and the
# organization's administrator (who sets up a new clinic and its first patients).
REGISTRATION_ROLES = CLINICAL_ROLES | {Role.ADMINISTRATOR}
# Who merges two records of one person: the administrator only (docs/patients.md).
MERGE_ROLES = frozenset({Role.ADMINISTRATOR})


def ensure_clinical_role(scope: Scope, *, object_type: str = "patient", roles: frozenset[str] = CLINICAL_ROLES) -> None:
    """Patient data is for clinical staff (or ``roles``): others are refused, and the refusal is audited.

    (Need to know: a compliance officer reads the audit trail, not the charts.)
    """
    if scope.roles & roles:
        return
    refuse(
        scope,
        audit_reason="no clinical role" if roles is CLINICAL_ROLES else "role not allowed",
        reasons=(),
        object_type=object_type,
        wording=_("You are not allowed to do this."),
    )


def access_patient(
    scope: Scope,
    patient_id: int,
    *,
    purpose: str = "",
    now: datetime | None = None,
    roles: frozenset[str] = CLINICAL_ROLES,
) -> Patient:
    """The patient ``patient_id`` of the scope's organization, with a READ audit row.

    Another organization's patient is *not found*, exactly like one that does not exist.
    Without care access (a facility-limited member, a patient neither registered nor seen
    at their facilities, no active break-glass grant) the refusal is audited and raised as
    ``CareAccessRefused`` (a 403 that offers break-glass). A read under break-glass names
    the grant in the audit row. One query (the care facts ride along) and the audit row.
    """
    ensure_clinical_role(scope, roles=roles)
    patient = _patient(scope, patient_id, now)
    if patient is None:
        raise Http404("No such patient")
    access = require_care_access(scope, patient, purpose=purpose, now=now)
    # Inside a write's transaction (opening the patient to record something), the READ row
    # is the write's, appended with it; alone, it is its own transaction.
    with transaction.atomic(savepoint=False):
        record_event(
            actor=scope.user,
            action=AuditAction.READ,
            organization=scope.organization,
            facility=patient.registered_at,
            patient_id=patient.pk,
            object_type="patient",
            object_id=patient.pk,
            reason=access.audit_reason(purpose),
        )
    return patient


def _patient_row(organization_id: int, patient_id: int) -> Any:
    return Patient.objects.filter(organization_id=organization_id, pk=patient_id).values(
        *columns(Patient), *columns(Facility, "registered_at__")
    )


# Every patient page and clinical write opens the patient: for a member not limited to
# facilities (no care facts to annotate) the query is compiled once per connection.
_PATIENT = Prepared("clinical:patient", _patient_row)


def _patient(scope: Scope, patient_id: int, now: datetime | None) -> Patient | None:
    if scope.facility_ids is not None:
        # The care facts depend on the member's facilities and the time: an ORM query.
        return annotate_care_access(
            Patient.objects.select_related("registered_at").filter(organization=scope.organization, pk=patient_id),
            scope,
            now=now,
        ).first()
    found = _PATIENT.rows(scope.organization.pk, patient_id)
    if not found:
        return None
    patient = instance(Patient, found[0])
    patient.registered_at = instance(Facility, found[0], "registered_at__")
    return patient


__all__ = [
    "MERGE_ROLES",
    "REGISTRATION_ROLES",
    "CareAccess",
    "CareAccessRefused",
    "access_patient",
    "care_access",
    "ensure_clinical_role",
    "require_care_access",
]
