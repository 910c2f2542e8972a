"""Outcomes fixtures: two facilities, a physician licensed at both, and a way to write NRS trajectories.

Assessments and diagnoses go through their real services (scores computed by the platform,
amendments and entered-in-error as the clinic records them), at fixed moments in 2025 so
that the hand-computed figures never move.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from nyeri.accounts.models import User
from nyeri.clinical.assessments import services as assessments
from nyeri.clinical.diagnoses import services as diagnoses
from nyeri.clinical.diagnoses.models import Diagnosis
from nyeri.clinical.models import AdministrativeSex, PainAssessment, Patient
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope, resolve_scope
from nyeri.workforce.kinds import CredentialKind, CredentialStatus
from nyeri.workforce.models import Credential, Person, PersonFacility
from tests.conftest import MakeMember, log_in
from tests.diagnoses.conftest import licensed_staff

JAKARTA = ZoneInfo("Asia/Jakarta")
# The hand-computed example: baselines in January 2025, the report as it stood on 30 September
# 2025 (every 6-month window of a January baseline closed by 13 August).
PERIOD = (date(2025, 1, 1), date(2025, 1, 31))
PERIOD_KEY = "2025-01"
AS_OF = datetime(2025, 9, 30, 12, 0, tzinfo=JAKARTA)


def at(day: date, days_later: float = 0) -> datetime:
    """09:00 in Jakarta on ``day``, plus ``days_later`` days."""
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=JAKARTA) + timedelta(days=days_later)


def scope_of(user: User) -> Scope:
    scope = resolve_scope(user)
    assert scope is not None
    return scope


def client_of(user: User, language: str = "en") -> Client:
    client = log_in(Client(), user)
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    return client


@pytest.fixture(autouse=True)
def every_count_shown(settings: Any) -> None:
    """The hand-computed example has four patients: its figures are checked with nothing hidden.

    Small-number suppression (the default minimum of 5) is tested on its own, in
    test_small_numbers.py, where each test sets the minimum it means.
    """
    settings.SMALL_NUMBER_MINIMUM = 1


@pytest.fixture
def second_facility(org: Organization) -> Facility:
    return Facility.objects.create(
        organization=org,
        name="Klinik Nyeri Cimahi",
        code="cimahi",
        kind=Facility.Kind.PAIN_CLINIC,
        province="Jawa Barat",
        regency="Kota Cimahi",
        regency_code="32.77",
    )


def license_at(user: User, facility: Facility) -> None:
    """A practice permit (SIP) for ``facility`` for the professional record of ``user``."""
    person = Person.objects.get(user=user)
    PersonFacility.objects.create(organization=facility.organization, person=person, facility=facility)
    Credential.objects.create(
        organization=facility.organization,
        person=person,
        kind=CredentialKind.PRACTICE_PERMIT,
        status=CredentialStatus.VERIFIED,
        issuer="DPMPTSP Kota Cimahi",
        issued_on=date(2020, 1, 1),
        expires_on=date(2040, 1, 1),
        facility=facility,
        issuer_regency_code=facility.regency_code,
    )


@pytest.fixture
def physician(make_member: MakeMember, org: Organization, facility: Facility, second_facility: Facility) -> User:
    """A pain physician licensed at both facilities: records assessments and diagnoses at either."""
    user = licensed_staff(make_member, org, facility, Role.PAIN_PHYSICIAN, "dr_budi")
    license_at(user, second_facility)
    return user


def make_patient(org: Organization, facility: Facility, mrn: str) -> Patient:
    return Patient.objects.create(
        organization=org,
        registered_at=facility,
        mrn=mrn,
        full_name=f"Pasien {mrn}",
        birth_date=date(1970, 1, 2),
        sex=AdministrativeSex.FEMALE,
    )


Rate = Callable[..., PainAssessment]


@pytest.fixture
def rate(physician: User) -> Rate:
    """Record an NRS rating through the service: ``rate(patient, facility, when, value)``."""

    def record(patient: Patient, facility: Facility, when: datetime, value: int, *, by: User | None = None) -> Any:
        user = by or physician
        return assessments.record_assessment(
            scope=scope_of(user),
            acting_user=user,
            patient=patient,
            instrument_code="nrs",
            answers={"intensity": value},
            facility=facility,
            recorded_at=when,
        )

    return record


Diagnose = Callable[..., Diagnosis]


@pytest.fixture
def diagnose(physician: User) -> Diagnose:
    """Record a diagnosis through the service: ``diagnose(patient, "G50.0", "MG30.5")``."""

    def record(patient: Patient, icd10_code: str, icd11_category: str = "", **fields: Any) -> Diagnosis:
        return diagnoses.record_diagnosis(
            scope=scope_of(physician),
            acting_user=physician,
            patient=patient,
            icd10_code=icd10_code,
            icd11_category=icd11_category,
            **fields,
        )

    return record


@dataclass
class Example:
    a: Facility
    b: Facility
    p1: Patient
    p2: Patient
    p3: Patient
    p4: Patient


@pytest.fixture
def example(
    org: Organization, facility: Facility, second_facility: Facility, physician: User, rate: Rate, diagnose: Diagnose
) -> Example:
    """Four patients, two facilities (A, B), two MG30 categories. Day n = n days after the baseline.

    P1 at A, MG30.3 (musculoskeletal). Baseline 8 on 5 Jan.
        3 months (days 76-104): 5 on day 85, 3 on day 95 -> mean 4 -> (8-4)/8 = 50 %  : >=30 and >=50
        6 months (days 166-194): 6 on day 180           -> (8-6)/8 = 25 %           : neither
        (day 60: 7 and day 130: 5 fall in no window)
    P2 at A, MG30.3 and MG30.5 (neuropathic). Baseline 10 on 10 Jan.
        3 months: 7 on day 90 -> 30 % exactly : >=30 only. A 0 on day 92 entered in error does not count
                  (with it the mean would be 3.5 -> 65 %).
        6 months: 2 on day 175, recorded at facility B (an amendment of a 9) -> 80 % : >=30 and >=50
                  (with the amended 9 the mean would be 5.5 -> 45 %). The baseline's facility (A) counts.
    P3 at B, MG30.5. Baseline 6 on 20 Jan.
        3 months: 3 on day 60 and 3 on day 110, both outside days 76-104 -> not assessed
        6 months: 3 on day 190 -> (6-3)/6 = 50 % : >=30 and >=50
    P4 at A, no chronic pain category (M54.5 without one; an MG30.1 entered in error, an MG30.2
       ruled out). Baseline 7 on 28 Jan.
        3 months: 5 on day 90 -> 2/7 = 28.6 %  : neither
        6 months: 4 on day 180 -> 3/7 = 42.9 % : >=30 only
    """
    a, b = facility, second_facility
    p1, p2, p3, p4 = (make_patient(org, a, f"RM-{n}") for n in range(1, 5))
    start = {p1: at(date(2025, 1, 5)), p2: at(date(2025, 1, 10)), p3: at(date(2025, 1, 20)), p4: at(date(2025, 1, 28))}

    def on(patient: Patient, day: int, value: int, place: Facility = a) -> object:
        return rate(patient, place, start[patient] + timedelta(days=day), value)

    for day, value in ((0, 8), (60, 7), (85, 5), (95, 3), (130, 5), (180, 6)):
        on(p1, day, value)
    for day, value in ((0, 10), (90, 7)):
        on(p2, day, value)
    scope = scope_of(physician)
    mistake = on(p2, 92, 0)
    assessments.mark_entered_in_error(scope=scope, acting_user=physician, assessment=mistake, reason="Wrong patient")
    typo = on(p2, 175, 9, b)
    assessments.amend_assessment(
        scope=scope, acting_user=physician, assessment=typo, reason="Typed 9 for 2", answers={"intensity": 2}
    )
    for day, value in ((0, 6), (60, 3), (110, 3), (190, 3)):
        on(p3, day, value, b)
    for day, value in ((0, 7), (90, 5), (180, 4)):
        on(p4, day, value)

    diagnose(p1, "M54.5", "MG30.3")
    diagnose(p2, "M54.5", "MG30.3")
    diagnose(p2, "G50.0", "MG30.5")
    diagnose(p3, "G50.0", "MG30.5")
    diagnose(p4, "M54.5")
    cancer = diagnose(p4, "R52.1", "MG30.1")
    diagnoses.mark_entered_in_error(scope=scope, acting_user=physician, diagnosis=cancer, reason="Wrong patient")
    diagnose(p4, "R52.1", "MG30.2", clinical_status="ruled_out")
    return Example(a, b, p1, p2, p3, p4)
