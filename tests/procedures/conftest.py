"""Procedure fixtures: privileged and unprivileged physicians, an anesthesiologist, a nurse who
records, patients in two organizations, and the facility's equipment.

People and credentials are written straight to the tables (their services are tested in
tests/workforce); the requirements engine decides from them as it would in the clinic. The
equipment is added through the facilities app's own services, as an administrator would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.clinical.models import AdministrativeSex, Patient
from nyeri.facilities.models import Equipment
from nyeri.facilities.services import add_equipment, change_equipment_status
from nyeri.procedures import services
from nyeri.procedures.models import ProcedurePerformance, ProcedureRecord
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope, resolve_scope
from nyeri.workforce.kinds import Citizenship, CredentialKind, CredentialStatus, Specialty
from nyeri.workforce.models import Credential, Person, PersonFacility, PersonRole
from tests.conftest import MakeMember, log_in


def scope_of(user: User) -> Scope:
    scope = resolve_scope(user)
    assert scope is not None
    return scope


def credential(person: Person, kind: CredentialKind, **fields: Any) -> Credential:
    values: dict[str, Any] = {
        "organization": person.organization,
        "person": person,
        "kind": kind,
        "status": CredentialStatus.VERIFIED,
        "issuer": "Konsil Kesehatan Indonesia",
        "number": f"{kind[:3].upper()}-{Credential.objects.count() + 1}",
        "issued_on": date(2020, 1, 1),
    }
    values.update(fields)
    return Credential.objects.create(**values)


@dataclass
class Staff:
    user: User
    person: Person

    @property
    def scope(self) -> Scope:
        return scope_of(self.user)


MakeStaff = Callable[..., Staff]


@pytest.fixture
def make_staff(make_member: MakeMember, org: Organization, facility: Facility) -> MakeStaff:
    """A member with ``role`` and a professional record at ``facility``, licensed there (STR + SIP)."""

    def make(
        role: Role,
        username: str,
        *,
        residency: Specialty | None = None,
        fellowship: bool = False,
        board: bool = False,
        sip_expired: bool = False,
        at: Facility | None = None,
        language: str = "en",
    ) -> Staff:
        place = at or facility
        user = make_member(org, role, username=username, language=language)
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
            issuer="DPMPTSP Kota Bandung",
            issuer_regency_code=place.regency_code,
            issued_on=today - timedelta(days=5 * 365),
            expires_on=today - timedelta(days=3) if sip_expired else today + timedelta(days=3 * 365),
        )
        if residency is not None:
            credential(person, CredentialKind.RESIDENCY, specialty=residency, issuer="Kolegium")
        if fellowship:
            credential(person, CredentialKind.FELLOWSHIP, specialty=Specialty.PAIN_MANAGEMENT, issuer="Kolegium")
        if board:
            credential(
                person,
                CredentialKind.BOARD_CERTIFICATION,
                specialty=Specialty.ANESTHESIOLOGY,
                issuer="Kolegium",
                expires_on=today + timedelta(days=365),
            )
        return Staff(user, person)

    return make


@pytest.fixture
def physician(make_staff: MakeStaff) -> Staff:
    """A pain physician (Sp.An, KMN): may perform every procedure class."""
    return make_staff(Role.PAIN_PHYSICIAN, "dr_andi", residency=Specialty.ANESTHESIOLOGY, fellowship=True)


@pytest.fixture
def gp(make_staff: MakeStaff) -> Staff:
    """A general practitioner: landmark injections only."""
    return make_staff(Role.GENERAL_PRACTITIONER, "dr_fajar")


@pytest.fixture
def anesthesiologist(make_staff: MakeStaff) -> Staff:
    """An anesthesiologist (Sp.An, board certified): may give sedation and general anesthesia."""
    return make_staff(Role.ANESTHESIOLOGIST, "dr_bambang", residency=Specialty.ANESTHESIOLOGY, board=True)


@pytest.fixture
def nurse(make_staff: MakeStaff) -> Staff:
    """A nurse who records procedures (a clinical role; she performs none)."""
    return make_staff(Role.NURSE, "ns_siti")


@pytest.fixture
def radiographer(make_staff: MakeStaff) -> Staff:
    """A radiographer licensed here (STR + SIP): may operate the C-arm under fluoroscopy."""
    return make_staff(Role.RADIOGRAPHER, "dedi_rad")


@pytest.fixture
def admin(make_member: MakeMember, org: Organization) -> User:
    return make_member(org, Role.ADMINISTRATOR, username="admin_rina")


AddUnit = Callable[..., Equipment]


@pytest.fixture
def add_unit(admin: User, facility: Facility) -> AddUnit:
    """Add a unit of equipment to ``facility`` through the facilities services, as its administrator."""

    def add(kind: str, *, at: Facility | None = None, status: str = "in_service") -> Equipment:
        scope = scope_of(admin)
        unit = add_equipment(
            scope=scope, acting_user=admin, facility=at or facility, kind=kind, model_name=f"Demo {kind}"
        )
        if status != "in_service":
            unit = change_equipment_status(
                scope=scope, acting_user=admin, equipment=unit, status=status, reason="Tube replacement"
            )
        return unit

    return add


@pytest.fixture
def c_arm(add_unit: AddUnit) -> Equipment:
    return add_unit("c_arm")


@pytest.fixture
def ultrasound(add_unit: AddUnit) -> Equipment:
    return add_unit("ultrasound")


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
    return make_patient(org, facility, "RM-7", "Euis Komariah")


@pytest.fixture
def foreign_patient(other_org: Organization, other_facility: Facility) -> Patient:
    return make_patient(other_org, other_facility, "RM-7", "Orang Lain")


Order = Callable[..., ProcedureRecord]


@pytest.fixture
def order(physician: Staff, patient: Patient) -> Order:
    """Order a procedure for ``patient`` as the pain physician, whom the engine allows
    ``order_procedure`` (a transforaminal ESI, lower back, left by default)."""

    def make(**fields: Any) -> ProcedureRecord:
        values: dict[str, Any] = {
            "procedure_code": "esi_transforaminal",
            "body_site": "lower_back",
            "laterality": "left",
            "patient": patient,
        }
        values.update(fields)
        return services.order_procedure(scope=physician.scope, acting_user=physician.user, **values)

    return make


@pytest.fixture
def performed(
    order: Order, nurse: Staff, physician: Staff, radiographer: Staff, c_arm: Equipment
) -> ProcedurePerformance:
    """A transforaminal ESI at the left L5 performed ten minutes ago (the radiographer at the
    C-arm): pain 7 before, 2 after."""
    record = order()
    return services.record_performance(
        scope=nurse.scope,
        acting_user=nurse.user,
        record=record,
        performer=physician.person,
        imaging_operator=radiographer.person,
        performed_at=timezone.now() - timedelta(minutes=10),
        pain_before=7,
        pain_after=2,
    )


def client_of(user: User, language: str | None = None) -> Client:
    """A client logged in as ``user``; pages in the user's language, or in ``language`` when given."""
    client = log_in(Client(), user)
    if language is not None:
        client.post("/i18n/setlang/", {"language": language, "next": "/"})
    return client
