"""Prescription fixtures: prescribers with and without a controlled-drug authorisation, a nurse,
patients in two organizations, and a real second factor.

People and credentials are written straight to the tables (their services are tested in
tests/workforce); the requirements engine decides from them as it would in the clinic.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpRequest
from django.test import Client, RequestFactory
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from nyeri.accounts.models import User
from nyeri.accounts.session_keys import SESSION_PASSWORD_AT, SESSION_SECOND_FACTOR_AT
from nyeri.clinical.models import AdministrativeSex, Patient
from nyeri.prescriptions import services
from nyeri.prescriptions.items import ItemIn
from nyeri.prescriptions.models import Prescription
from nyeri.prescriptions.signing import SessionSecondFactor
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope, resolve_scope
from nyeri.workforce.kinds import CheckKind, CheckResult, Citizenship, CredentialKind, CredentialStatus
from nyeri.workforce.models import Credential, Person, PersonFacility, PersonRole
from tests.accounts_fixtures import give_second_factor, totp_code
from tests.conftest import MakeMember, log_in


def staff(
    make_member: MakeMember,
    org: Organization,
    facility: Facility,
    role: Role,
    username: str,
    *,
    licensed: bool = True,
    controlled: bool = False,
    sip_expired: bool = False,
    check: str = CheckKind.CRIMINAL_RECORD,
) -> User:
    """A member with ``role`` and a professional record at ``facility``: an STR and a SIP there,
    and for ``controlled`` a controlled-drug authorisation and a passed police check."""
    user = make_member(org, role, username=username, language="en")
    person = Person.objects.create(
        organization=org, user=user, full_name=f"dr. {username.title()}", citizenship=Citizenship.CITIZEN
    )
    PersonRole.objects.create(organization=org, person=person, role=role)
    PersonFacility.objects.create(organization=org, person=person, facility=facility)
    today = timezone.localdate()
    common: dict[str, Any] = {"organization": org, "person": person, "status": CredentialStatus.VERIFIED}
    if licensed:
        Credential.objects.create(
            **common,
            kind=CredentialKind.REGISTRATION,
            number=f"STR-{username}",
            issuer="Konsil Kesehatan Indonesia",
            issued_on=date(2020, 1, 1),
        )
        Credential.objects.create(
            **common,
            kind=CredentialKind.PRACTICE_PERMIT,
            number=f"SIP-{username}",
            issuer="DPMPTSP Kota Bandung",
            issued_on=today - timedelta(days=5 * 365 if sip_expired else 365),
            expires_on=today - timedelta(days=3) if sip_expired else today + timedelta(days=4 * 365),
            facility=facility,
            issuer_regency_code=facility.regency_code,
        )
    if controlled:
        Credential.objects.create(
            **common,
            kind=CredentialKind.CONTROLLED_AUTHORISATION,
            number=f"KEW-{username}",
            issuer="Komite Medik",
            issued_on=today - timedelta(days=100),
            expires_on=today + timedelta(days=600),
        )
        Credential.objects.create(
            **common,
            kind=CredentialKind.BACKGROUND_CHECK,
            number=f"SKCK-{username}",
            issuer="Polrestabes Bandung",
            # A week old: well inside the shortest validity any pack asks for (the US
            # exclusion-list check, one month), whatever the length of last month.
            issued_on=today - timedelta(days=7),
            check_kind=check,
            check_result=CheckResult.PASSED,
            valid_months=12,
        )
    return user


@pytest.fixture
def physician(make_member: MakeMember, org: Organization, facility: Facility) -> User:
    """A pain physician who may prescribe controlled drugs here."""
    return staff(make_member, org, facility, Role.PAIN_PHYSICIAN, "andi", controlled=True)


@pytest.fixture
def gp(make_member: MakeMember, org: Organization, facility: Facility) -> User:
    """A general practitioner licensed here, without a controlled-drug authorisation."""
    return staff(make_member, org, facility, Role.GENERAL_PRACTITIONER, "fajar")


@pytest.fixture
def licensed_nurse(make_member: MakeMember, org: Organization, facility: Facility) -> User:
    return staff(make_member, org, facility, Role.NURSE, "siti")


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
        birth_date=date(1968, 5, 17),
        sex=AdministrativeSex.FEMALE,
    )


@pytest.fixture
def patient(org: Organization, facility: Facility) -> Patient:
    return make_patient(org, facility, "RM-1", "Euis Komalasari")


@pytest.fixture
def foreign_patient(other_org: Organization, other_facility: Facility) -> Patient:
    return make_patient(other_org, other_facility, "RM-1", "Orang Lain")


def item(medication: str, dose: Any = 1, doses_per_day: Any = 2, days: Any = 14, **extra: Any) -> ItemIn:
    return ItemIn(medication=medication, dose=dose, doses_per_day=doses_per_day, days=days, **extra)


def new_key() -> str:
    return uuid.uuid4().hex


MakeDraft = Callable[..., Prescription]


@pytest.fixture
def make_draft() -> MakeDraft:
    def make(user: User, patient: Patient, *items: ItemIn, key: str | None = None) -> Prescription:
        written = services.create_prescription(
            scope=scope_of(user), acting_user=user, patient=patient, items=list(items), idempotency_key=key or new_key()
        )
        return written.prescription

    return make


@pytest.fixture
def device(physician: User) -> TOTPDevice:
    found, _codes = give_second_factor(physician)
    return found


def fresh_request(user: User, *, password_age: float = 0, factor_age: float = 0) -> HttpRequest:
    """A request whose session says the password and second factor were entered this long ago (seconds)."""
    request = RequestFactory().post("/sign/")
    request.user = user
    request.session = SessionStore()
    now = timezone.now().timestamp()
    request.session[SESSION_PASSWORD_AT] = now - password_age
    request.session[SESSION_SECOND_FACTOR_AT] = now - factor_age
    return request


def code_factor(user: User, device: TOTPDevice, **ages: float) -> SessionSecondFactor:
    return SessionSecondFactor(fresh_request(user, **ages), totp_code(device))


def client_of(user: User) -> Client:
    return log_in(Client(HTTP_ACCEPT_LANGUAGE="en"), user)
