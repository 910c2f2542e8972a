"""Diary fixtures: a licensed clinician (from the clinical fixtures) and a link issued to a patient."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.test import Client

from nyeri.clinical.diary import services
from nyeri.clinical.diary.links import resolve_link
from nyeri.clinical.diary.services import DiaryEntry, IssuedLink
from nyeri.clinical.models import DiaryLink, Patient
from nyeri.tenancy.scope import Scope
from tests.clinical import conftest as clinical

# The clinical fixtures (patients, a licensed clinician, an unlicensed nurse), shared here.
clinician = clinical.clinician
clinician_client = clinical.clinician_client
clinician_scope = clinical.clinician_scope
foreign_patient = clinical.foreign_patient
make_person = clinical.make_person
patient = clinical.patient
unlicensed_nurse = clinical.unlicensed_nurse

PEG = {"pain_average": 7, "enjoyment": 5, "general_activity": 6}

Issue = Callable[..., IssuedLink]


def issue(scope: Scope, patient: Patient, **fields: Any) -> IssuedLink:
    fields.setdefault("facility", patient.registered_at)
    return services.issue_link(scope=scope, acting_user=scope.user, patient=patient, **fields)


def submit(
    link: DiaryLink,
    instrument: str = "nrs",
    answers: dict[str, Any] | None = None,
    key: str = "key-00000001",
    now: datetime | None = None,
) -> DiaryEntry:
    return services.record_entry(
        link=link,
        instrument_code=instrument,
        answers=answers if answers is not None else {"intensity": 6},
        submission_key=key,
        now=now,
    )


@pytest.fixture
def issued(clinician_scope: Scope, patient: Patient) -> IssuedLink:
    return issue(clinician_scope, patient)


@pytest.fixture
def link(issued: IssuedLink) -> DiaryLink:
    """The link as the patient's page finds it (patient, facility and organization loaded)."""
    return resolve_link(issued.token)


@pytest.fixture
def anonymous() -> Client:
    return Client()
