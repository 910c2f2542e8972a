"""Fetching a patient: scoped to the organization, and every read audited."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404

from nyeri.audit.models import AuditAction, AuditOutcome
from nyeri.audit.services import record_event
from nyeri.clinical.models import Patient
from nyeri.tenancy.roles import CLINICAL_ROLES
from nyeri.tenancy.scope import Scope


def ensure_clinical_role(scope: Scope, *, object_type: str = "patient") -> None:
    """Patient data is for clinical staff: others are refused, and the refusal is audited.

    (Need to know: a compliance officer reads the audit trail, not the charts.)
    """
    if scope.roles & CLINICAL_ROLES:
        return
    record_event(
        actor=scope.user,
        action=AuditAction.PERMISSION_DENIED,
        outcome=AuditOutcome.DENIED,
        organization=scope.organization,
        object_type=object_type,
        reason="no clinical role",
    )
    raise PermissionDenied


def access_patient(scope: Scope, patient_id: int, *, purpose: str = "") -> Patient:
    """The patient ``patient_id`` of the scope's organization, with a READ audit row.

    Another organization's patient is *not found*, exactly like one that does not exist.
    """
    ensure_clinical_role(scope)
    patient = (
        Patient.objects.select_related("registered_at").filter(organization=scope.organization, pk=patient_id).first()
    )
    if patient is None:
        raise Http404("No such patient")
    with transaction.atomic():
        record_event(
            actor=scope.user,
            action=AuditAction.READ,
            organization=scope.organization,
            facility=patient.registered_at,
            patient_id=patient.pk,
            object_type="patient",
            object_id=patient.pk,
            reason=purpose,
        )
    return patient
