"""Registering a patient: every bad input refused with its field named, nothing half-written."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.clinical.models import Patient, RecordNumberCounter
from nyeri.clinical.registration import PatientDetails, validate_registration
from nyeri.clinical.services import DuplicatePatient
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from tests.conftest import MakeMember
from tests.patients.conftest import EUIS_NIK, asep, euis, register, scope_of


def refused(scope: Scope, facility: Facility, **fields: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        register(scope, facility, **fields)
    assert not Patient.objects.exists()
    assert not AuditEvent.objects.filter(object_type="patient", action=AuditAction.CREATE).exists()
    assert not RecordNumberCounter.objects.filter(last_value__gt=0).exists()
    return exc.value.message_dict


def test_a_patient_is_registered_with_a_generated_record_number_and_an_audit_row(
    scope: Scope, facility: Facility
) -> None:
    patient = register(scope, facility, **euis())
    year = timezone.localdate().year
    assert patient.mrn == f"RS-SEHAT-{year}-000001"
    assert patient.regency == "Kota Bandung"
    assert patient.ihs_number == ""
    assert patient.version == 1
    event = AuditEvent.objects.get(object_type="patient", action=AuditAction.CREATE)
    assert event.patient_id == patient.pk
    assert event.actor == scope.user


def test_a_nik_of_15_digits_is_refused(scope: Scope, facility: Facility) -> None:
    errors = refused(scope, facility, **euis(nik=EUIS_NIK[:15]))
    assert list(errors) == ["nik"]


def test_a_nik_of_an_unknown_province_is_refused(scope: Scope, facility: Facility) -> None:
    errors = refused(scope, facility, **euis(nik="99" + EUIS_NIK[2:]))
    assert "nik" in errors


def test_a_birth_date_contradicting_the_nik_is_refused(scope: Scope, facility: Facility) -> None:
    errors = refused(scope, facility, **euis(birth_date=date(1961, 4, 13)))
    assert list(errors) == ["birth_date"]


def test_a_sex_contradicting_the_nik_is_refused(scope: Scope, facility: Facility) -> None:
    errors = refused(scope, facility, **euis(sex="male"))
    assert list(errors) == ["sex"]


def test_a_birth_date_in_the_future_is_refused(scope: Scope, facility: Facility) -> None:
    errors = refused(scope, facility, **euis(nik="", birth_date=timezone.localdate() + timedelta(days=1)))
    assert "birth_date" in errors


def test_no_nik_without_a_reason_or_another_identifier_is_refused(scope: Scope, facility: Facility) -> None:
    errors = refused(scope, facility, **euis(nik=""))
    assert set(errors) == {"no_nik_reason", "other_identifier"}


def test_no_nik_with_a_reason_but_no_identifier_is_refused(scope: Scope, facility: Facility) -> None:
    errors = refused(scope, facility, **euis(nik="", no_nik_reason="foreigner"))
    assert set(errors) == {"other_identifier"}


def test_a_foreigner_is_registered_with_a_passport_number(scope: Scope, facility: Facility) -> None:
    patient = register(
        scope,
        facility,
        **euis(nik="", no_nik_reason="foreigner", other_identifier_kind="passport", other_identifier="X1234567"),
    )
    assert (patient.nik, patient.no_nik_reason, patient.other_identifier) == ("", "foreigner", "X1234567")


def test_a_newborn_is_registered_with_the_mothers_nik_which_is_checked(scope: Scope, facility: Facility) -> None:
    newborn = {"full_name": "Bayi Ny. Euis", "birth_date": timezone.localdate(), "sex": "male", "nik": ""}
    errors = refused(
        scope,
        facility,
        **euis(**newborn, no_nik_reason="newborn", other_identifier_kind="mother_nik", other_identifier="12345"),
    )
    assert list(errors) == ["other_identifier"]
    patient = register(
        scope,
        facility,
        **euis(**newborn, no_nik_reason="newborn", other_identifier_kind="mother_nik", other_identifier=EUIS_NIK),
    )
    assert patient.other_identifier == EUIS_NIK


def test_an_unknown_regency_is_refused(scope: Scope, facility: Facility) -> None:
    errors = refused(scope, facility, **euis(regency_code="32.99"))
    assert list(errors) == ["regency_code"]


def test_a_nik_already_registered_is_refused_naming_the_patient(scope: Scope, facility: Facility) -> None:
    first = register(scope, facility, **euis())
    with pytest.raises(DuplicatePatient) as exc:
        register(scope, facility, **euis(full_name="Euis K."))
    assert exc.value.duplicate_code == "duplicate_nik"
    assert "nik" in exc.value.message_dict
    assert first.mrn in exc.value.message_dict["nik"][0]
    assert [p.id for p in exc.value.patients] == [first.pk]
    assert exc.value.patients[0].url == f"/patients/{first.pk}/"
    assert Patient.objects.count() == 1
    # The refusal is audited (it names a registered patient); the counter gave its number back.
    refusal = AuditEvent.objects.get(outcome=AuditOutcome.FAILURE)
    assert (refusal.patient_id, refusal.reason) == (first.pk, "duplicate_nik")
    assert RecordNumberCounter.objects.get().last_value == 1


def test_the_same_name_and_birth_date_must_be_confirmed(scope: Scope, facility: Facility) -> None:
    first = register(scope, facility, **euis())
    twin = euis(
        full_name="  EUIS   komariah ",
        nik="",
        no_nik_reason="unknown",
        other_identifier_kind="other",
        other_identifier="KK 123",
    )
    with pytest.raises(DuplicatePatient) as exc:
        register(scope, facility, **twin)
    assert exc.value.duplicate_code == "possible_duplicate"
    assert "full_name" in exc.value.message_dict
    assert [p.id for p in exc.value.patients] == [first.pk]
    second = register(scope, facility, **twin, confirm_possible_duplicate=True)
    assert second.full_name == "EUIS komariah"
    assert second.mrn != first.mrn


def test_a_member_without_a_registration_role_is_refused_and_audited(
    org: Organization, facility: Facility, make_member: MakeMember
) -> None:
    officer = make_member(org, Role.COMPLIANCE_OFFICER)
    with pytest.raises(PermissionDenied):
        register(scope_of(officer), facility, **euis())
    assert AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED, actor=officer).exists()
    assert not Patient.objects.exists()


def test_registration_at_another_organizations_facility_is_refused(scope: Scope, other_facility: Facility) -> None:
    with pytest.raises(PermissionDenied):
        register(scope, other_facility, **euis())
    assert not Patient.objects.exists()


def test_the_same_nik_in_another_organization_is_no_duplicate(
    scope: Scope, facility: Facility, other_org: Organization, other_facility: Facility, make_member: MakeMember
) -> None:
    register(scope, facility, **euis())
    other_nurse = make_member(other_org, Role.NURSE)
    assert register(scope_of(other_nurse), other_facility, **euis()).pk


def test_validation_is_a_pure_function_naming_each_field(db: None, django_assert_num_queries: Any) -> None:
    details = PatientDetails(full_name="", birth_date=None, sex="x", nik="123")
    with django_assert_num_queries(0):
        errors = validate_registration(details)
    assert {"full_name", "birth_date", "sex", "nik"} <= set(errors)
    assert validate_registration(PatientDetails(**{k: v for k, v in euis().items()})) == {}


def test_registration_costs_a_fixed_number_of_queries(
    scope: Scope, facility: Facility, django_assert_max_num_queries: Callable[[int], AbstractContextManager[object]]
) -> None:
    register(scope, facility, **asep())
    # The format, the locked counter and its update, the duplicate check, the insert and the
    # audit row (three statements on SQLite, one on PostgreSQL), and the savepoint (two).
    with django_assert_max_num_queries(10):
        register(scope, facility, **euis())


def test_no_patient_is_registered_at_a_deactivated_facility(scope: Scope, facility: Facility) -> None:
    Facility.objects.filter(pk=facility.pk).update(is_active=False)
    facility.refresh_from_db()
    errors = refused(scope, facility, **euis())
    assert "deactivated" in " ".join(errors["facility"])
    assert not Patient.objects.exists()
