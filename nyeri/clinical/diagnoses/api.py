"""Diagnosis endpoints and the code catalogues. Mounted on the root API at "/" (see docs/diagnoses.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from nyeri.api.errors import ErrorEnvelope
from nyeri.api.idempotency import idempotent
from nyeri.api.pages import Page, PageQuery, json_page
from nyeri.clinical.access import access_patient
from nyeri.clinical.diagnoses import catalogue, selectors, services
from nyeri.clinical.diagnoses.access import access_diagnosis
from nyeri.clinical.diagnoses.models import Diagnosis
from nyeri.lib.http import request_user
from nyeri.tenancy.access import access_facility
from nyeri.tenancy.models import Facility
from nyeri.tenancy.refusals import write_transaction
from nyeri.tenancy.scope import Scope, request_scope

router = Router(tags=["diagnoses"])

ERRORS: dict[int, Any] = {403: ErrorEnvelope, 404: ErrorEnvelope, 422: ErrorEnvelope}


class DiagnosisOut(Schema):
    id: int
    patient_id: int
    facility_id: int
    encounter_id: int | None
    lineage: UUID
    version: int
    icd10_code: str
    icd10_title: str = Field(description="WHO English title at the time of recording")
    icd10_title_id: str = Field(description="Indonesian title from Nyeri's pain-code catalogue, if it has one")
    icd10_edition: str
    icd11_category: str
    icd11_title_en: str
    icd11_title_id: str
    suspected_cause: str
    body_site: str
    laterality: str
    clinical_status: str
    onset_date: date | None
    record_status: str
    amends_id: int | None
    amendment_reason: str
    recorded_by_id: int
    recorded_by_name: str
    recorded_at: datetime

    @staticmethod
    def resolve_icd10_title_id(obj: Diagnosis) -> str:
        entry = catalogue.lookup_icd10(obj.icd10_code)
        return entry.title_id if entry is not None else ""

    @staticmethod
    def resolve_icd11_title_en(obj: Diagnosis) -> str:
        return catalogue.icd11_title(obj.icd11_category, "en") if obj.icd11_category else ""

    @staticmethod
    def resolve_icd11_title_id(obj: Diagnosis) -> str:
        return catalogue.icd11_title(obj.icd11_category, "id") if obj.icd11_category else ""

    @staticmethod
    def resolve_recorded_by_name(obj: Diagnosis) -> str:
        return str(obj.recorded_by)


class DiagnosisIn(Schema):
    icd10_code: str = Field(max_length=12)
    icd11_category: str = Field("", max_length=12)
    suspected_cause: str = ""
    body_site: str = Field("", max_length=20)
    laterality: str = Field("", max_length=10)
    clinical_status: str = Field("active", max_length=12)
    onset_date: date | None = None
    encounter_id: int | None = None
    facility_id: int | None = Field(None, description="Default: the facility where the patient is registered")


class DiagnosisAmendIn(Schema):
    """Only the fields sent are changed (send ``onset_date: null`` to clear the onset)."""

    reason: str
    icd10_code: str | None = Field(None, max_length=12)
    icd11_category: str | None = Field(None, max_length=12)
    suspected_cause: str | None = None
    body_site: str | None = Field(None, max_length=20)
    laterality: str | None = Field(None, max_length=10)
    clinical_status: str | None = Field(None, max_length=12)
    onset_date: date | None = None
    encounter_id: int | None = None
    facility_id: int | None = Field(None, description="Default: the facility of the version amended")


class DiagnosisReasonIn(Schema):
    reason: str
    facility_id: int | None = None


class Icd10Out(Schema):
    code: str
    title_en: str
    title_id: str
    chronic_pain: bool = Field(description="A chronic pain diagnosis: needs its ICD-11 category")


class Icd11Out(Schema):
    code: str
    title_en: str
    title_id: str


class CodeSearch(Schema):
    q: str = ""
    limit: int = Field(catalogue.SEARCH_LIMIT, ge=1, le=catalogue.SEARCH_MAX)


def _facility(scope: Scope, facility_id: int | None) -> Facility | None:
    return access_facility(scope, facility_id) if facility_id is not None else None


def _with_titles(row: dict[str, Any]) -> dict[str, Any]:
    # The catalogue titles DiagnosisOut resolves, from the catalogue in memory (no query).
    entry = catalogue.lookup_icd10(row["icd10_code"])
    category = row["icd11_category"]
    row["icd10_title_id"] = entry.title_id if entry is not None else ""
    row["icd11_title_en"] = catalogue.icd11_title(category, "en") if category else ""
    row["icd11_title_id"] = catalogue.icd11_title(category, "id") if category else ""
    return row


@router.get(
    "/patients/{patient_id}/diagnoses",
    response={200: Page[DiagnosisOut], **ERRORS},
    summary="A patient's problem list: current diagnoses, active first (audited read, paged)",
)
def list_diagnoses(request: HttpRequest, patient_id: int, paging: Query[PageQuery]) -> HttpResponse:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose="api diagnoses")
    found = selectors.problem_list_rows(scope, patient, offset=paging.offset, limit=paging.page_size)
    return json_page([_with_titles(row) for row in found.rows], count=found.count, query=paging)


@router.post(
    "/patients/{patient_id}/diagnoses",
    response={201: DiagnosisOut, **ERRORS},
    summary="Record a diagnosis (needs the record_diagnosis privilege at the facility)",
)
@idempotent
def record(request: HttpRequest, patient_id: int, payload: DiagnosisIn) -> Any:
    scope = request_scope(request)
    # One transaction: opening the patient (its READ row) and recording (its CREATE row).
    with write_transaction():
        patient = access_patient(scope, patient_id, purpose="api diagnosis")
        values = payload.model_dump(exclude={"facility_id"})
        diagnosis = services.record_diagnosis(
            scope=scope,
            acting_user=request_user(request),
            patient=patient,
            facility=_facility(scope, payload.facility_id),
            **values,
        )
    return Status(201, diagnosis)


@router.get(
    "/diagnoses/{diagnosis_id}/history",
    response={200: Page[DiagnosisOut], **ERRORS},
    summary="Every version of a diagnosis, the first first (audited read of the patient; paged)",
)
def history(request: HttpRequest, diagnosis_id: int, paging: Query[PageQuery]) -> HttpResponse:
    scope = request_scope(request)
    diagnosis = access_diagnosis(scope, diagnosis_id)
    access_patient(scope, diagnosis.patient_id, purpose="api diagnosis history")
    found = selectors.diagnosis_history_rows(scope, diagnosis, offset=paging.offset, limit=paging.page_size)
    return json_page([_with_titles(row) for row in found.rows], count=found.count, query=paging)


@router.post(
    "/diagnoses/{diagnosis_id}/amend",
    response={201: DiagnosisOut, **ERRORS},
    summary="Amend the current version of a diagnosis: a new version with the reason",
)
@idempotent
def amend(request: HttpRequest, diagnosis_id: int, payload: DiagnosisAmendIn) -> Any:
    scope = request_scope(request)
    diagnosis = access_diagnosis(scope, diagnosis_id)
    sent = payload.model_fields_set - {"reason", "facility_id"}
    changes = {name: getattr(payload, name) for name in sent}
    for name in ("icd10_code", "icd11_category", "suspected_cause", "body_site", "laterality", "clinical_status"):
        # A text field sent as null means "no value" (empty), as on the form.
        if name in changes and changes[name] is None:
            changes[name] = ""
    successor = services.amend_diagnosis(
        scope=scope,
        acting_user=request_user(request),
        diagnosis=diagnosis,
        reason=payload.reason,
        facility=_facility(scope, payload.facility_id),
        **changes,
    )
    return Status(201, successor)


@router.post(
    "/diagnoses/{diagnosis_id}/entered-in-error",
    response={201: DiagnosisOut, **ERRORS},
    summary="Mark a diagnosis as entered in error (kept in the history, hidden from the problem list)",
)
@idempotent
def entered_in_error(request: HttpRequest, diagnosis_id: int, payload: DiagnosisReasonIn) -> Any:
    scope = request_scope(request)
    diagnosis = access_diagnosis(scope, diagnosis_id)
    marked = services.mark_entered_in_error(
        scope=scope,
        acting_user=request_user(request),
        diagnosis=diagnosis,
        reason=payload.reason,
        facility=_facility(scope, payload.facility_id),
    )
    return Status(201, marked)


@router.get(
    "/codes/icd10",
    response=list[Icd10Out],
    summary="Search WHO ICD-10 codes by code prefix or words (English or Indonesian)",
)
def icd10_codes(request: HttpRequest, filters: Query[CodeSearch]) -> Any:
    return selectors.search_codes(filters.q, limit=filters.limit)


@router.get("/codes/icd11-pain", response=list[Icd11Out], summary="The ICD-11 chronic pain categories (MG30)")
def icd11_pain(request: HttpRequest) -> Any:
    return selectors.icd11_pain_categories()
