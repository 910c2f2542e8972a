"""Imaging and referral endpoints. Mounted on the root API at "/" (see docs/imaging.md).

Bad input is a 422 envelope naming each field; a refusal to record an in-house result (the
equipment's or the engine's) is a 403 envelope whose ``reasons`` carry each reason's code and
its message in Indonesian and English; another organization's row is a 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from nyeri.api.errors import ErrorEnvelope, RefusalEnvelope, refusal
from nyeri.api.idempotency import idempotent
from nyeri.api.pages import Page, PageQuery, json_page
from nyeri.api.schemas import ReasonIn
from nyeri.clinical.access import access_patient, ensure_clinical_role
from nyeri.imaging import selectors, services
from nyeri.imaging.access import access_order, access_referral
from nyeri.imaging.models import ImagingOrder, ImagingResult, Referral
from nyeri.imaging.services import ImagingRefused
from nyeri.lib.http import request_user
from nyeri.procedures.access import access_procedure
from nyeri.tenancy.access import access_facility
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope, request_scope
from nyeri.tenancy.selectors import organization_facility

router = Router(tags=["imaging"])


ERRORS: dict[int, Any] = {403: RefusalEnvelope, 404: ErrorEnvelope, 422: ErrorEnvelope}


class ImagingOrderIn(Schema):
    modality: str = Field(description="xray, fluoroscopy, ultrasound, ct or mri")
    body_region: str = Field(description="A body-map region code")
    clinical_question: str
    facility_id: int | None = Field(None, description="Default: where the patient is registered")


class OrderOut(Schema):
    id: int
    patient_id: int
    facility_id: int
    modality: str
    body_region: str
    clinical_question: str
    status: str
    ordered_at: datetime
    cancel_reason: str


class ResultIn(Schema):
    findings: str
    impression: str
    performed_at: datetime | None = None


class ResultOut(Schema):
    id: int
    operator_id: int
    performed_at: datetime
    findings: str
    impression: str


class CorrectionIn(Schema):
    reason: str = Field(description="Why the result is corrected (kept with the new version)")
    version: int | None = Field(None, description="The version corrected: refused when it has been superseded")


class AmendResultIn(CorrectionIn):
    findings: str
    impression: str


class AmendReportIn(CorrectionIn):
    report: str


class ResultVersionOut(Schema):
    version: int
    kind: str = Field(description="original, amendment or entered_in_error")
    findings: str
    impression: str
    report: str
    reason: str
    recorded_by: str
    recorded_at: datetime


class ResultHistoryOut(Schema):
    current_version: int | None = Field(description="None when the result was entered in error")
    entered_in_error: bool
    versions: list[ResultVersionOut]


def _history(history: selectors.ResultHistory | None) -> dict[str, Any] | None:
    if history is None:
        return None
    current = history.current
    return {
        "current_version": current.version if current is not None else None,
        "entered_in_error": history.entered_in_error,
        "versions": history.versions,
    }


class FacilityRef(Schema):
    id: int
    name: str


class OperatorReasonsOut(Schema):
    name: str
    reasons_id: list[str]
    reasons_en: list[str]


class ReferralOut(Schema):
    id: int
    patient_id: int
    imaging_order_id: int | None
    procedure_id: int | None
    equipment_kind: str
    from_facility_id: int
    to_facility_id: int | None
    outside_name: str
    outside_address: str
    note: str
    status: str
    sent_at: datetime
    responded_at: datetime | None
    decline_reason: str
    completed_at: datetime | None
    report: str
    has_file: bool

    @staticmethod
    def resolve_has_file(obj: Referral) -> bool:
        return bool(obj.file_storage_name)


class OrderDetailOut(OrderOut):
    equipment_kind: str
    in_house_possible: bool
    equipment_in_service: bool
    operators: list[str]
    not_allowed: list[OperatorReasonsOut]
    network: list[FacilityRef] = Field(description="Facilities of the network with the equipment in service")
    referrals: list[ReferralOut]
    result: ResultOut | None = Field(description="The result as recorded (version 1)")
    result_history: ResultHistoryOut | None = Field(description="Every version of the result, and the current one")


class ReferralDetailOut(ReferralOut):
    result_history: ResultHistoryOut | None = Field(
        description="Every version of the returned result (report is version 1), and the current one"
    )

    @staticmethod
    def resolve_result_history(obj: Referral) -> dict[str, Any] | None:
        return _history(selectors.referral_result_history(obj))


class ReferIn(Schema):
    to_facility_id: int | None = None
    outside_name: str = ""
    outside_address: str = ""
    note: str = ""


class CompleteIn(Schema):
    report: str


class ImagingWorklistOut(Schema):
    facility_id: int
    incoming: list[ReferralOut]
    outgoing: list[ReferralOut]


def _order(request: HttpRequest, order_id: int, purpose: str) -> tuple[Scope, ImagingOrder]:
    scope = request_scope(request)
    order = access_order(scope, order_id)
    access_patient(scope, order.patient_id, purpose=purpose)
    return scope, order


def _detail(request: HttpRequest, scope: Scope, order: ImagingOrder) -> dict[str, Any]:
    page = selectors.order_page(scope, order, request_user(request))
    return {
        **{f: getattr(order, f) for f in OrderOut.model_fields},
        "equipment_kind": page.kind,
        "in_house_possible": page.in_house.possible,
        "equipment_in_service": page.in_house.equipment_in_service,
        "operators": [p.full_name for p in page.operators],
        "not_allowed": [
            {"name": o.name, "reasons_id": o.reasons_id, "reasons_en": o.reasons_en} for o in page.not_allowed
        ],
        "network": page.network,
        "referrals": page.referrals,
        "result": page.result,
        "result_history": _history(page.history),
    }


def _facility(scope: Scope, facility_id: int | None) -> Facility | None:
    if facility_id is None:
        return None
    facility = organization_facility(scope, facility_id)
    if facility is None:
        raise Http404("No such facility")
    return facility


@router.get(
    "/patients/{patient_id}/imaging",
    response={200: Page[OrderOut], **ERRORS},
    summary="A patient's orders, newest first (paged)",
)
def list_orders(request: HttpRequest, patient_id: int, paging: Query[PageQuery]) -> HttpResponse:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose="api imaging")
    found = selectors.patient_order_rows(scope, patient, offset=paging.offset, limit=paging.page_size)
    return json_page(found.rows, count=found.count, query=paging)


@router.post("/patients/{patient_id}/imaging", response={201: OrderOut, **ERRORS}, summary="Order an examination")
@idempotent
def order(request: HttpRequest, patient_id: int, payload: ImagingOrderIn) -> Any:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose="api imaging order")
    created = services.order_imaging(
        scope=scope,
        acting_user=request_user(request),
        patient=patient,
        modality=payload.modality,
        body_region=payload.body_region,
        clinical_question=payload.clinical_question,
        facility=_facility(scope, payload.facility_id),
    )
    return Status(201, created)


@router.get(
    "/imaging/orders/{order_id}",
    response={200: OrderDetailOut, **ERRORS},
    summary="An order: in-house possibility (operators and the engine's reasons), the network, referrals, result",
)
def detail(request: HttpRequest, order_id: int) -> Any:
    scope, found = _order(request, order_id, "api imaging")
    return _detail(request, scope, found)


@router.post("/imaging/orders/{order_id}/result", response={201: ResultOut, **ERRORS}, summary="Record the result")
@idempotent
def result(request: HttpRequest, order_id: int, payload: ResultIn) -> Any:
    scope, found = _order(request, order_id, "api imaging result")
    try:
        recorded = services.record_imaging_result(
            scope=scope,
            acting_user=request_user(request),
            order=found,
            findings=payload.findings,
            impression=payload.impression,
            performed_at=payload.performed_at,
        )
    except ImagingRefused as denied:
        return refusal("imaging_refused", denied)
    return Status(201, recorded)


@router.post("/imaging/orders/{order_id}/cancel", response={200: OrderOut, **ERRORS}, summary="Cancel with a reason")
@idempotent
def cancel(request: HttpRequest, order_id: int, payload: ReasonIn) -> Any:
    scope, found = _order(request, order_id, "api imaging cancel")
    return services.cancel_imaging_order(
        scope=scope, acting_user=request_user(request), order=found, reason=payload.reason
    )


@router.post("/imaging/orders/{order_id}/referrals", response={201: ReferralOut, **ERRORS}, summary="Refer an order")
@idempotent
def refer_order(request: HttpRequest, order_id: int, payload: ReferIn) -> Any:
    scope, found = _order(request, order_id, "api referral")
    referral = services.refer(
        scope=scope,
        acting_user=request_user(request),
        order=found,
        to_facility=_facility(scope, payload.to_facility_id),
        outside_name=payload.outside_name,
        outside_address=payload.outside_address,
        note=payload.note,
    )
    return Status(201, referral)


@router.post(
    "/imaging/procedures/{record_id}/referrals",
    response={201: ReferralOut, **ERRORS},
    summary="Refer a procedure waiting for its guidance equipment",
)
@idempotent
def refer_procedure(request: HttpRequest, record_id: int, payload: ReferIn) -> Any:
    scope = request_scope(request)
    record = access_procedure(scope, record_id)
    access_patient(scope, record.patient_id, purpose="api referral")
    referral = services.refer(
        scope=scope,
        acting_user=request_user(request),
        procedure=record,
        to_facility=_facility(scope, payload.to_facility_id),
        outside_name=payload.outside_name,
        outside_address=payload.outside_address,
        note=payload.note,
    )
    return Status(201, referral)


@router.get("/imaging/referrals/{referral_id}", response={200: ReferralDetailOut, **ERRORS}, summary="A referral")
def referral(request: HttpRequest, referral_id: int) -> Any:
    return access_referral(request_scope(request), referral_id)


@router.post("/imaging/referrals/{referral_id}/accept", response={200: ReferralOut, **ERRORS}, summary="Accept")
@idempotent
def accept(request: HttpRequest, referral_id: int) -> Any:
    scope = request_scope(request)
    found = access_referral(scope, referral_id)
    return services.accept_referral(scope=scope, acting_user=request_user(request), referral=found)


@router.post("/imaging/referrals/{referral_id}/decline", response={200: ReferralOut, **ERRORS}, summary="Decline")
@idempotent
def decline(request: HttpRequest, referral_id: int, payload: ReasonIn) -> Any:
    scope = request_scope(request)
    found = access_referral(scope, referral_id)
    return services.decline_referral(
        scope=scope, acting_user=request_user(request), referral=found, reason=payload.reason
    )


@router.post(
    "/imaging/referrals/{referral_id}/complete",
    response={200: ReferralOut, **ERRORS},
    summary="Attach the returned report (a file is attached on the page)",
)
@idempotent
def complete(request: HttpRequest, referral_id: int, payload: CompleteIn) -> Any:
    scope = request_scope(request)
    found = access_referral(scope, referral_id)
    return services.complete_referral(
        scope=scope, acting_user=request_user(request), referral=found, report=payload.report
    )


@router.get(
    "/imaging/facilities/{facility_id}/referrals",
    response={200: ImagingWorklistOut, **ERRORS},
    summary="A facility's incoming and outgoing referrals",
)
def worklist(request: HttpRequest, facility_id: int) -> Any:
    scope = request_scope(request)
    ensure_clinical_role(scope, object_type="referral_worklist")
    facility = access_facility(scope, facility_id)
    lists = selectors.worklists(scope, facility, acting_user=request_user(request))
    return {"facility_id": facility.pk, "incoming": lists.incoming, "outgoing": lists.outgoing}


# --- Corrections of results -------------------------------------------------------------------------


def _result_of(order: ImagingOrder) -> ImagingResult:
    found = ImagingResult.objects.filter(order=order).select_related("order__facility").first()
    if found is None:
        raise Http404("No result")
    return found


@router.post(
    "/imaging/orders/{order_id}/result/amend",
    response={201: ResultHistoryOut, **ERRORS},
    summary="Amend the in-house result (a new version; the earlier ones are kept)",
)
@idempotent
def amend_result(request: HttpRequest, order_id: int, payload: AmendResultIn) -> Any:
    scope, found = _order(request, order_id, "api imaging result amendment")
    result = _result_of(found)
    try:
        services.amend_imaging_result(
            scope=scope,
            acting_user=request_user(request),
            result=result,
            reason=payload.reason,
            findings=payload.findings,
            impression=payload.impression,
            version=payload.version,
        )
    except ImagingRefused as denied:
        return refusal("imaging_refused", denied)
    return Status(201, _history(selectors.result_history(result)))


@router.post(
    "/imaging/orders/{order_id}/result/entered-in-error",
    response={201: ResultHistoryOut, **ERRORS},
    summary="Mark the in-house result entered in error (kept, no longer the current result)",
)
@idempotent
def result_entered_in_error(request: HttpRequest, order_id: int, payload: CorrectionIn) -> Any:
    scope, found = _order(request, order_id, "api imaging result entered in error")
    result = _result_of(found)
    try:
        services.mark_result_entered_in_error(
            scope=scope,
            acting_user=request_user(request),
            result=result,
            reason=payload.reason,
            version=payload.version,
        )
    except ImagingRefused as denied:
        return refusal("imaging_refused", denied)
    return Status(201, _history(selectors.result_history(result)))


@router.post(
    "/imaging/referrals/{referral_id}/result/amend",
    response={201: ResultHistoryOut, **ERRORS},
    summary="Amend a referral's returned result (a new version; the earlier ones are kept)",
)
@idempotent
def amend_referral_result(request: HttpRequest, referral_id: int, payload: AmendReportIn) -> Any:
    scope = request_scope(request)
    found = access_referral(scope, referral_id)
    services.amend_referral_result(
        scope=scope,
        acting_user=request_user(request),
        referral=found,
        reason=payload.reason,
        report=payload.report,
        version=payload.version,
    )
    return Status(201, _history(selectors.referral_result_history(found)))


@router.post(
    "/imaging/referrals/{referral_id}/result/entered-in-error",
    response={201: ResultHistoryOut, **ERRORS},
    summary="Mark a referral's returned result entered in error (kept, no longer the current result)",
)
@idempotent
def referral_result_entered_in_error(request: HttpRequest, referral_id: int, payload: CorrectionIn) -> Any:
    scope = request_scope(request)
    found = access_referral(scope, referral_id)
    services.mark_result_entered_in_error(
        scope=scope, acting_user=request_user(request), referral=found, reason=payload.reason, version=payload.version
    )
    return Status(201, _history(selectors.referral_result_history(found)))
