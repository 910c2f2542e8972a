from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.models import AdministrativeSex, Patient
from nyeri.clinical.services import register_patient
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope, resolve_scope


@pytest.fixture
def scope(nurse: User) -> Scope:
    found = resolve_scope(nurse)
    assert found is not None
    return found


def register(scope: Scope, facility: Facility, **overrides: object) -> Patient:
    fields: dict[str, object] = {
        "mrn": "RM-00001",
        "full_name": "Euis Komariah",
        "birth_date": date(1961, 4, 12),
        "sex": AdministrativeSex.FEMALE,
        "nik": "3273015204610001",
    }
    fields.update(overrides)
    return register_patient(scope=scope, acting_user=scope.user, facility=facility, **fields)  # type: ignore[arg-type]


def test_it_registers_a_patient_with_an_audit_row(scope: Scope, facility: Facility) -> None:
    patient = register(scope, facility)
    event = AuditEvent.objects.get(object_type="patient")
    assert event.action == AuditAction.CREATE
    assert event.patient_id == patient.pk
    assert event.actor == scope.user


@pytest.mark.parametrize("nik", ["327301520461", "32730152046100011", "32730152046100AB"])
def test_it_rejects_a_nik_that_is_not_16_digits(scope: Scope, facility: Facility, nik: str) -> None:
    with pytest.raises(ValidationError) as exc:
        register(scope, facility, nik=nik)
    assert "nik" in exc.value.message_dict
    assert not Patient.objects.exists()
    assert not AuditEvent.objects.filter(object_type="patient").exists()


def test_it_rejects_a_birth_date_in_the_future(scope: Scope, facility: Facility) -> None:
    with pytest.raises(ValidationError) as exc:
        register(scope, facility, birth_date=timezone.localdate() + timedelta(days=1))
    assert "birth_date" in exc.value.message_dict
    assert not Patient.objects.exists()


def test_it_rejects_a_record_number_used_twice_in_the_organization(scope: Scope, facility: Facility) -> None:
    register(scope, facility)
    with pytest.raises(ValidationError):
        register(scope, facility, nik="")
    assert Patient.objects.count() == 1


def test_it_refuses_to_register_a_patient_at_another_organizations_facility(
    scope: Scope, other_facility: Facility
) -> None:
    with pytest.raises(PermissionDenied):
        register(scope, other_facility)
    assert not Patient.objects.exists()
