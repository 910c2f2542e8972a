"""Chart fixtures: a licensed nurse and physician, a patient's scores written straight to the tables.

Scores are bulk-written here (their computation is tested in tests/clinical): the chart reads
whatever the platform stored. Amendments and entries in error go through the real services.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.clinical.diagnoses import services as diagnosis_services
from nyeri.clinical.diagnoses.models import Diagnosis
from nyeri.clinical.models import (
    AssessmentScore,
    AssessmentSource,
    Encounter,
    EncounterKind,
    EncounterStatus,
    PainAssessment,
    Patient,
)
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
from tests.diagnoses.conftest import licensed_staff

VERSIONS = {
    "nrs": "2026.11-1",
    "peg": "2026.11-1",
    "bpi_sf": "2026.11-1",
    "phq9": "2026.11-1",
    "gad7": "2026.11-1",
    "ort": "2026.11-1",
}


def days_ago(days: float) -> datetime:
    # Read the clock on each call: a test that travels in time (time_machine) gets its own day.
    return timezone.now() - timedelta(days=days)


def add(
    whose: Patient,
    user: User,
    instrument: str,
    at: datetime,
    source: str = AssessmentSource.CLINICIAN,
    encounter: Encounter | None = None,
    facility: Facility | None = None,
    bands: dict[str, str] | None = None,
    **scores: str,
) -> PainAssessment:
    """One current assessment with ``scores`` (e.g. total="8") and their ``bands`` (by score code),
    straight to the tables (scores are written once: PostgreSQL refuses to update them)."""
    assessment = PainAssessment.objects.create(
        organization=whose.organization,
        patient=whose,
        encounter=encounter,
        facility=encounter.facility if encounter else (facility or whose.registered_at),
        instrument_code=instrument,
        instrument_version=VERSIONS[instrument],
        recorded_at=at,
        recorded_by=user,
        source=source,
    )
    AssessmentScore.objects.bulk_create(
        [
            AssessmentScore(
                organization=whose.organization,
                assessment=assessment,
                score_code=code,
                value=Decimal(v),
                band_code=(bands or {}).get(code, ""),
            )
            for code, v in scores.items()
        ]
    )
    return assessment


def add_many(whose: Patient, user: User, count: int, *, every_days: float = 1.0) -> None:
    """``count`` diary-like entries, alternating NRS and PEG, the last one yesterday, in bulk."""
    org = whose.organization
    rows = [
        PainAssessment(
            organization=org,
            patient=whose,
            facility=whose.registered_at,
            instrument_code="nrs" if n % 2 else "peg",
            instrument_version="2026.11-1",
            recorded_at=days_ago(1 + (count - n) * every_days),
            recorded_by=user,
            source=AssessmentSource.PATIENT if n % 3 else AssessmentSource.CLINICIAN,
        )
        for n in range(count)
    ]
    created = PainAssessment.objects.bulk_create(rows)
    if not all(a.pk for a in created):  # SQLite before 3.35 returns no ids
        created = list(PainAssessment.objects.filter(patient=whose).order_by("pk"))
    AssessmentScore.objects.bulk_create(
        [
            AssessmentScore(organization=org, assessment=a, score_code="total", value=Decimal(3 + n % 6))
            for n, a in enumerate(created)
        ]
    )


def add_encounters(whose: Patient, user: User, count: int) -> list[Encounter]:
    return Encounter.objects.bulk_create(
        [
            Encounter(
                organization=whose.organization,
                patient=whose,
                facility=whose.registered_at,
                kind=EncounterKind.FOLLOW_UP,
                status=EncounterStatus.FINISHED,
                starts_at=days_ago(7 * n + 1),
                ends_at=days_ago(7 * n + 1) + timedelta(minutes=30),
                created_by=user,
            )
            for n in range(count)
        ]
    )


@pytest.fixture
def physician(make_member: MakeMember, org: Organization, facility: Facility) -> User:
    """A pain physician with an STR and a SIP here: may record diagnoses (English interface)."""
    return licensed_staff(make_member, org, facility, Role.PAIN_PHYSICIAN, "dr_budi")


def diagnose(physician: User, whose: Patient, code: str, **fields: object) -> Diagnosis:
    return diagnosis_services.record_diagnosis(
        scope=scope_of(physician), acting_user=physician, patient=whose, icd10_code=code, **fields
    )


@pytest.fixture
def english_client(physician: User) -> Client:
    return log_in(Client(), physician)
