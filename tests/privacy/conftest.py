"""Privacy fixtures: the clinical fixtures (a clinician, a patient, another organization's
patient), the candidate fixtures and the hiring fixtures (a posting, its administrator)."""

# ruff: noqa: F401 - fixtures imported to be shared

from __future__ import annotations

from datetime import date

import pytest

from nyeri.clinical.models import AdministrativeSex, NoNikReason, OtherIdentifierKind, Patient
from nyeri.tenancy.models import Facility, Organization
from tests.candidates.conftest import _fresh_cache, candidate, candidate_client, make_candidate
from tests.clinical.conftest import (
    clinician,
    clinician_client,
    clinician_scope,
    encounter,
    foreign_patient,
    make_person,
    scope_of,
)
from tests.hiring.conftest import admin, admin_scope, make_posting, posting


@pytest.fixture
def patient(org: Organization, facility: Facility) -> Patient:
    """A complete record (a foreign national with a passport), so that an edit of it validates."""
    return Patient.objects.create(
        organization=org,
        registered_at=facility,
        mrn="RM-1",
        full_name="Dadang Suryana",
        birth_date=date(1970, 1, 2),
        sex=AdministrativeSex.MALE,
        no_nik_reason=NoNikReason.FOREIGNER,
        other_identifier_kind=OtherIdentifierKind.PASSPORT,
        other_identifier="X1234567",
    )
