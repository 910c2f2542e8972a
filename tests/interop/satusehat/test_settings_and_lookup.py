"""An organization's SATUSEHAT settings (administrators, encrypted secret) and the lookup of a patient's IHS number."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection as db_connection
from django.http import Http404

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.clinical.models import AdministrativeSex, Patient, PatientEdit
from nyeri.interop.models import SatusehatSettings
from nyeri.interop.satusehat import secrets
from nyeri.interop.satusehat.client import Refused
from nyeri.interop.satusehat.fake_server import FakeSatusehat
from nyeri.interop.satusehat.selectors import connection_for, satusehat_settings
from nyeri.interop.satusehat.services import link_patient_ihs_number, save_satusehat_settings
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope, resolve_scope
from tests.conftest import MakeMember
from tests.interop.conftest import make_patient
from tests.interop.satusehat.conftest import PATIENT_IHS, PATIENT_NIK

SECRET = "s3cr3t-given-by-kemenkes-0042"


def scope_of(user: User) -> Scope:
    scope = resolve_scope(user)
    assert scope is not None
    return scope


@pytest.fixture
def admin(org: Organization, make_member: MakeMember) -> User:
    return make_member(org, Role.ADMINISTRATOR, username="admin")


@pytest.fixture
def connected(admin: User, fake_satusehat: FakeSatusehat, settings: Any) -> SatusehatSettings:
    settings.SATUSEHAT_BASE_URLS = {"staging": fake_satusehat.base_url, "production": "https://invalid.example"}
    settings.SATUSEHAT_TIMEOUT_SECONDS = 2
    return save_satusehat_settings(
        scope=scope_of(admin),
        acting_user=admin,
        environment="staging",
        satusehat_organization_id="100026342",
        client_id=fake_satusehat.client_id,
        client_secret=fake_satusehat.client_secret,
    )


def save(user: User, **changes: str) -> SatusehatSettings:
    values = {
        "environment": "staging",
        "satusehat_organization_id": "100026342",
        "client_id": "nyeri-client",
        "client_secret": SECRET,
    } | changes
    return save_satusehat_settings(scope=scope_of(user), acting_user=user, **values)


def test_the_secret_is_stored_encrypted_and_never_audited(admin: User, org: Organization) -> None:
    row = save(admin)

    with db_connection.cursor() as cursor:
        cursor.execute("SELECT client_secret_encrypted FROM interop_satusehatsettings WHERE id = %s", [row.pk])
        (raw,) = cursor.fetchone()
    assert SECRET not in raw
    assert secrets.decrypt(raw) == SECRET
    event = AuditEvent.objects.get(organization=org, object_type="satusehat_settings")
    assert event.action == AuditAction.CREATE
    assert event.actor == admin
    assert SECRET not in event.reason


def test_the_settings_are_shown_with_the_secret_masked(admin: User) -> None:
    save(admin)

    shown = satusehat_settings(scope_of(admin))

    assert shown is not None
    assert SECRET not in shown.client_secret_masked
    assert shown.client_secret_masked.endswith("0042")
    assert shown.base_url.startswith("https://")


def test_a_blank_secret_keeps_the_stored_one(admin: User, org: Organization) -> None:
    save(admin)
    save(admin, environment="production", client_secret="")

    found = connection_for(org)
    assert found is not None
    assert found.client_secret == SECRET
    assert AuditEvent.objects.filter(organization=org, action=AuditAction.UPDATE).count() == 1


def test_the_first_settings_without_a_secret_are_refused_naming_the_field(admin: User) -> None:
    with pytest.raises(ValidationError) as refused:
        save(admin, client_secret="")

    assert "client_secret" in refused.value.message_dict
    assert not SatusehatSettings.objects.exists()


def test_an_unknown_environment_is_refused_naming_the_field(admin: User) -> None:
    with pytest.raises(ValidationError) as refused:
        save(admin, environment="sandbox")

    assert "environment" in refused.value.message_dict
    assert not SatusehatSettings.objects.exists()


def test_a_missing_client_id_is_refused_naming_the_field(admin: User) -> None:
    with pytest.raises(ValidationError) as refused:
        save(admin, client_id=" ")

    assert "client_id" in refused.value.message_dict


def test_a_nurse_may_not_change_the_settings_and_the_refusal_is_audited(nurse: User, org: Organization) -> None:
    with pytest.raises(PermissionDenied):
        save(nurse)

    assert not SatusehatSettings.objects.exists()
    assert AuditEvent.objects.filter(
        organization=org, outcome=AuditOutcome.DENIED, object_type="satusehat_settings"
    ).exists()


def test_each_organization_has_its_own_settings(admin: User, other_org: Organization, make_member: MakeMember) -> None:
    save(admin)
    other_admin = make_member(other_org, Role.ADMINISTRATOR, username="other")

    assert satusehat_settings(scope_of(other_admin)) is None
    save(other_admin, client_secret="another-secret-1234")
    assert SatusehatSettings.objects.count() == 2


def test_the_lookup_by_nik_stores_the_ihs_number_on_the_patient(
    connected: SatusehatSettings, admin: User, org: Organization, facility: Facility
) -> None:
    patient = make_patient(org, facility, "RM-1", "Budi Santoso", nik=PATIENT_NIK)

    assert link_patient_ihs_number(scope=scope_of(admin), acting_user=admin, patient_id=patient.pk) == PATIENT_IHS

    patient.refresh_from_db()
    assert patient.ihs_number == PATIENT_IHS
    edit = PatientEdit.objects.get(patient=patient)
    assert edit.reason == "SATUSEHAT Master Patient Index"


def test_an_unknown_nik_changes_nothing_and_is_audited(
    connected: SatusehatSettings, admin: User, org: Organization, facility: Facility
) -> None:
    patient = make_patient(org, facility, "RM-2", "Sri Wahyuni", nik="3273010101700009")

    assert link_patient_ihs_number(scope=scope_of(admin), acting_user=admin, patient_id=patient.pk) is None

    patient.refresh_from_db()
    assert patient.ihs_number == ""
    assert AuditEvent.objects.filter(patient_id=patient.pk, outcome=AuditOutcome.FAILURE).exists()


def test_a_patient_without_a_nik_is_refused_naming_the_field(
    connected: SatusehatSettings, admin: User, org: Organization, facility: Facility
) -> None:
    patient = Patient.objects.create(
        organization=org,
        registered_at=facility,
        mrn="RM-3",
        full_name="Bayi Ny. Ani",
        birth_date=date(2026, 11, 30),
        sex=AdministrativeSex.FEMALE,
        no_nik_reason="newborn",
        other_identifier_kind="mother_nik",
        other_identifier="3273010101700001",
    )

    with pytest.raises(ValidationError) as refused:
        link_patient_ihs_number(scope=scope_of(admin), acting_user=admin, patient_id=patient.pk)

    assert "nik" in refused.value.message_dict


def test_another_organizations_patient_is_not_found(
    connected: SatusehatSettings, admin: User, other_org: Organization, other_facility: Facility
) -> None:
    patient = make_patient(other_org, other_facility, "RM-9", "Orang Lain", nik=PATIENT_NIK)

    with pytest.raises(Http404):
        link_patient_ihs_number(scope=scope_of(admin), acting_user=admin, patient_id=patient.pk)

    patient.refresh_from_db()
    assert patient.ihs_number == ""


def test_a_lookup_without_settings_is_refused(admin: User, org: Organization, facility: Facility) -> None:
    patient = make_patient(org, facility, "RM-4", "Budi Santoso", nik=PATIENT_NIK)

    with pytest.raises(ValidationError) as refused:
        link_patient_ihs_number(scope=scope_of(admin), acting_user=admin, patient_id=patient.pk)

    assert "satusehat" in refused.value.message_dict


def test_changed_credentials_are_used_at_once(
    connected: SatusehatSettings, admin: User, org: Organization, facility: Facility
) -> None:
    patient = make_patient(org, facility, "RM-5", "Budi Santoso", nik=PATIENT_NIK)
    save(admin, client_id="nyeri-client", client_secret="a-wrong-secret-9999")

    with pytest.raises(Refused):
        link_patient_ihs_number(scope=scope_of(admin), acting_user=admin, patient_id=patient.pk)


def test_an_ihs_number_another_patient_has_is_refused_naming_the_field(
    connected: SatusehatSettings, admin: User, org: Organization, facility: Facility
) -> None:
    earlier = make_patient(org, facility, "RM-6", "Budi S.", nik="3273010101700002")
    Patient.objects.filter(pk=earlier.pk).update(ihs_number=PATIENT_IHS)
    patient = make_patient(org, facility, "RM-7", "Budi Santoso", nik=PATIENT_NIK)

    with pytest.raises(ValidationError) as refused:
        link_patient_ihs_number(scope=scope_of(admin), acting_user=admin, patient_id=patient.pk)

    assert "ihs_number" in refused.value.message_dict
    patient.refresh_from_db()
    assert patient.ihs_number == ""
