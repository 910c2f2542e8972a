"""Controlled-drug register endpoints, mounted at "/" (see docs/register.md).

Errors use the API's envelope: 422 naming each field (``quantity``, ``medication``,
``witness_1``, ...), 403 ``forbidden`` with the engine's reasons (field ``pharmacist``),
404 for anything outside the organization.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from nyeri.accounts.models import User
from nyeri.api.errors import ErrorEnvelope
from nyeri.api.idempotency import idempotent
from nyeri.api.pages import Page, PageQuery, json_page
from nyeri.lib.http import request_user
from nyeri.prescriptions import display
from nyeri.prescriptions.selectors import organization_item
from nyeri.register import selectors, services
from nyeri.register.models import Movement
from nyeri.register.report import COLUMNS, check_report
from nyeri.tenancy.access import access_facility
from nyeri.tenancy.clock import local_date
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope, request_scope
from nyeri.tenancy.selectors import organization_member

router = Router(tags=["controlled-drug register"])
ERRORS: dict[int, Any] = {403: ErrorEnvelope, 404: ErrorEnvelope, 422: ErrorEnvelope}


def _facility(request: HttpRequest, facility_id: int) -> tuple[Scope, Facility]:
    scope = request_scope(request)
    facility = access_facility(scope, facility_id)
    selectors.ensure_reader(scope, facility)
    return scope, facility


class BalanceOut(Schema):
    medication: str
    label: str
    controlled_class: str
    strength: str
    dose_unit: str
    quantity: int


class MovementOut(Schema):
    id: int
    medication: str
    kind: str
    quantity: int
    delta: int
    balance_after: int
    occurred_at: datetime
    recorded_by_id: int
    supplier: str
    document_number: str
    batch_number: str
    expiry_date: date | None
    prescription_id: int | None
    prescription_item_id: int | None
    patient_id: int | None
    witness_1_id: int | None
    witness_2_id: int | None
    counted_quantity: int | None
    reverses_id: int | None
    reason: str


class ReceiptIn(Schema):
    medication: str = Field(max_length=60, description="A controlled catalogue code (GET /api/medications)")
    quantity: int
    supplier: str = Field(max_length=200)
    document_number: str = Field(max_length=100, description="The supplier's invoice number")
    batch_number: str = Field(max_length=100)
    expiry_date: date


class DispensingIn(Schema):
    prescription_item_id: int
    quantity: int


class ReturnIn(Schema):
    direction: str = Field(pattern="^(from_patient|to_supplier)$")
    medication: str = Field(max_length=60)
    quantity: int
    reason: str = Field(max_length=1000)
    supplier: str = Field("", max_length=200, description="For a return to a supplier")
    patient_id: int | None = Field(None, description="For a return from a patient (optional)")


class DestructionIn(Schema):
    medication: str = Field(max_length=60)
    quantity: int
    witness_1_id: int
    witness_2_id: int
    reason: str = Field(max_length=1000)


class StockTakeIn(Schema):
    medication: str = Field(max_length=60)
    counted_quantity: int
    reason: str = Field(max_length=1000)


class ReverseIn(Schema):
    reason: str = Field(max_length=1000)


class ReportLineOut(Schema):
    medication: str
    label: str
    controlled_class: str
    opening: int
    received: int
    returned_in: int
    dispensed: int
    returned_out: int
    destroyed: int
    adjusted: int
    closing: int


class MismatchOut(Schema):
    medication: str
    problem: str


class ReportOut(Schema):
    facility_id: int
    period: str
    lines: list[ReportLineOut]
    reconciles: bool
    mismatches: list[MismatchOut]


def _movement_out(movement: Movement) -> dict[str, Any]:
    fields = {name: getattr(movement, name) for name in MovementOut.model_fields if name != "medication"}
    fields["medication"] = movement.balance.medication_code
    return fields


def _balance_item(row: dict[str, Any], label: str) -> dict[str, Any]:
    # BalanceOut from a plain row; ``label`` names the column of the request's language.
    return {
        "medication": row["medication_code"],
        "label": row[label],
        "controlled_class": row["controlled_class"],
        "strength": f"{row['strength'].normalize():f} {row['strength_unit']}",
        "dose_unit": row["dose_unit"],
        "quantity": row["quantity"],
    }


@router.get(
    "/facilities/{facility_id}/register/balances",
    response={200: Page[BalanceOut], **ERRORS},
    summary="The stock of each controlled product at the facility (paged)",
)
def balances(request: HttpRequest, facility_id: int, paging: Query[PageQuery]) -> HttpResponse:
    _scope, facility = _facility(request, facility_id)
    label = "label_id" if display.language() == "id" else "label_en"
    found = selectors.balance_rows(facility, offset=paging.offset, limit=paging.page_size)
    return json_page([_balance_item(row, label) for row in found.rows], count=found.count, query=paging)


class MovementQuery(PageQuery):
    medication: str = ""
    kind: str = ""
    since: date | None = None
    until: date | None = None


@router.get(
    "/facilities/{facility_id}/register/movements",
    response={200: Page[MovementOut], **ERRORS},
    summary="The register's movements, newest first (paged)",
)
def movements(request: HttpRequest, facility_id: int, filters: Query[MovementQuery]) -> HttpResponse:
    _scope, facility = _facility(request, facility_id)
    chosen = selectors.MovementFilters(filters.medication, filters.kind, filters.since, filters.until)
    found = selectors.movement_rows(facility, chosen, offset=filters.offset, limit=filters.page_size)
    return json_page(found.rows, count=found.count, query=filters)


def _write(request: HttpRequest, facility_id: int, write: Any) -> Any:
    scope, facility = _facility(request, facility_id)
    movement = write(scope, request_user(request), facility)
    return Status(201, _movement_out(movement))


@router.post("/facilities/{facility_id}/register/receipts", response={201: MovementOut, **ERRORS}, summary="A receipt")
@idempotent
def receipt(request: HttpRequest, facility_id: int, payload: ReceiptIn) -> Any:
    return _write(
        request,
        facility_id,
        lambda scope, user, facility: services.record_receipt(
            scope=scope, acting_user=user, facility=facility, **payload.model_dump()
        ),
    )


@router.post(
    "/facilities/{facility_id}/register/dispensings",
    response={201: MovementOut, **ERRORS},
    summary="Dispense a controlled item of a signed prescription",
)
@idempotent
def dispensing(request: HttpRequest, facility_id: int, payload: DispensingIn) -> Any:
    def write(scope: Scope, user: User, facility: Facility) -> Movement:
        found = organization_item(scope, payload.prescription_item_id)
        return services.dispense(
            scope=scope, acting_user=user, facility=facility, item=found, quantity=payload.quantity
        )

    return _write(request, facility_id, write)


@router.post(
    "/facilities/{facility_id}/register/returns",
    response={201: MovementOut, **ERRORS},
    summary="A return from a patient or to a supplier",
)
@idempotent
def return_(request: HttpRequest, facility_id: int, payload: ReturnIn) -> Any:
    def write(scope: Scope, user: User, facility: Facility) -> Movement:
        common: dict[str, Any] = {
            "scope": scope,
            "acting_user": user,
            "facility": facility,
            "medication": payload.medication,
            "quantity": payload.quantity,
            "reason": payload.reason,
        }
        if payload.direction == "to_supplier":
            return services.record_return_to_supplier(**common, supplier=payload.supplier)
        from nyeri.clinical.access import access_patient

        patient = None
        if payload.patient_id is not None:
            patient = access_patient(scope, payload.patient_id, purpose="api register return")
        return services.record_return_from_patient(**common, patient=patient)

    return _write(request, facility_id, write)


def _member(scope: Scope, user_id: int, field: str) -> User:
    found = organization_member(scope, user_id)
    if found is None:
        raise services.not_a_member(field)
    return found


@router.post(
    "/facilities/{facility_id}/register/destructions",
    response={201: MovementOut, **ERRORS},
    summary="A destruction before two witnesses (neither the recorder)",
)
@idempotent
def destruction(request: HttpRequest, facility_id: int, payload: DestructionIn) -> Any:
    def write(scope: Scope, user: User, facility: Facility) -> Movement:
        return services.record_destruction(
            scope=scope,
            acting_user=user,
            facility=facility,
            medication=payload.medication,
            quantity=payload.quantity,
            witness_1=_member(scope, payload.witness_1_id, "witness_1"),
            witness_2=_member(scope, payload.witness_2_id, "witness_2"),
            reason=payload.reason,
        )

    return _write(request, facility_id, write)


@router.post(
    "/facilities/{facility_id}/register/stock-takes",
    response={201: MovementOut, **ERRORS},
    summary="A counted stock-take: an adjustment to what was counted",
)
@idempotent
def stock_take(request: HttpRequest, facility_id: int, payload: StockTakeIn) -> Any:
    return _write(
        request,
        facility_id,
        lambda scope, user, facility: services.record_stock_take(
            scope=scope, acting_user=user, facility=facility, **payload.model_dump()
        ),
    )


@router.post(
    "/register/movements/{movement_id}/reverse",
    response={201: MovementOut, **ERRORS},
    summary="Correct a movement by its reversal",
)
@idempotent
def reverse(request: HttpRequest, movement_id: int, payload: ReverseIn) -> Any:
    scope = request_scope(request)
    movement = Movement.objects.filter(organization=scope.organization, pk=movement_id).first()
    if movement is None or not scope.covers_facility(movement.facility_id):
        raise Http404("No such movement")
    return _write(
        request,
        movement.facility_id,
        lambda scope, user, facility: services.reverse_movement(
            scope=scope, acting_user=user, movement=movement, reason=payload.reason
        ),
    )


def _period(facility: Facility, year: int | None, month: int | None) -> tuple[int, int]:
    today = local_date(facility)
    year, month = year or today.year, month or today.month
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise services.bad_month()
    return year, month


@router.get(
    "/facilities/{facility_id}/register/report",
    response={200: ReportOut, **ERRORS},
    summary="The monthly narcotics and psychotropics report (default: this month), with its reconciliation",
)
def report(request: HttpRequest, facility_id: int, year: int | None = None, month: int | None = None) -> Any:
    scope, facility = _facility(request, facility_id)
    found = selectors.report_for(scope, facility, *_period(facility, year, month))
    language = display.language()
    problems = check_report(found)
    return {
        "facility_id": facility.pk,
        "period": found.period,
        "lines": [
            {
                "medication": x.medication_code,
                "label": x.label(language),
                "controlled_class": x.controlled_class,
                **{c: getattr(x, c) for c in COLUMNS},
            }
            for x in found.lines
        ],
        "reconciles": not problems,
        "mismatches": [{"medication": p.medication_code, "problem": p.problem} for p in problems],
    }


@router.get(
    "/facilities/{facility_id}/register/report.{kind}",
    response={200: None, **ERRORS},
    summary="The monthly report as csv or pdf (audited export)",
)
def report_file(
    request: HttpRequest, facility_id: int, kind: str, year: int | None = None, month: int | None = None
) -> HttpResponse:
    if kind not in ("csv", "pdf"):
        raise Http404("No such format")
    scope, facility = _facility(request, facility_id)
    year, month = _period(facility, year, month)
    content = selectors.export_report(
        scope=scope, acting_user=request_user(request), facility=facility, year=year, month=month, kind=kind
    )
    return file_response(content, kind, facility, year, month)


def file_response(content: bytes, kind: str, facility: Facility, year: int, month: int) -> HttpResponse:
    types = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}
    response = HttpResponse(content, content_type=types[kind])
    name = f"register-{facility.code or facility.pk}-{year:04d}-{month:02d}.{kind}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
