"""Diagnosis fixtures: a licensed physician, a licensed nurse, patients in two organizations.

People and credentials are written straight to the tables (their services are tested in
tests/workforce); the requirements engine decides from them as it would in the clinic.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.clinical.diagnoses import services
from nyeri.clinical.diagnoses.models import Diagnosis
from nyeri.clinical.models import AdministrativeSex, Patient
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope, resolve_scope
from nyeri.workforce.kinds import Citizenship, CredentialKind, CredentialStatus
from nyeri.workforce.models import Credential, Person, PersonFacility, PersonRole
from tests.conftest import MakeMember, log_in


def licensed_staff(
    make_member: MakeMember, org: Organization, facility: Facility, role: Role, username: str, *, licensed: bool = True
) -> User:
    """A member with ``role`` and a professional record at ``facility``; with an STR and a SIP there."""
    user = make_member(org, role, username=username, language="en")
    person = Person.objects.create(
        organization=org, user=user, full_name=username.title(), citizenship=Citizenship.CITIZEN
    )
    PersonRole.objects.create(organization=org, person=person, role=role)
    PersonFacility.objects.create(organization=org, person=person, facility=facility)
    if licensed:
        today = timezone.localdate()
        common = {"organization": org, "person": person, "status": CredentialStatus.VERIFIED}
        Credential.objects.create(
            **common, kind=CredentialKind.REGISTRATION, issuer="Konsil Kesehatan Indonesia", issued_on=date(2020, 1, 1)
        )
        Credential.objects.create(
            **common,
            kind=CredentialKind.PRACTICE_PERMIT,
            issuer="DPMPTSP Kota Bandung",
            issued_on=today - timedelta(days=365),
            expires_on=today + timedelta(days=4 * 365),
            facility=facility,
            issuer_regency_code=facility.regency_code,
        )
    return user


@pytest.fixture
def physician(make_member: MakeMember, org: Organization, facility: Facility) -> User:
    return licensed_staff(make_member, org, facility, Role.PAIN_PHYSICIAN, "dr_budi")


@pytest.fixture
def licensed_nurse(make_member: MakeMember, org: Organization, facility: Facility) -> User:
    return licensed_staff(make_member, org, facility, Role.NURSE, "ns_siti")


def scope_of(user: User) -> Scope:
    scope = resolve_scope(user)
    assert scope is not None
    return scope


def make_patient(org: Organization, facility: Facility, mrn: str, name: str) -> Patient:
    return Patient.objects.create(
        organization=org,
        registered_at=facility,
        mrn=mrn,
        full_name=name,
        birth_date=date(1970, 1, 2),
        sex=AdministrativeSex.MALE,
    )


@pytest.fixture
def patient(org: Organization, facility: Facility) -> Patient:
    return make_patient(org, facility, "RM-1", "Dadang Suryana")


@pytest.fixture
def foreign_patient(other_org: Organization, other_facility: Facility) -> Patient:
    return make_patient(other_org, other_facility, "RM-1", "Orang Lain")


@pytest.fixture
def low_back_pain(physician: User, patient: Patient) -> Diagnosis:
    return services.record_diagnosis(
        scope=scope_of(physician),
        acting_user=physician,
        patient=patient,
        icd10_code="M54.5",
        body_site="lower_back",
        laterality="midline",
        onset_date=date(2024, 3, 1),
        suspected_cause="Facet joint arthropathy",
    )


def client_of(user: User) -> Client:
    return log_in(Client(HTTP_ACCEPT_LANGUAGE="en"), user)
