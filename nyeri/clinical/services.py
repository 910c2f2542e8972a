"""Clinical writes. Each is one transaction with its audit row."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.clinical.models import Patient
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope


def register_patient(
    *,
    scope: Scope,
    acting_user: User,
    facility: Facility,
    mrn: str,
    full_name: str,
    birth_date: date,
    sex: str,
    nik: str = "",
    phone: str = "",
    address: str = "",
    regency: str = "",
) -> Patient:
    if facility.organization_id != scope.organization.pk or not scope.covers_facility(facility.pk):
        raise PermissionDenied
    patient = Patient(
        organization=scope.organization,
        registered_at=facility,
        mrn=mrn.strip(),
        full_name=full_name.strip(),
        birth_date=birth_date,
        sex=sex,
        nik=nik.strip(),
        phone=phone.strip(),
        address=address.strip(),
        regency=regency.strip(),
    )
    # Validates every field (NIK length, birth date, uniqueness) and names the bad ones.
    patient.full_clean()
    with transaction.atomic():
        patient.save(force_insert=True)
        record_event(
            actor=acting_user,
            action=AuditAction.CREATE,
            organization=scope.organization,
            facility=facility,
            patient_id=patient.pk,
            object_type="patient",
            object_id=patient.pk,
        )
    return patient
