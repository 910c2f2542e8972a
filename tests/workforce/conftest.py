"""Workforce fixtures: people with credentials, written straight to the tables.

(Credential *services* are tested on their own; here the engine is fed known facts.)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.workforce.kinds import CheckKind, CheckResult, Citizenship, CredentialKind, CredentialStatus, Specialty
from nyeri.workforce.models import Credential, HoursEntry, Person, PersonFacility, PersonRole

MakePerson = Callable[..., Person]
AddCredential = Callable[..., Credential]


@pytest.fixture
def make_person(org: Organization, facility: Facility) -> MakePerson:
    def make(*roles: Role, name: str = "Siti", facilities: tuple[Facility, ...] | None = None) -> Person:
        person = Person.objects.create(organization=org, full_name=name, citizenship=Citizenship.CITIZEN)
        PersonRole.objects.bulk_create([PersonRole(organization=org, person=person, role=r) for r in roles])
        for f in facilities if facilities is not None else (facility,):
            PersonFacility.objects.create(organization=org, person=person, facility=f)
        return person

    return make


@pytest.fixture
def add_credential(org: Organization) -> AddCredential:
    def add(person: Person, kind: CredentialKind, **fields: Any) -> Credential:
        values: dict[str, Any] = {
            "organization": org,
            "person": person,
            "kind": kind,
            "status": CredentialStatus.VERIFIED,
            "issuer": "Konsil Kesehatan Indonesia",
            "number": f"{kind[:3].upper()}-{Credential.objects.count() + 1}",
            "issued_on": date(2024, 1, 1),
        }
        values.update(fields)
        return Credential.objects.create(**values)

    return add


@pytest.fixture
def licensed(facility: Facility, add_credential: AddCredential) -> Callable[[Person], tuple[Credential, Credential]]:
    """Give a person a lifetime STR and a SIP for ``facility`` valid to the end of 2028."""

    def give(person: Person) -> tuple[Credential, Credential]:
        str_ = add_credential(person, CredentialKind.REGISTRATION)
        sip = add_credential(
            person,
            CredentialKind.PRACTICE_PERMIT,
            facility=facility,
            issuer="DPMPTSP Kota Bandung",
            issuer_regency_code=facility.regency_code,
            expires_on=date(2028, 12, 31),
        )
        return str_, sip

    return give


def passed_check(add_credential: AddCredential, person: Person, on: date) -> Credential:
    return add_credential(
        person,
        CredentialKind.BACKGROUND_CHECK,
        issuer="Polres Bandung",
        issued_on=on,
        check_kind=CheckKind.CRIMINAL_RECORD,
        check_result=CheckResult.PASSED,
        valid_months=12,
    )


def hours(person: Person, facility: Facility, on: date, amount: str) -> HoursEntry:
    return HoursEntry.objects.create(
        organization=person.organization,
        person=person,
        facility=facility,
        worked_on=on,
        hours=Decimal(amount),
        source="manual",
        status="verified",
    )


__all__ = ["Specialty", "hours", "passed_check"]
