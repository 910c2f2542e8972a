"""FHIR fixtures: one organization's clinic with a patient, a visit, assessments and a diagnosis,
another organization's patient, and API tokens (made through the accounts service)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from nyeri.accounts.models import User
from nyeri.accounts.services import create_api_token
from nyeri.clinical.diagnoses.models import Diagnosis
from nyeri.clinical.models import (
    AdministrativeSex,
    AssessmentBodySite,
    AssessmentScore,
    AssessmentSource,
    Encounter,
    EncounterKind,
    EncounterStatus,
    PainAssessment,
    Patient,
)
from nyeri.imaging.models import ImagingOrder
from nyeri.prescriptions.models import Prescription, PrescriptionItem
from nyeri.procedures.models import ProcedurePerformance, ProcedureRecord
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.workforce.kinds import Citizenship, CredentialKind, CredentialStatus
from nyeri.workforce.models import Credential, Person, PersonFacility, PersonRole
from tests.conftest import MakeMember

JAKARTA = ZoneInfo("Asia/Jakarta")
NIK = "3273010101700001"


def at(day: int, hour: int = 9, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=JAKARTA)


def make_patient(org: Organization, facility: Facility, mrn: str, name: str, nik: str = "") -> Patient:
    return Patient.objects.create(
        organization=org,
        registered_at=facility,
        mrn=mrn,
        nik=nik,
        full_name=name,
        birth_date=date(1970, 1, 1),
        sex=AdministrativeSex.MALE,
        phone="+62 812 0000 0001",
        address="Jl. Merdeka 1",
        regency="Kota Bandung",
    )


def make_encounter(patient: Patient, user: User, starts_at: datetime) -> Encounter:
    return Encounter.objects.create(
        organization=patient.organization,
        patient=patient,
        facility=patient.registered_at,
        kind=EncounterKind.FIRST_VISIT,
        status=EncounterStatus.FINISHED,
        starts_at=starts_at,
        ends_at=starts_at.replace(hour=starts_at.hour + 1),
        created_by=user,
    )


def make_score(
    patient: Patient,
    user: User,
    recorded_at: datetime,
    *,
    instrument: str = "nrs",
    score: str = "total",
    value: str = "7",
    band: str = "severe",
    encounter: Encounter | None = None,
    sites: tuple[tuple[str, str, str], ...] = (),
) -> AssessmentScore:
    assessment = PainAssessment.objects.create(
        organization=patient.organization,
        patient=patient,
        encounter=encounter,
        facility=patient.registered_at,
        instrument_code=instrument,
        instrument_version="2026.11-1",
        recorded_at=recorded_at,
        recorded_by=user,
        source=AssessmentSource.CLINICIAN,
    )
    AssessmentBodySite.objects.bulk_create(
        [
            AssessmentBodySite(
                organization=patient.organization, assessment=assessment, region=r, view=v, laterality=side
            )
            for r, v, side in sites
        ]
    )
    return AssessmentScore.objects.create(
        organization=patient.organization, assessment=assessment, score_code=score, value=Decimal(value), band_code=band
    )


def make_diagnosis(patient: Patient, user: User, *, code: str = "M54.5", mg30: str = "MG30.3") -> Diagnosis:
    return Diagnosis.objects.create(
        organization=patient.organization,
        patient=patient,
        facility=patient.registered_at,
        icd10_code=code,
        icd10_title="Low back pain",
        icd10_edition="2019",
        icd11_category=mg30,
        body_site="lower_back",
        laterality="bilateral",
        onset_date=date(2025, 6, 1),
        recorded_by=user,
        recorded_at=at(3),
    )


@dataclass
class Clinic:
    org: Organization
    facility: Facility
    user: User
    person: Person
    patient: Patient
    encounter: Encounter
    nrs: AssessmentScore
    odi: AssessmentScore
    diagnosis: Diagnosis
    token: str


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def clinic(org: Organization, facility: Facility, make_member: MakeMember) -> Clinic:
    user = make_member(org, Role.PAIN_PHYSICIAN, username="dokter")
    person = Person.objects.create(
        organization=org, user=user, full_name="dr. Budi Santoso", citizenship=Citizenship.CITIZEN, nik=NIK[:-1] + "9"
    )
    PersonRole.objects.create(organization=org, person=person, role=Role.PAIN_PHYSICIAN)
    PersonFacility.objects.create(organization=org, person=person, facility=facility)
    Credential.objects.create(
        organization=org,
        person=person,
        kind=CredentialKind.REGISTRATION,
        status=CredentialStatus.VERIFIED,
        issuer="Konsil Kesehatan Indonesia",
        number="STR-123",
        issued_on=date(2024, 1, 1),
    )
    Credential.objects.create(
        organization=org,
        person=person,
        kind=CredentialKind.PRACTICE_PERMIT,
        status=CredentialStatus.VERIFIED,
        issuer="DPMPTSP Kota Bandung",
        number="SIP-456",
        issued_on=date(2024, 2, 1),
        expires_on=date(2029, 2, 1),
        facility=facility,
        issuer_regency_code=facility.regency_code,
    )
    Credential.objects.create(
        organization=org,
        person=person,
        kind=CredentialKind.PRACTICE_PERMIT,
        status=CredentialStatus.SUBMITTED,
        issuer="DPMPTSP Kota Cimahi",
        number="SIP-UNVERIFIED",
        issued_on=date(2025, 2, 1),
        facility=facility,
        issuer_regency_code=facility.regency_code,
    )
    patient = make_patient(org, facility, "RM-1", "Dadang Suryana", NIK)
    encounter = make_encounter(patient, user, at(3))
    nrs = make_score(patient, user, at(3, 10), encounter=encounter, sites=(("lower_back", "back", "bilateral"),))
    odi = make_score(patient, user, at(3, 11), instrument="odi", score="index", value="42.50", band="severe")
    diagnosis = make_diagnosis(patient, user)
    _token, raw = create_api_token(acting_user=user, name="fhir", expires_in_days=None)
    return Clinic(org, facility, user, person, patient, encounter, nrs, odi, diagnosis, raw)


@pytest.fixture
def fhir(clinic: Clinic) -> Client:
    """A client that sends the clinic's token with every request."""
    return Client(**bearer(clinic.token))


def make_procedure(clinic: Clinic) -> ProcedureRecord:
    """An interlaminar epidural steroid injection performed under fluoroscopy at the clinic."""
    record = ProcedureRecord.objects.create(
        organization=clinic.org,
        patient=clinic.patient,
        facility=clinic.facility,
        encounter=clinic.encounter,
        procedure_code="esi_interlaminar",
        catalogue_version="2026.11-1",
        body_site="lower_back",
        laterality="left",
        guidance="fluoroscopy",
        anesthesia="local",
        status="performed",
        ordered_by=clinic.user,
        ordered_at=at(3, 9),
    )
    ProcedurePerformance.objects.create(
        organization=clinic.org,
        record=record,
        kind="original",
        procedure_code="esi_interlaminar",
        catalogue_version="2026.11-1",
        performed_at=at(3, 12),
        performer=clinic.person,
        anesthesia="local",
        guidance="fluoroscopy",
        body_site="lower_back",
        laterality="left",
        decision="allowed",
        recorded_by=clinic.user,
        recorded_at=at(3, 13),
    )
    return record


def make_prescription(
    clinic: Clinic, medication_code: str = "paracetamol-500-tab", signed_at: datetime | None = None
) -> PrescriptionItem:
    """A signed prescription of paracetamol 500 mg, 2 tablets 3 times a day for 5 days.

    Written as a draft, then signed (on PostgreSQL a trigger freezes a signed prescription's items).
    """
    prescription = Prescription.objects.create(
        organization=clinic.org,
        patient=clinic.patient,
        facility=clinic.facility,
        status="draft",
        jurisdiction="ID",
        catalogue_version="2026.11-1",
        idempotency_key="rx-1",
        created_by=clinic.user,
        prescriber=clinic.person,
        prescriber_name=clinic.person.full_name,
    )
    item = PrescriptionItem.objects.create(
        organization=clinic.org,
        prescription=prescription,
        position=1,
        medication_code=medication_code,
        label_en="Paracetamol 500 mg tablet",
        label_id="Parasetamol 500 mg tablet",
        generic_en="Paracetamol",
        generic_id="Parasetamol",
        strength=Decimal("500"),
        strength_unit="mg",
        dose_unit="tablet",
        form="tablet",
        route="oral",
        atc="N02BE01",
        dose=Decimal("2"),
        doses_per_day=Decimal("3"),
        days=5,
        quantity=30,
        instructions="After meals",
    )
    Prescription.objects.filter(pk=prescription.pk).update(
        status="signed", signed_at=signed_at or at(3, 12), signed_by=clinic.user
    )
    item.prescription.refresh_from_db()
    return item


def make_imaging_order(clinic: Clinic) -> ImagingOrder:
    return ImagingOrder.objects.create(
        organization=clinic.org,
        patient=clinic.patient,
        facility=clinic.facility,
        modality="mri",
        body_region="lower_back",
        clinical_question="Disc herniation L4-L5?",
        ordered_by=clinic.user,
        ordered_at=at(3, 12),
    )
