"""Imaging fixtures: a hospital with X-ray and C-arm, a clinic with ultrasound only, their staff
(licensed at their own facility, memberships limited to it), and patients in two organizations.

People and credentials are written straight to the tables (their services are tested in
tests/workforce); the equipment is added through the facilities app's own services.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.clinical.models import Patient
from nyeri.facilities.models import Equipment
from nyeri.facilities.services import add_equipment
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope, resolve_scope
from nyeri.workforce.kinds import Citizenship, CredentialKind, Specialty
from nyeri.workforce.models import Person, PersonFacility, PersonRole
from tests.conftest import MakeMember, log_in
from tests.procedures.conftest import credential, make_patient


def scope_of(user: User) -> Scope:
    scope = resolve_scope(user)
    assert scope is not None
    return scope


@dataclass
class Staff:
    user: User
    person: Person

    @property
    def scope(self) -> Scope:
        return scope_of(self.user)

    def client(self) -> Client:
        return log_in(Client(), self.user)


MakeStaff = Callable[..., Staff]


@pytest.fixture(autouse=True)
def private_storage(settings: object, tmp_path: Path) -> Path:
    root = tmp_path / "private"
    root.mkdir()
    settings.PRIVATE_STORAGE_ROOT = root  # type: ignore[attr-defined]
    return root


@pytest.fixture
def clinic(org: Organization) -> Facility:
    """A stand-alone clinic with ultrasound only (no X-ray, no C-arm)."""
    return Facility.objects.create(
        organization=org,
        name="Klinik Nyeri Sumedang",
        code="klinik-sumedang",
        kind=Facility.Kind.PAIN_CLINIC,
        province="Jawa Barat",
        regency="Kabupaten Sumedang",
        regency_code="32.11",
    )


@pytest.fixture
def make_staff(make_member: MakeMember, org: Organization, facility: Facility) -> MakeStaff:
    """A member holding ``role`` limited to ``at`` (default the hospital), licensed there (STR + SIP)."""

    def make(
        role: Role,
        username: str,
        *,
        at: Facility | None = None,
        sip_expired: bool = False,
        residency: Specialty | None = None,
        language: str = "en",
    ) -> Staff:
        place = at or facility
        user = make_member(org, role, username=username, facilities=(place,), language=language)
        person = Person.objects.create(
            organization=org, user=user, full_name=username.replace("_", " ").title(), citizenship=Citizenship.CITIZEN
        )
        PersonRole.objects.create(organization=org, person=person, role=role)
        PersonFacility.objects.create(organization=org, person=person, facility=place)
        today = timezone.localdate()
        credential(person, CredentialKind.REGISTRATION)
        credential(
            person,
            CredentialKind.PRACTICE_PERMIT,
            facility=place,
            issuer="DPMPTSP",
            issuer_regency_code=place.regency_code,
            issued_on=today - timedelta(days=5 * 365),
            expires_on=today - timedelta(days=3) if sip_expired else today + timedelta(days=3 * 365),
        )
        if residency is not None:
            credential(person, CredentialKind.RESIDENCY, specialty=residency, issuer="Kolegium")
        return Staff(user, person)

    return make


@pytest.fixture
def admin(make_member: MakeMember, org: Organization) -> User:
    return make_member(org, Role.ADMINISTRATOR, username="admin_rina")


AddUnit = Callable[[str, Facility], Equipment]


@pytest.fixture
def add_unit(admin: User) -> AddUnit:
    def add(kind: str, at: Facility) -> Equipment:
        return add_equipment(
            scope=scope_of(admin), acting_user=admin, facility=at, kind=kind, model_name=f"Demo {kind}"
        )

    return add


@pytest.fixture
def equipment(add_unit: AddUnit, facility: Facility, clinic: Facility) -> None:
    """The hospital: X-ray, C-arm, ultrasound. The clinic: ultrasound only."""
    for kind in ("xray", "c_arm", "ultrasound"):
        add_unit(kind, facility)
    add_unit("ultrasound", clinic)


@pytest.fixture
def hospital_doctor(make_staff: MakeStaff) -> Staff:
    return make_staff(Role.PAIN_PHYSICIAN, "dr_andi", residency=Specialty.ANESTHESIOLOGY)


@pytest.fixture
def clinic_doctor(make_staff: MakeStaff, clinic: Facility) -> Staff:
    return make_staff(Role.GENERAL_PRACTITIONER, "dr_fajar", at=clinic)


@pytest.fixture
def radiographer(make_staff: MakeStaff) -> Staff:
    return make_staff(Role.RADIOGRAPHER, "dedi_rad")


@pytest.fixture
def hospital_patient(org: Organization, facility: Facility) -> Patient:
    return make_patient(org, facility, "RM-1", "Euis Komariah")


@pytest.fixture
def clinic_patient(org: Organization, clinic: Facility) -> Patient:
    return make_patient(org, clinic, "RM-2", "Asep Saepudin")


@pytest.fixture
def foreign_patient(other_org: Organization, other_facility: Facility) -> Patient:
    return make_patient(other_org, other_facility, "RM-9", "Orang Lain")


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
