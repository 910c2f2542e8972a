"""Practice evaluation fixtures: the outcomes example (four patients with hand-computed relief,
January 2025 baselines, seen on 30 September 2025), a second physician, a compliance officer,
and helpers that write the rows the evaluation reads.

The assessments go through their real services (the outcomes fixtures). Procedures,
prescriptions and emergency accesses are written as the benchmark writes them, row by row:
their services need equipment, credentials, second factors and catalogues that have their
own tests; here only what was recorded matters (who, when, where, with what outcome).
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from nyeri.accounts.models import User
from nyeri.clinical.breakglass.models import BreakGlassGrant
from nyeri.clinical.models import Patient
from nyeri.prescriptions.models import Prescription
from nyeri.procedures.models import ProcedureComplication, ProcedurePerformance, ProcedureRecord
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.workforce.models import Person
from tests.conftest import MakeMember
from tests.diagnoses.conftest import licensed_staff
from tests.outcomes.conftest import (  # noqa: F401 - fixtures
    AS_OF,
    PERIOD,
    at,
    client_of,
    diagnose,
    every_count_shown,
    example,
    physician,
    rate,
    scope_of,
    second_facility,
)

__all__ = ["AS_OF", "PERIOD", "at", "client_of", "scope_of"]

_keys = itertools.count(1)


def person_of(user: User) -> Person:
    return Person.objects.get(user=user)


@pytest.fixture
def colleague(make_member: MakeMember, org: Organization, facility: Facility) -> User:
    """A second pain physician at the first facility."""
    return licensed_staff(make_member, org, facility, Role.PAIN_PHYSICIAN, "dr_ani")


@pytest.fixture
def officer(make_member: MakeMember, org: Organization) -> User:
    return make_member(org, Role.COMPLIANCE_OFFICER, username="kepatuhan", language="en")


def perform(
    user: User,
    patient: Patient,
    facility: Facility,
    when: datetime,
    *,
    complication: bool = False,
    amended_with_complication: bool = False,
    entered_in_error: bool = False,
) -> ProcedurePerformance:
    """A procedure performed by ``user``'s professional record (optionally corrected by an amendment)."""
    person = person_of(user)
    common = {
        "organization": patient.organization,
        "procedure_code": "lumbar_tfesi",
        "catalogue_version": "2026.11",
        "body_site": "lumbar",
        "guidance": "fluoroscopy",
        "anesthesia": "local",
    }
    record = ProcedureRecord.objects.create(
        **common,
        patient=patient,
        facility=facility,
        status="entered_in_error" if entered_in_error else "performed",
        ordered_by=user,
        ordered_at=when - timedelta(days=1),
        entered_in_error_by=user if entered_in_error else None,
        entered_in_error_at=when + timedelta(hours=1) if entered_in_error else None,
        entered_in_error_reason="Wrong patient" if entered_in_error else "",
    )
    version = {
        **common,
        "record": record,
        "performed_at": when,
        "performer": person,
        "decision": "perform allowed (test)",
        "recorded_by": user,
        "recorded_at": when,
    }
    performance = ProcedurePerformance.objects.create(**version, version=1, kind="original")
    if complication:
        ProcedureComplication.objects.create(
            organization=record.organization, performance=performance, kind="vasovagal"
        )
    if amended_with_complication:
        amendment = ProcedurePerformance.objects.create(
            **version, version=2, kind="amendment", amends=performance, amendment_reason="Complication added"
        )
        ProcedureComplication.objects.create(organization=record.organization, performance=amendment, kind="bleeding")
        return amendment
    return performance


def sign(
    user: User,
    patient: Patient,
    facility: Facility,
    when: datetime,
    *,
    mme: int | None = None,
    justification: str = "",
) -> Prescription:
    """A prescription signed by ``user`` (an opioid one when ``mme`` is given: the patient's total)."""
    total = Decimal(mme) if mme is not None else None
    return Prescription.objects.create(
        organization=patient.organization,
        patient=patient,
        facility=facility,
        status="signed",
        jurisdiction="ID",
        catalogue_version="2026.11",
        idempotency_key=f"test-{next(_keys)}",
        created_by=user,
        signed_at=when,
        signed_by=user,
        prescriber=person_of(user),
        prescriber_name=user.username,
        decision="prescribe allowed (test)",
        mme_per_day=total,
        mme_total_per_day=total,
        justification=justification,
    )


def break_glass(user: User, patient: Patient, when: datetime, reviewer: User, outcome: str = "") -> BreakGlassGrant:
    reviewed = bool(outcome)
    return BreakGlassGrant.objects.create(
        organization=patient.organization,
        user=user,
        patient=patient,
        reason="Unconscious patient in the emergency room",
        starts_at=when,
        ends_at=when + timedelta(hours=4),
        reviewed_at=when + timedelta(days=1) if reviewed else None,
        reviewed_by=reviewer if reviewed else None,
        review_outcome=outcome,
        review_note="Reviewed" if reviewed else "",
    )


def in_period(day: int) -> datetime:
    """09:00 in Jakarta on 1 January 2025 plus ``day`` days (the period is January 2025)."""
    return at(date(2025, 1, 1), day)
