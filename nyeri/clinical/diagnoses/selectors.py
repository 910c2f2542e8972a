"""Diagnosis reads, scoped to the organization, each a fixed number of queries.

The patient's reading is audited by ``access_patient`` (the caller fetched the patient
through it, or the diagnosis through ``access_diagnosis``: both check care access); these
selectors add no audit rows of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.db.models.functions import Coalesce, NullIf

from nyeri.clinical.access import ensure_clinical_role
from nyeri.clinical.breakglass.access import require_care_access
from nyeri.clinical.diagnoses import catalogue
from nyeri.clinical.diagnoses.catalogue import Icd10Code, Icd11Category
from nyeri.clinical.diagnoses.models import ClinicalStatus, Diagnosis, RecordStatus
from nyeri.clinical.models import Patient
from nyeri.lib.rows import PageRows, page_of
from nyeri.tenancy.scope import Scope

# Active problems first, then resolved, then ruled out.
_STATUS_ORDER = Case(
    When(clinical_status=ClinicalStatus.ACTIVE, then=Value(0)),
    When(clinical_status=ClinicalStatus.RESOLVED, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


@dataclass(frozen=True)
class ProblemList:
    """The current version of each diagnosis of a patient, active first."""

    diagnoses: list[Diagnosis]
    # How many diagnoses are hidden because they were entered in error.
    entered_in_error: int


def problem_list(scope: Scope, patient: Patient) -> ProblemList:
    """The patient's problem list: current versions, not entered in error, active first (1 query).

    Care access is asked again (remembered from ``access_patient``: no query).
    """
    ensure_clinical_role(scope, object_type="diagnosis")
    require_care_access(scope, patient, purpose="diagnoses", object_type="diagnosis")
    current: list[Diagnosis] = list(
        Diagnosis.objects.filter(organization=scope.organization, patient=patient, superseded_by__isnull=True)
        .select_related("recorded_by", "facility")
        .annotate(status_order=_STATUS_ORDER)
        .order_by("status_order", "-recorded_at", "-pk")
    )
    shown = [d for d in current if d.record_status != RecordStatus.ENTERED_IN_ERROR]
    return ProblemList(shown, len(current) - len(shown))


# The columns of a diagnosis in a list (DiagnosisOut without the catalogue titles, which the
# API adds from the catalogue in memory).
LIST_COLUMNS = (
    "id",
    "patient_id",
    "facility_id",
    "encounter_id",
    "lineage",
    "version",
    "icd10_code",
    "icd10_title",
    "icd10_edition",
    "icd11_category",
    "suspected_cause",
    "body_site",
    "laterality",
    "clinical_status",
    "onset_date",
    "record_status",
    "amends_id",
    "amendment_reason",
    "recorded_by_id",
    "recorded_by_name",
    "recorded_at",
)


def problem_list_rows(scope: Scope, patient: Patient, *, offset: int = 0, limit: int = 50) -> PageRows:
    """``problem_list`` for a list: one page (active first) of the ``LIST_COLUMNS`` (1 query)."""
    ensure_clinical_role(scope, object_type="diagnosis")
    require_care_access(scope, patient, purpose="diagnoses", object_type="diagnosis")
    ordered = (
        _with_recorder_name(
            Diagnosis.objects.filter(organization=scope.organization, patient=patient, superseded_by__isnull=True)
        )
        .exclude(record_status=RecordStatus.ENTERED_IN_ERROR)
        .annotate(status_order=_STATUS_ORDER)
        .order_by("status_order", "-recorded_at", "-pk")
    )
    return page_of(ordered, LIST_COLUMNS, offset=offset, limit=limit)


def _with_recorder_name(diagnoses: QuerySet[Diagnosis]) -> QuerySet[Diagnosis]:
    # As str(user): the full name, else the username.
    return diagnoses.annotate(
        recorded_by_name=Coalesce(NullIf(F("recorded_by__full_name"), Value("")), F("recorded_by__username"))
    )


def diagnosis_history_rows(scope: Scope, diagnosis: Diagnosis, *, offset: int = 0, limit: int = 50) -> PageRows:
    """``diagnosis_history`` for a list: one page (the first version first) of the ``LIST_COLUMNS`` (1 query)."""
    ensure_clinical_role(scope, object_type="diagnosis")
    ordered = _with_recorder_name(
        Diagnosis.objects.filter(organization=scope.organization, lineage=diagnosis.lineage)
    ).order_by("version", "pk")
    return page_of(ordered, LIST_COLUMNS, offset=offset, limit=limit)


def diagnosis_history(scope: Scope, diagnosis: Diagnosis) -> list[Diagnosis]:
    """Every version of ``diagnosis``, the first first, each with who, when and why (1 query)."""
    ensure_clinical_role(scope, object_type="diagnosis")
    return list(
        Diagnosis.objects.filter(organization=scope.organization, lineage=diagnosis.lineage)
        .select_related("recorded_by", "facility")
        .order_by("version")
    )


def search_codes(query: str, *, limit: int = catalogue.SEARCH_LIMIT) -> list[Icd10Code]:
    """ICD-10 codes for a code prefix or words in English or Indonesian (no database query)."""
    return catalogue.search_icd10(query, limit=limit)


def icd11_pain_categories() -> list[Icd11Category]:
    return catalogue.icd11_categories()


def organization_diagnoses(scope: Scope) -> QuerySet[Diagnosis]:
    """The current version of each of the organization's diagnoses (for FHIR Conditions; not audited here)."""
    ensure_clinical_role(scope, object_type="diagnosis")
    return Diagnosis.objects.filter(organization=scope.organization, superseded_by__isnull=True).select_related(
        "patient"
    )
