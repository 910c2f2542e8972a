"""Clinical fixtures: patients, and clinicians whose professional record the engine reads.

Credentials are written straight to the tables (their services are tested in tests/workforce):
here the engine is fed known facts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.clinical.models import AdministrativeSex, Encounter, EncounterKind, Patient
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope, resolve_scope
from nyeri.workforce.kinds import Citizenship, CredentialKind, CredentialStatus
from nyeri.workforce.models import Credential, Person, PersonFacility, PersonRole
from tests.conftest import MakeMember, log_in

MakePerson = Callable[..., Person]


def make_patient(
    org: Organization, facility: Facility, mrn: str, name: str, sex: str = AdministrativeSex.MALE
) -> Patient:
    return Patient.objects.create(
        organization=org, registered_at=facility, mrn=mrn, full_name=name, birth_date=date(1970, 1, 2), sex=sex
    )


def scope_of(user: User) -> Scope:
    scope = resolve_scope(user)
    assert scope is not None
    return scope


@pytest.fixture
def patient(org: Organization, facility: Facility) -> Patient:
    return make_patient(org, facility, "RM-1", "Dadang Suryana")


@pytest.fixture
def female_patient(org: Organization, facility: Facility) -> Patient:
    return make_patient(org, facility, "RM-2", "Ratna Dewi", AdministrativeSex.FEMALE)


@pytest.fixture
def foreign_patient(other_org: Organization, other_facility: Facility) -> Patient:
    return make_patient(other_org, other_facility, "RM-1", "Orang Lain")


def credential(person: Person, kind: CredentialKind, **fields: Any) -> Credential:
    values: dict[str, Any] = {
        "organization": person.organization,
        "person": person,
        "kind": kind,
        "status": CredentialStatus.VERIFIED,
        "issuer": "Konsil Kesehatan Indonesia",
        "number": f"{kind[:3].upper()}-{Credential.objects.count() + 1}",
        "issued_on": date(2024, 1, 1),
    }
    values.update(fields)
    return Credential.objects.create(**values)


@pytest.fixture
def make_person(org: Organization, facility: Facility) -> MakePerson:
    """A professional record with ``roles`` at ``facility``; ``licensed``: a lifetime STR and a SIP here."""

    def make(
        *roles: Role, name: str = "Siti", user: User | None = None, licensed: bool = True, sip: bool = True
    ) -> Person:
        person = Person.objects.create(organization=org, user=user, full_name=name, citizenship=Citizenship.CITIZEN)
        PersonRole.objects.bulk_create([PersonRole(organization=org, person=person, role=r) for r in roles])
        PersonFacility.objects.create(organization=org, person=person, facility=facility)
        if licensed:
            credential(person, CredentialKind.REGISTRATION)
            if sip:
                credential(
                    person,
                    CredentialKind.PRACTICE_PERMIT,
                    facility=facility,
                    issuer="DPMPTSP Kota Bandung",
                    issuer_regency_code=facility.regency_code,
                    expires_on=date.today() + timedelta(days=3 * 365),
                )
        return person

    return make


@pytest.fixture
def clinician(org: Organization, facility: Facility, make_member: MakeMember, make_person: MakePerson) -> User:
    """A nurse with a professional record, an STR and a SIP for the facility: may record assessments."""
    user = make_member(org, Role.NURSE, username="siti")
    make_person(Role.NURSE, name="Siti Aminah", user=user)
    return user


@pytest.fixture
def clinician_scope(clinician: User) -> Scope:
    return scope_of(clinician)


@pytest.fixture
def clinician_client(clinician: User) -> Client:
    return log_in(Client(), clinician)


@pytest.fixture
def unlicensed_nurse(org: Organization, make_member: MakeMember, make_person: MakePerson) -> User:
    """A nurse with an STR but no practice permit (SIP) for the facility."""
    user = make_member(org, Role.NURSE, username="wati")
    make_person(Role.NURSE, name="Wati", user=user, sip=False)
    return user


@pytest.fixture
def encounter(clinician: User, patient: Patient, facility: Facility) -> Encounter:
    return Encounter.objects.create(
        organization=patient.organization,
        patient=patient,
        facility=facility,
        kind=EncounterKind.FOLLOW_UP,
        starts_at=timezone.now() - timedelta(hours=2),
        created_by=clinician,
    )
