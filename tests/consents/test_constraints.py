"""The database holds the consent's invariants, whoever writes; in PostgreSQL a trigger keeps consents
from being deleted or edited, except the one withdrawal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.clinical.models import Patient, PatientConsent

from .conftest import give


def row(patient: Patient, user: User, **fields: Any) -> PatientConsent:
    values: dict[str, Any] = {
        "organization": patient.organization,
        "patient": patient,
        "kind": "treatment",
        "status": "given",
        "given_at": timezone.now() - timedelta(hours=1),
        "how": "signed_form",
        "facility": patient.registered_at,
        "recorded_by": user,
    }
    values.update(fields)
    return PatientConsent.objects.create(**values)


WITHDRAWN = {"status": "withdrawn", "withdrawal_reason": "menolak"}


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "marketing"},
        {"status": "pending"},
        {"how": "telepathy"},
        {"how": "verbal_witnessed", "witness": ""},
        {"kind": "procedure", "scope_note": ""},
        # Withdrawn if and only if who, when and why are recorded.
        {"status": "withdrawn"},
        {"status": "withdrawn", "withdrawal_reason": "menolak"},
        {"withdrawal_reason": "menolak"},
        {"withdrawn_at": timezone.now()},
    ],
)
def test_the_database_refuses_an_invalid_consent(clinician: User, patient: Patient, fields: dict[str, Any]) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        row(patient, clinician, **fields)


def test_the_database_refuses_a_withdrawal_before_the_consent_was_given(clinician: User, patient: Patient) -> None:
    given = timezone.now() - timedelta(hours=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        row(
            patient,
            clinician,
            **WITHDRAWN,
            given_at=given,
            withdrawn_at=given - timedelta(minutes=1),
            withdrawn_by=clinician,
        )


def test_one_consent_of_a_kind_is_in_force_at_a_time_except_procedures(clinician: User, patient: Patient) -> None:
    row(patient, clinician)
    row(patient, clinician, **WITHDRAWN, withdrawn_at=timezone.now(), withdrawn_by=clinician)
    with pytest.raises(IntegrityError), transaction.atomic():
        row(patient, clinician)
    row(patient, clinician, kind="procedure", scope_note="Blok saraf oksipital")
    row(patient, clinician, kind="procedure", scope_note="Blok saraf oksipital")
    assert PatientConsent.objects.count() == 4


postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the guard is a PostgreSQL trigger")


@postgresql_only
def test_postgresql_refuses_to_delete_a_consent(clinician: User, patient: Patient) -> None:
    consent = give(clinician, patient)
    with pytest.raises(DatabaseError, match="never deleted"), transaction.atomic():
        PatientConsent.objects.filter(pk=consent.pk).delete()
    assert PatientConsent.objects.filter(pk=consent.pk).exists()


@postgresql_only
@pytest.mark.parametrize(
    "change",
    [
        {"given_at": timezone.now() - timedelta(days=3)},
        {"witness": "Orang lain"},
        {"kind": "research"},
        {"how": "electronic"},
    ],
)
def test_postgresql_refuses_to_edit_a_consent_in_place(
    clinician: User, patient: Patient, change: dict[str, Any]
) -> None:
    consent = give(clinician, patient)
    with pytest.raises(DatabaseError, match="not edited"), transaction.atomic():
        PatientConsent.objects.filter(pk=consent.pk).update(**change)


@postgresql_only
def test_postgresql_lets_a_consent_be_withdrawn_once_and_never_given_back(clinician: User, patient: Patient) -> None:
    consent = give(clinician, patient)
    withdrawal = {**WITHDRAWN, "withdrawn_at": timezone.now(), "withdrawn_by": clinician}
    PatientConsent.objects.filter(pk=consent.pk).update(**withdrawal)
    with pytest.raises(DatabaseError, match="not edited"), transaction.atomic():
        PatientConsent.objects.filter(pk=consent.pk).update(withdrawal_reason="alasan lain")
    with pytest.raises(DatabaseError, match="not edited"), transaction.atomic():
        PatientConsent.objects.filter(pk=consent.pk).update(
            status="given", withdrawn_at=None, withdrawn_by=None, withdrawal_reason=""
        )
    assert PatientConsent.objects.get(pk=consent.pk).withdrawal_reason == "menolak"
