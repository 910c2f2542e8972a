"""Demographics are edited with a history: who, when, before and after per field; never silently overwritten."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.models import Patient, PatientEdit, PatientFieldChange
from nyeri.clinical.services import DuplicatePatient, StaleEdit, update_patient
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from tests.conftest import MakeMember
from tests.patients.conftest import asep, euis, register, scope_of


@pytest.fixture
def patient(scope: Scope, facility: Facility) -> Patient:
    return register(scope, facility, **euis())


def test_an_edit_keeps_who_when_and_each_field_before_and_after(scope: Scope, patient: Patient) -> None:
    updated = update_patient(
        scope=scope,
        acting_user=scope.user,
        patient_id=patient.pk,
        changes={"phone": "0813 0000 1111", "address": "Jl. Riau No. 3", "regency_code": "32.77"},
        version=1,
        reason="moved house",
    )
    assert (updated.version, updated.regency) == (2, "Kota Cimahi")
    edit = PatientEdit.objects.get()
    assert (edit.edited_by, edit.version, edit.reason) == (scope.user, 2, "moved house")
    changes = {c.field: (c.before, c.after) for c in PatientFieldChange.objects.filter(edit=edit)}
    assert changes == {
        "phone": ("0812 3456 7890", "0813 0000 1111"),
        "address": ("Jl. Dago No. 12", "Jl. Riau No. 3"),
        "regency_code": ("32.73", "32.77"),
    }
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_type="patient")
    assert event.patient_id == patient.pk
    assert "0813" not in event.reason  # field names, not values


def test_an_edit_of_an_older_version_is_refused(scope: Scope, patient: Patient) -> None:
    update_patient(scope=scope, acting_user=scope.user, patient_id=patient.pk, changes={"phone": "0811 1"}, version=1)
    with pytest.raises(StaleEdit):
        update_patient(
            scope=scope, acting_user=scope.user, patient_id=patient.pk, changes={"phone": "0811 2"}, version=1
        )
    assert Patient.objects.get().phone == "0811 1"
    assert PatientEdit.objects.count() == 1


def test_an_edit_is_checked_like_a_registration(scope: Scope, facility: Facility, patient: Patient) -> None:
    with pytest.raises(ValidationError) as exc:
        update_patient(
            scope=scope, acting_user=scope.user, patient_id=patient.pk, changes={"birth_date": date(1961, 4, 13)}
        )
    assert list(exc.value.message_dict) == ["birth_date"]
    other = register(scope, facility, **asep())
    with pytest.raises(DuplicatePatient):
        update_patient(
            scope=scope,
            acting_user=scope.user,
            patient_id=other.pk,
            changes={
                "full_name": "euis komariah",
                "birth_date": date(1961, 4, 12),
                "sex": "female",
                "nik": "",
                "no_nik_reason": "unknown",
                "other_identifier_kind": "other",
                "other_identifier": "KK-1",
            },
        )
    assert not PatientEdit.objects.exists()


def test_an_edit_that_changes_nothing_writes_nothing(scope: Scope, patient: Patient) -> None:
    update_patient(scope=scope, acting_user=scope.user, patient_id=patient.pk, changes={"phone": patient.phone})
    assert not PatientEdit.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.UPDATE).exists()


def test_another_organizations_patient_is_not_found(
    patient: Patient, other_org: Organization, make_member: MakeMember
) -> None:
    stranger = make_member(other_org, Role.NURSE)
    with pytest.raises(Http404):
        update_patient(scope=scope_of(stranger), acting_user=stranger, patient_id=patient.pk, changes={"phone": "1"})


def test_the_edit_page_saves_and_shows_the_history(nurse: User, nurse_client: Client, patient: Patient) -> None:
    page = nurse_client.get(f"/patients/{patient.pk}/edit/")
    assert page.status_code == 200
    form = {
        "full_name": patient.full_name,
        "nik": patient.nik,
        "birth_date": "1961-04-12",
        "sex": "female",
        "phone": "0877 1234 5678",
        "address": patient.address,
        "regency_code": "32.73",
        "version": "1",
        "reason": "new number",
    }
    response = nurse_client.post(f"/patients/{patient.pk}/edit/", form)
    assert response.status_code == 302
    shown = nurse_client.get(f"/patients/{patient.pk}/edit/").content.decode()
    assert "0877 1234 5678" in shown
    assert "0812 3456 7890" in shown
    assert 'data-testid="history-row"' in shown
    # The patient page shows the history too.
    assert 'data-testid="history-row"' in nurse_client.get(f"/patients/{patient.pk}/").content.decode()
    # The same form again (version 1): refused, not overwritten.
    stale = nurse_client.post(f"/patients/{patient.pk}/edit/", {**form, "phone": "0899"})
    assert stale.status_code == 200
    assert Patient.objects.get().phone == "0877 1234 5678"


def test_a_member_limited_to_another_facility_may_not_edit_the_patient(
    patient: Patient, org: Organization, make_member: MakeMember
) -> None:
    branch = Facility.objects.create(
        organization=org,
        name="Klinik Cabang",
        code="cabang",
        kind=Facility.Kind.PAIN_CLINIC,
        province="Jawa Barat",
        regency="Kota Cimahi",
        regency_code="32.77",
    )
    branch_nurse = make_member(org, Role.NURSE, facilities=(branch,))
    with pytest.raises(PermissionDenied):
        update_patient(
            scope=scope_of(branch_nurse), acting_user=branch_nurse, patient_id=patient.pk, changes={"phone": "0811"}
        )
    assert not PatientEdit.objects.exists()
