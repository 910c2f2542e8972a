"""Break-glass fixtures: a main facility and a branch of one organization, a nurse limited to
the branch, patients registered at the main facility, compliance officers of both organizations.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.clinical.models import AdministrativeSex, Encounter, EncounterKind, EncounterStatus, Patient
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope, resolve_scope
from tests.conftest import MakeMember, log_in


def scope_of(user: User) -> Scope:
    scope = resolve_scope(user)
    assert scope is not None
    return scope


def make_patient(org: Organization, facility: Facility, mrn: str, name: str, nik: str = "") -> Patient:
    return Patient.objects.create(
        organization=org,
        registered_at=facility,
        mrn=mrn,
        full_name=name,
        nik=nik,
        birth_date=date(1961, 8, 17),
        sex=AdministrativeSex.FEMALE,
    )


def visit(patient: Patient, facility: Facility, by: User, *, cancelled: bool = False) -> Encounter:
    start = timezone.now() - timedelta(days=3)
    return Encounter.objects.create(
        organization=patient.organization,
        patient=patient,
        facility=facility,
        kind=EncounterKind.FIRST_VISIT,
        status=EncounterStatus.CANCELLED if cancelled else EncounterStatus.FINISHED,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        created_by=by,
        cancelled_at=timezone.now() if cancelled else None,
        cancel_reason="did not come" if cancelled else "",
    )


@pytest.fixture
def branch(org: Organization) -> Facility:
    return Facility.objects.create(
        organization=org,
        name="Klinik Nyeri Cimahi",
        code="cimahi",
        kind=Facility.Kind.PAIN_CLINIC,
        province="Jawa Barat",
        regency="Kota Cimahi",
        regency_code="32.77",
    )


@pytest.fixture
def patient(org: Organization, facility: Facility) -> Patient:
    """Registered at the main facility, never seen at the branch."""
    return make_patient(org, facility, "RM-0042", "Sri Wahyuni", nik="3273015708610002")


@pytest.fixture
def foreign_patient(other_org: Organization, other_facility: Facility) -> Patient:
    return make_patient(other_org, other_facility, "RM-0042", "Orang Lain")


@pytest.fixture
def branch_nurse(org: Organization, branch: Facility, make_member: MakeMember) -> User:
    """A nurse whose membership is limited to the branch."""
    return make_member(org, Role.NURSE, username="ns_cimahi", facilities=(branch,), language="en")


@pytest.fixture
def main_nurse(org: Organization, make_member: MakeMember) -> User:
    """A nurse of the whole organization (membership not limited to facilities)."""
    return make_member(org, Role.NURSE, username="ns_pusat", language="en")


@pytest.fixture
def officers(org: Organization, make_member: MakeMember) -> list[User]:
    """Two compliance officers of the organization, with e-mail addresses."""
    found = [
        make_member(org, Role.COMPLIANCE_OFFICER, username="kepatuhan", language="en"),
        make_member(org, Role.COMPLIANCE_OFFICER, username="kepatuhan2", language="id"),
    ]
    for n, user in enumerate(found):
        user.email = f"officer{n}@sehat.example"
        user.save(update_fields=["email"])
    return found


@pytest.fixture
def foreign_officer(other_org: Organization, make_member: MakeMember) -> User:
    user = make_member(other_org, Role.COMPLIANCE_OFFICER, username="kepatuhan_lain", language="en")
    user.email = "officer@lain.example"
    user.save(update_fields=["email"])
    return user


@pytest.fixture
def branch_client(branch_nurse: User) -> Client:
    return log_in(Client(), branch_nurse)


@pytest.fixture
def officer_client(officers: list[User]) -> Client:
    return log_in(Client(), officers[0])


REASON = "Pasien datang ke IGD cabang dengan nyeri hebat; perlu riwayat blok saraf."
