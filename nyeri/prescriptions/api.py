"""Prescription endpoints. Mounted on the root API at "/" (see docs/prescriptions.md).

Errors use the API's envelope: 422 naming each field (``items.0.dose``, ``justification``,
``code``, ...), 403 ``forbidden`` with the engine's reasons in ``fields`` (field
``prescriber``), 403 ``reauthentication_required`` when a controlled prescription is signed
without a recent password entry, 404 for anything outside the organization.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from nyeri.api.errors import ErrorEnvelope, with_api_names
from nyeri.api.idempotency import idempotent
from nyeri.api.pages import Page, PageQuery, json_page, page_slice
from nyeri.api.schemas import ReasonIn
from nyeri.clinical.access import access_patient
from nyeri.lib.http import request_user
from nyeri.prescriptions import catalogue, display, selectors, services
from nyeri.prescriptions.access import access_prescription
from nyeri.prescriptions.items import INSTRUCTIONS_MAX_LENGTH, ItemIn, parse_items
from nyeri.prescriptions.models import Prescription, PrescriptionItem
from nyeri.prescriptions.safety import SafetyCheck
from nyeri.prescriptions.signing import SessionSecondFactor
from nyeri.tenancy.access import access_facility
from nyeri.tenancy.scope import Scope, request_scope
from nyeri.workforce.door import Verdict

router = Router(tags=["prescriptions"])

ERRORS: dict[int, Any] = {403: ErrorEnvelope, 404: ErrorEnvelope, 422: ErrorEnvelope}
KEY_HEADER = "Idempotency-Key"


class MedicationOut(Schema):
    code: str
    label: str
    generic_en: str
    generic_id: str
    strength: Decimal
    strength_unit: str
    dose_unit: str
    form: str
    route: str
    atc: str
    controlled_class: str = Field(description="The class in your organization's jurisdiction; empty: not controlled")
    controlled_label: str
    opioid: bool
    benzodiazepine: bool
    mme_factor: Decimal | None = Field(description="Of the table your jurisdiction uses (policy pack)")
    mme_table: str
    mme_note: str


class ItemSchema(Schema):
    medication: str = Field(max_length=60, description="A catalogue code (GET /api/medications)")
    dose: Decimal = Field(description="Units each time: tablets, capsules, patches or mL (0.5 = half a tablet)")
    doses_per_day: Decimal = Field(description="Doses a day: 2 = twice a day, 0.333 = a patch every 72 hours")
    days: int
    as_needed: bool = Field(False, description="As needed; doses_per_day is then the most a day (MME at that most)")
    instructions: str = Field("", max_length=INSTRUCTIONS_MAX_LENGTH)


class PrescriptionIn(Schema):
    items: list[ItemSchema]
    facility_id: int | None = Field(None, description="Default: where the patient is registered, if you work there")


class PrescriptionItemOut(Schema):
    position: int
    medication: str
    label: str
    atc: str
    strength: Decimal
    strength_unit: str
    dose_unit: str
    form: str
    route: str
    controlled_class: str
    opioid: bool
    benzodiazepine: bool
    dose: Decimal
    doses_per_day: Decimal
    as_needed: bool
    days: int
    quantity: int
    instructions: str
    mme_per_day: Decimal | None
    mme_factor: Decimal | None
    mme_table: str


class PrescriptionOut(Schema):
    id: int
    number: str
    patient_id: int
    facility_id: int
    status: str
    jurisdiction: str
    catalogue_version: str
    contains_controlled: bool
    created_at: datetime
    created_by_id: int
    reissue_of_id: int | None
    signed_at: datetime | None
    prescriber_name: str
    prescriber_registration: str = Field(description="STR number")
    prescriber_permit: str = Field(description="SIP number")
    prescriber_authorisation: str
    second_factor: str
    mme_table: str
    mme_per_day: Decimal | None
    mme_total_per_day: Decimal | None
    warnings: list[str]
    justification: str
    cancelled_at: datetime | None
    cancel_reason: str
    items: list[PrescriptionItemOut]


class MmeOut(Schema):
    table: str
    this_prescription: Decimal
    other_active: Decimal
    total: Decimal
    warn_at: Decimal
    justify_at: Decimal


class WarningOut(Schema):
    code: str
    message: str


class CheckItemOut(Schema):
    medication: str
    label: str
    opioid: bool
    benzodiazepine: bool
    controlled_class: str
    mme_per_day: Decimal | None


class ActiveOut(CheckItemOut):
    prescription_id: int
    ends_on: date | None


class PrescribingDecisionOut(Schema):
    allowed: bool
    reasons: list[str]


class CheckOut(Schema):
    mme: MmeOut
    warnings: list[WarningOut]
    justification_required: bool
    controlled: bool = Field(description="Signing needs a fresh second factor (field 'code' of the sign request)")
    items: list[CheckItemOut]
    active: list[ActiveOut] = Field(description="The patient's other active opioid and benzodiazepine items")
    may_sign: PrescribingDecisionOut


class SignIn(Schema):
    justification: str = Field("", description="Required at or above the upper MME threshold")
    code: str = Field("", max_length=16, description="For a controlled drug: the code of your authenticator app now")


def _item_out(item: PrescriptionItem, language: str) -> dict[str, Any]:
    return {
        "position": item.position,
        "medication": item.medication_code,
        "label": item.label(language),
        "atc": item.atc,
        "strength": item.strength,
        "strength_unit": item.strength_unit,
        "dose_unit": item.dose_unit,
        "form": item.form,
        "route": item.route,
        "controlled_class": item.controlled_class,
        "opioid": item.opioid,
        "benzodiazepine": item.benzodiazepine,
        "dose": item.dose,
        "doses_per_day": item.doses_per_day,
        "as_needed": item.as_needed,
        "days": item.days,
        "quantity": item.quantity,
        "instructions": item.instructions,
        "mme_per_day": item.mme_per_day,
        "mme_factor": item.mme_factor,
        "mme_table": item.mme_table,
    }


def _out(prescription: Prescription, items: list[PrescriptionItem] | None = None) -> dict[str, Any]:
    language = display.language()
    rows = items if items is not None else selectors.items_of(prescription)
    fields = {name: getattr(prescription, name) for name in PrescriptionOut.model_fields if name != "items"}
    fields["items"] = [_item_out(i, language) for i in rows]
    return fields


def _check_out(check: SafetyCheck, may: Verdict) -> dict[str, Any]:
    language = display.language()

    def line(x: Any) -> dict[str, Any]:
        return {
            "medication": x.medication_code,
            "label": x.label(language),
            "opioid": x.opioid,
            "benzodiazepine": x.benzodiazepine,
            "controlled_class": x.controlled_class,
            "mme_per_day": x.mme_per_day,
        }

    return {
        "mme": {
            "table": check.table,
            "this_prescription": check.prescription_mme,
            "other_active": check.other_mme,
            "total": check.total_mme,
            "warn_at": check.warn_at,
            "justify_at": check.justify_at,
        },
        "warnings": [{"code": w.code, "message": w.message()} for w in check.warnings],
        "justification_required": check.justification_required,
        "controlled": check.controlled,
        "items": [line(x) for x in check.lines],
        "active": [{**line(o), "prescription_id": o.prescription_id, "ends_on": o.ends_on} for o in check.others],
        "may_sign": {"allowed": may.allowed, "reasons": list(may.reasons)},
    }


def _items(payload: PrescriptionIn) -> list[ItemIn]:
    return [ItemIn(**i.model_dump()) for i in payload.items]


def _key(request: HttpRequest) -> str:
    """The client's Idempotency-Key header; without one, every request is a new submission."""
    return request.headers.get(KEY_HEADER, "").strip() or f"api-{uuid.uuid4().hex}"


def _read(scope: Scope, prescription_id: int, purpose: str) -> Prescription:
    prescription = access_prescription(scope, prescription_id)
    access_patient(scope, prescription.patient_id, purpose=purpose)
    return prescription


@router.get(
    "/medications",
    response={200: Page[MedicationOut], 422: ErrorEnvelope},
    summary="The medication catalogue of your jurisdiction, by generic name and strength (paged)",
)
def medications(request: HttpRequest, paging: Query[PageQuery]) -> HttpResponse:
    jurisdiction = request_scope(request).organization.jurisdiction
    table = selectors.rules_for(jurisdiction).mme_table
    # The language is chosen once for the page; the labels are the catalogue's own columns.
    language = display.language()
    everything = catalogue.for_jurisdiction(jurisdiction)
    rows = []
    for med in page_slice(everything, paging):
        klass = catalogue.controlled_class(med, jurisdiction)
        factor = med.factor(table)
        rows.append(
            {
                **{k: getattr(med, k) for k in ("code", "generic_en", "generic_id", "strength", "strength_unit")},
                **{k: getattr(med, k) for k in ("dose_unit", "form", "route", "atc", "opioid", "benzodiazepine")},
                "label": catalogue.label(med, language),
                "controlled_class": klass,
                "controlled_label": catalogue.class_label(jurisdiction, klass, language) if klass else "",
                "mme_factor": factor.factor if factor else None,
                "mme_table": factor.table if factor else "",
                "mme_note": med.mme_note_id if language == "id" else med.mme_note_en,
            }
        )
    return json_page(rows, count=len(everything), query=paging)


def _list_item(row: dict[str, Any], label: str) -> dict[str, Any]:
    # PrescriptionOut from the plain rows: the number from its parts, each item's label in
    # the language of the request (``label`` names its column), chosen once for the page.
    row["number"] = Prescription.number_of(row.pop("organization_id"), row["id"])
    for item in row["items"]:
        del item["prescription_id"]
        item["medication"] = item.pop("medication_code")
        item["label"] = item[label]
        del item["label_en"], item["label_id"]
    return row


@router.get(
    "/patients/{patient_id}/prescriptions",
    response={200: Page[PrescriptionOut], **ERRORS},
    summary="A patient's prescriptions, newest first (audited read, paged)",
)
def list_prescriptions(request: HttpRequest, patient_id: int, paging: Query[PageQuery]) -> HttpResponse:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose="api prescriptions")
    found = selectors.patient_prescription_rows(scope, patient, offset=paging.offset, limit=paging.page_size)
    label = "label_id" if display.language() == "id" else "label_en"
    return json_page([_list_item(row, label) for row in found.rows], count=found.count, query=paging)


@router.post(
    "/patients/{patient_id}/prescriptions",
    response={200: PrescriptionOut, 201: PrescriptionOut, **ERRORS},
    summary="Write a draft prescription (send an Idempotency-Key header: the same key returns the same draft)",
)
@idempotent
def create(request: HttpRequest, patient_id: int, payload: PrescriptionIn, response: HttpResponse) -> Any:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose="api new prescription")
    facility = access_facility(scope, payload.facility_id) if payload.facility_id is not None else None
    try:
        written = services.create_prescription(
            scope=scope,
            acting_user=request_user(request),
            patient=patient,
            items=_items(payload),
            idempotency_key=_key(request),
            facility=facility,
        )
    except ValidationError as error:
        raise with_api_names(error, {"facility": "facility_id"}) from None
    if not written.created:
        response["Idempotent-Replayed"] = "true"
    return Status(201 if written.created else 200, _out(written.prescription))


@router.post(
    "/patients/{patient_id}/prescriptions/preview",
    response={200: CheckOut, **ERRORS},
    summary="MME and warnings of items not yet saved, with the patient's active prescriptions (nothing is saved)",
)
def preview_items(request: HttpRequest, patient_id: int, payload: PrescriptionIn) -> dict[str, Any]:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose="api prescription preview")
    facility = (
        access_facility(scope, payload.facility_id)
        if payload.facility_id is not None
        else services.default_facility(scope, patient)
    )
    jurisdiction = scope.organization.jurisdiction
    parsed = parse_items(
        _items(payload), jurisdiction=jurisdiction, mme_table=selectors.rules_for(jurisdiction).mme_table
    )
    check = selectors.preview(scope, patient, parsed)
    return _check_out(check, services.privilege(scope, facility, controlled=check.controlled))


@router.get("/prescriptions/{prescription_id}", response={200: PrescriptionOut, **ERRORS}, summary="One prescription")
def get_prescription(request: HttpRequest, prescription_id: int) -> dict[str, Any]:
    return _out(_read(request_scope(request), prescription_id, "api prescription"))


@router.put(
    "/prescriptions/{prescription_id}",
    response={200: PrescriptionOut, **ERRORS},
    summary="Replace the items of a draft (only its author; a signed prescription is cancelled and reissued)",
)
@idempotent
def update(request: HttpRequest, prescription_id: int, payload: PrescriptionIn) -> Any:
    scope = request_scope(request)
    prescription = _read(scope, prescription_id, "api prescription edit")
    facility = access_facility(scope, payload.facility_id) if payload.facility_id is not None else None
    try:
        changed = services.update_draft(
            scope=scope,
            acting_user=request_user(request),
            prescription=prescription,
            items=_items(payload),
            facility=facility,
        )
    except ValidationError as error:
        raise with_api_names(error, {"facility": "facility_id"}) from None
    return _out(changed)


@router.get(
    "/prescriptions/{prescription_id}/preview",
    response={200: CheckOut, **ERRORS},
    summary="The check before signing: MME per item and in total with the patient's active prescriptions, warnings",
)
def preview(request: HttpRequest, prescription_id: int) -> dict[str, Any]:
    scope = request_scope(request)
    prescription = _read(scope, prescription_id, "api prescription check")
    check = selectors.safety_check(prescription, selectors.items_of(prescription))
    return _check_out(check, services.privilege(scope, prescription.facility, controlled=check.controlled))


@router.post(
    "/prescriptions/{prescription_id}/sign",
    response={200: PrescriptionOut, **ERRORS},
    summary="Sign a draft (a controlled drug needs a recent password entry in this session and a fresh code)",
)
@idempotent
def sign(request: HttpRequest, prescription_id: int, payload: SignIn) -> Any:
    scope = request_scope(request)
    prescription = _read(scope, prescription_id, "api prescription sign")
    factor = SessionSecondFactor(request, payload.code) if prescription.contains_controlled or payload.code else None
    signed = services.sign_prescription(
        scope=scope,
        acting_user=request_user(request),
        prescription=prescription,
        justification=payload.justification,
        second_factor=factor,
    )
    return _out(signed)


@router.post(
    "/prescriptions/{prescription_id}/cancel",
    response={200: PrescriptionOut, **ERRORS},
    summary="Cancel a draft or a signed prescription, with the reason (the row is kept)",
)
@idempotent
def cancel(request: HttpRequest, prescription_id: int, payload: ReasonIn) -> Any:
    scope = request_scope(request)
    prescription = _read(scope, prescription_id, "api prescription cancel")
    cancelled = services.cancel_prescription(
        scope=scope, acting_user=request_user(request), prescription=prescription, reason=payload.reason
    )
    return _out(cancelled)


@router.post(
    "/prescriptions/{prescription_id}/reissue",
    response={200: PrescriptionOut, 201: PrescriptionOut, **ERRORS},
    summary="A new draft repeating a cancelled prescription, linked to it (send an Idempotency-Key header)",
)
@idempotent
def reissue(request: HttpRequest, prescription_id: int, response: HttpResponse) -> Any:
    scope = request_scope(request)
    prescription = _read(scope, prescription_id, "api prescription reissue")
    written = services.reissue_prescription(
        scope=scope, acting_user=request_user(request), prescription=prescription, idempotency_key=_key(request)
    )
    if not written.created:
        response["Idempotent-Replayed"] = "true"
    return Status(201 if written.created else 200, _out(written.prescription))


@router.get(
    "/prescriptions/{prescription_id}/pdf",
    response={200: None, **ERRORS},
    summary="The printable prescription (PDF) with the prescriber's STR and SIP (audited export)",
)
def pdf(request: HttpRequest, prescription_id: int) -> HttpResponse:
    scope = request_scope(request)
    prescription = _read(scope, prescription_id, "api prescription print")
    content = services.export_pdf(scope=scope, acting_user=request_user(request), prescription=prescription)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{prescription.number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
