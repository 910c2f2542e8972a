"""Personal data rights over JSON (docs/privacy.md): the patient's export and requests for
clinic staff, the caller's own export. Same rules as the pages: care access, another
organization's patient or request is 404, 422 naming each bad field, every read audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from nyeri.api.errors import ErrorEnvelope
from nyeri.api.idempotency import idempotent
from nyeri.api.pages import Page, PageQuery, json_page
from nyeri.lib.http import request_user
from nyeri.privacy import selectors, services
from nyeri.privacy.models import PatientDataRequest
from nyeri.tenancy.scope import request_scope

router = Router(tags=["personal data rights"])

ERRORS = {403: ErrorEnvelope, 404: ErrorEnvelope, 422: ErrorEnvelope}
Language = Literal["id", "en"]


class PersonalDataSectionOut(Schema):
    key: str = Field(description="The table, as app.model (audit.processing: the record of processing).")
    title: str
    labels: dict[str, str] = Field(description="Each column's label in the export's language.")
    rows: list[dict[str, Any]]


class PersonalDataExportOut(Schema):
    subject: str = Field(description="patient or own")
    title: str
    language: str
    generated_at: datetime
    sections: list[PersonalDataSectionOut]


class PersonalDataCorrectionIn(Schema):
    requested_by: str = Field(max_length=200, description="The patient, or who asked on their behalf.")
    field: str = Field("", description="A demographic field (accepting edits it), or empty for another part.")
    what_is_wrong: str = Field(max_length=2000)
    should_be: str = Field(max_length=2000)


class PersonalDataErasureIn(Schema):
    requested_by: str = Field(max_length=200)
    what: str = Field("", max_length=2000)
    language: Language = Field("id", description="The language of the refusal's legal basis.")


class PersonalDataAnswerIn(Schema):
    accept: bool
    answer: str = Field(
        "", max_length=2000, description="Required to refuse, or to accept a non-demographic correction."
    )


class PersonalDataRequestOut(Schema):
    id: int
    patient_id: int
    kind: str = Field(description="correction or erasure")
    status: str = Field(description="open, accepted or refused")
    requested_by: str
    received_at: datetime
    field: str
    what_is_wrong: str
    should_be: str
    due_at: datetime | None
    answered_at: datetime | None
    answer: str
    legal_basis: str
    edit_id: int | None


def _out(row: PatientDataRequest) -> dict[str, Any]:
    return {name: getattr(row, name) for name in PersonalDataRequestOut.model_fields}


@router.get(
    "/patients/{patient_id}/personal-data",
    response={200: PersonalDataExportOut, **ERRORS},
    summary="Everything held about a patient, for the patient (audited EXPORT)",
)
def patient_export(request: HttpRequest, patient_id: int, language: Language = "id") -> dict[str, Any]:
    export = selectors.patient_export(request_scope(request), patient_id, language=language, file_format="api")
    return export.as_json()


@router.get(
    "/me/personal-data",
    response={200: PersonalDataExportOut, **ERRORS},
    summary="Everything held about the caller as a person (audited EXPORT)",
)
def own_export(request: HttpRequest, language: Language = "id") -> dict[str, Any]:
    return selectors.own_export(request_user(request), language=language, file_format="api").as_json()


@router.get(
    "/patients/{patient_id}/personal-data-requests",
    response={200: Page[PersonalDataRequestOut], **ERRORS},
    summary="A patient's correction and erasure requests, newest first (audited read; paged)",
)
def patient_requests(request: HttpRequest, patient_id: int, paging: Query[PageQuery]) -> HttpResponse:
    found = selectors.patient_request_rows(
        request_scope(request), patient_id, offset=paging.offset, limit=paging.page_size
    )
    return json_page(found.rows, count=found.count, query=paging)


@router.post(
    "/patients/{patient_id}/personal-data-requests/corrections",
    response={201: PersonalDataRequestOut, **ERRORS},
    summary="Record a patient's correction request (due in 3 x 24 hours)",
)
@idempotent
def request_correction(
    request: HttpRequest, patient_id: int, payload: PersonalDataCorrectionIn
) -> Status[dict[str, Any]]:
    row = services.request_correction(
        scope=request_scope(request), acting_user=request_user(request), patient_id=patient_id, **payload.dict()
    )
    return Status(201, _out(row))


@router.post(
    "/patients/{patient_id}/personal-data-requests/erasures",
    response={201: PersonalDataRequestOut, **ERRORS},
    summary="Record an erasure request: refused with the legal basis before the retention date",
)
@idempotent
def request_erasure(request: HttpRequest, patient_id: int, payload: PersonalDataErasureIn) -> Status[dict[str, Any]]:
    row = services.request_erasure(
        scope=request_scope(request),
        acting_user=request_user(request),
        patient_id=patient_id,
        requested_by=payload.requested_by,
        what=payload.what,
        language=payload.language,
    )
    return Status(201, _out(row))


@router.post(
    "/personal-data-requests/{request_id}/answer",
    response={200: PersonalDataRequestOut, **ERRORS},
    summary="Accept (the record is amended) or refuse a correction request",
)
@idempotent
def answer(request: HttpRequest, request_id: int, payload: PersonalDataAnswerIn) -> dict[str, Any]:
    row = services.answer_correction(
        scope=request_scope(request),
        acting_user=request_user(request),
        request_id=request_id,
        accept=payload.accept,
        answer=payload.answer,
    )
    return _out(row)
