"""Consent fixtures: the clinical fixtures (a nurse, a patient, another organization's patient) and helpers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.clinical.consents.services import record_consent
from nyeri.clinical.models import ConsentKind, ConsentMethod, Patient, PatientConsent
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.clinical.conftest import (  # noqa: F401 - fixtures
    clinician,
    clinician_client,
    clinician_scope,
    foreign_patient,
    make_patient,
    make_person,
    patient,
    scope_of,
)
from tests.conftest import MakeMember, log_in


def give(user: User, whose: Patient, kind: str = ConsentKind.TREATMENT, **fields: Any) -> PatientConsent:
    """A consent recorded through the service (a signed form, an hour ago, unless told otherwise)."""
    fields.setdefault("how", ConsentMethod.SIGNED_FORM)
    fields.setdefault("given_at", timezone.now() - timedelta(hours=1))
    return record_consent(scope=scope_of(user), acting_user=user, patient=whose, kind=kind, **fields)


@pytest.fixture
def english_clinician(org: Organization, make_member: MakeMember) -> User:
    return make_member(org, Role.PAIN_PHYSICIAN, username="dr_budi", language="en")


@pytest.fixture
def english_client(english_clinician: User) -> Client:
    return log_in(Client(), english_clinician)


@pytest.fixture
def foreign_clinician(other_org: Organization, make_member: MakeMember) -> User:
    return make_member(other_org, Role.NURSE, username="ns_lain")


@pytest.fixture
def foreign_consent(foreign_clinician: User, foreign_patient: Patient) -> PatientConsent:  # noqa: F811
    return give(foreign_clinician, foreign_patient)


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
def branch_nurse(org: Organization, branch: Facility, make_member: MakeMember) -> User:
    """A nurse limited to the branch: no care access to a patient registered and seen elsewhere."""
    return make_member(org, Role.NURSE, username="ns_cimahi", facilities=(branch,), language="en")
