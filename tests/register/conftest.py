"""Register fixtures: a licensed pharmacist, witnesses, a signed controlled prescription."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.clinical.models import Patient
from nyeri.prescriptions import services as prescriptions
from nyeri.prescriptions.models import Prescription, PrescriptionItem
from nyeri.prescriptions.signing import AttestedSecondFactor
from nyeri.register import services
from nyeri.register.models import Movement
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.conftest import MakeMember
from tests.prescriptions.conftest import item, new_key, patient, physician, scope_of, staff

__fixtures__ = (patient, physician)

__all__ = ["receive", "scope_of"]


@pytest.fixture
def pharmacist(make_member: MakeMember, org: Organization, facility: Facility) -> User:
    return staff(make_member, org, facility, Role.PHARMACIST, "nurul")


@pytest.fixture
def witnesses(make_member: MakeMember, org: Organization) -> tuple[User, User]:
    return (
        make_member(org, Role.NURSE, username="saksi1", language="en"),
        make_member(org, Role.PAIN_PHYSICIAN, username="saksi2", language="en"),
    )


def receive(
    user: User, facility: Facility, medication: str = "morphine-10mg-tab", quantity: Any = 100, **extra: Any
) -> Movement:
    fields: dict[str, Any] = {
        "supplier": "PT Kimia Farma Trading & Distribution",
        "document_number": "INV-2026-001",
        "batch_number": "B-7781",
        "expiry_date": timezone.localdate() + timedelta(days=700),
    }
    fields.update(extra)
    return services.record_receipt(
        scope=scope_of(user), acting_user=user, facility=facility, medication=medication, quantity=quantity, **fields
    )


def signed(physician: User, patient: Patient, *items: Any) -> Prescription:
    """A signed prescription (with a justification, should the patient's total MME call for one)."""
    draft = prescriptions.create_prescription(
        scope=scope_of(physician), acting_user=physician, patient=patient, items=list(items), idempotency_key=new_key()
    ).prescription
    return prescriptions.sign_prescription(
        scope=scope_of(physician),
        acting_user=physician,
        prescription=draft,
        second_factor=AttestedSecondFactor("t"),
        justification="Nyeri kanker, dosis dititrasi.",
    )


@pytest.fixture
def morphine_item(physician: User, patient: Patient) -> PrescriptionItem:
    """A signed prescription of morphine 10 mg, 1 tablet twice a day for 14 days: 28 tablets."""
    prescription = signed(physician, patient, item("morphine-10mg-tab"), item("paracetamol-500mg-tab"))
    return prescription.items.get(medication_code="morphine-10mg-tab")


@pytest.fixture
def paracetamol_item(physician: User, patient: Patient) -> PrescriptionItem:
    prescription = signed(physician, patient, item("paracetamol-500mg-tab"))
    return prescription.items.get()
