"""Facility fixtures: members of two organizations, staff with credentials, equipment.

People and credentials are written straight to the tables (their services are tested in
tests/workforce); the requirements engine decides from them as it does in the clinic.
Facility profiles and equipment are written through the services under test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, time, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from nyeri.accounts.models import User
from nyeri.accounts.services import create_api_token
from nyeri.facilities import services
from nyeri.facilities.models import Equipment, FacilityProfile
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope, resolve_scope
from nyeri.workforce.kinds import Citizenship, CredentialKind, CredentialStatus, Specialty
from nyeri.workforce.models import Credential, Person, PersonFacility, PersonRole
from tests.accounts_fixtures import give_second_factor, verify
from tests.conftest import MakeMember, log_in

WEEKDAYS = (1, 2, 3, 4, 5)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Services and selectors speak the active language: English here, so the messages read as written.

    (Pages choose their own language from the request.)
    """
    with translation.override("en"):
        yield


def scope_of(user: User) -> Scope:
    scope = resolve_scope(user)
    assert scope is not None
    return scope


def hours(days: tuple[int, ...], opens: str, closes: str) -> list[tuple[int, time, time]]:
    return [(d, time.fromisoformat(opens), time.fromisoformat(closes)) for d in days]


def client_of(user: User, language: str = "en") -> Client:
    """A logged-in client; an administrator also passes the second factor, as at the clinic."""
    client = log_in(Client(HTTP_ACCEPT_LANGUAGE=language), user)
    if Role.ADMINISTRATOR in scope_of(user).roles:
        device = user.totpdevice_set.first()
        if device is None:
            device, _codes = give_second_factor(user)
        verify(client, device)
    return client


def bearer(user: User) -> dict[str, str]:
    _token, secret = create_api_token(acting_user=user, name="tests", expires_in_days=None)
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def admin(org: Organization, make_member: MakeMember) -> User:
    return make_member(org, Role.ADMINISTRATOR, username="admin_rina", language="en")


@pytest.fixture
def admin_scope(admin: User) -> Scope:
    return scope_of(admin)


@pytest.fixture
def officer(org: Organization, make_member: MakeMember) -> User:
    return make_member(org, Role.CREDENTIALING_OFFICER, username="officer_dewi", language="en")


@pytest.fixture
def member_nurse(org: Organization, make_member: MakeMember) -> User:
    return make_member(org, Role.NURSE, username="ns_wulan", language="en")


@pytest.fixture
def technician(org: Organization, make_member: MakeMember) -> User:
    return make_member(org, Role.MEDICAL_TECHNICIAN, username="tek_iwan", language="en")


@pytest.fixture
def other_admin(other_org: Organization, make_member: MakeMember) -> User:
    return make_member(other_org, Role.ADMINISTRATOR, username="admin_lain", language="en")


MakeStaff = Callable[..., Person]


def add_credential(person: Person, kind: CredentialKind, **fields: Any) -> Credential:
    values: dict[str, Any] = {
        "organization": person.organization,
        "person": person,
        "kind": kind,
        "status": CredentialStatus.VERIFIED,
        "issuer": "Konsil Kesehatan Indonesia",
        "issued_on": date(2020, 1, 1),
    }
    values.update(fields)
    return Credential.objects.create(**values)


@pytest.fixture
def make_staff(org: Organization, facility: Facility) -> MakeStaff:
    """A professional working at ``facilities`` (default: the facility), licensed there unless told otherwise.

    ``permit``: "valid" (STR and a SIP for each facility), "expired" (the SIP ended last
    month), "pending" (the SIP waits for verification) or "none".
    ``specialties``: residencies (anesthesiology, ...); ``fellowship``: a pain fellowship.
    """

    def make(
        role: Role,
        name: str,
        *,
        facilities: tuple[Facility, ...] | None = None,
        permit: str = "valid",
        residency: Specialty | None = None,
        fellowship: bool = False,
    ) -> Person:
        places = facilities if facilities is not None else (facility,)
        organization = places[0].organization
        person = Person.objects.create(organization=organization, full_name=name, citizenship=Citizenship.CITIZEN)
        PersonRole.objects.create(organization=organization, person=person, role=role)
        for place in places:
            PersonFacility.objects.create(organization=organization, person=person, facility=place)
        today = timezone.localdate()
        add_credential(person, CredentialKind.REGISTRATION)
        for place in places:
            permit_fields: dict[str, Any] = {
                "facility": place,
                "issuer": "DPMPTSP",
                "issuer_regency_code": place.regency_code,
                "issued_on": today - timedelta(days=400),
                "expires_on": today + timedelta(days=4 * 365),
            }
            if permit == "expired":
                permit_fields.update(issued_on=today - timedelta(days=5 * 365), expires_on=today - timedelta(days=30))
            if permit == "pending":
                permit_fields["status"] = CredentialStatus.SUBMITTED
            if permit != "none":
                add_credential(person, CredentialKind.PRACTICE_PERMIT, **permit_fields)
        if residency is not None:
            add_credential(person, CredentialKind.RESIDENCY, specialty=residency, issuer="Kolegium")
        if fellowship:
            add_credential(person, CredentialKind.FELLOWSHIP, specialty=Specialty.PAIN_MANAGEMENT, issuer="Kolegium")
        return person

    return make


def describe(
    admin_scope: Scope,
    admin: User,
    facility: Facility,
    *,
    opening: list[tuple[int, time, time]] | None = None,
    **sizes: int,
) -> FacilityProfile:
    values = {
        "consultation_rooms": 2,
        "procedure_rooms": 1,
        "recovery_beds": 2,
        "planned_visits_per_week": 120,
        "sedation_room_days_per_week": 2,
    }
    values.update(sizes)
    return services.save_facility_profile(
        scope=admin_scope,
        acting_user=admin,
        facility=facility,
        opening_hours=opening if opening is not None else hours(WEEKDAYS, "08:00", "16:00"),
        **values,
    )


def unit(admin_scope: Scope, admin: User, facility: Facility, kind: str, **fields: Any) -> Equipment:
    values: dict[str, Any] = {"model_name": f"{kind} model", "serial_number": ""}
    values.update(fields)
    return services.add_equipment(scope=admin_scope, acting_user=admin, facility=facility, kind=kind, **values)
