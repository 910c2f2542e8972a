"""Procedure endpoints. Mounted on the root API at "/" (see docs/procedures.md).

Bad input is a 422 envelope naming each field; a refusal to perform (the engine's or the
equipment's) is a 403 envelope whose ``reasons`` carry each reason's code and its message
in Indonesian and English; another organization's patient, procedure, facility or person is
a 404.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from nyeri.api.errors import ErrorEnvelope, RefusalEnvelope, refusal
from nyeri.api.idempotency import idempotent
from nyeri.api.pages import Page, PageQuery, json_page
from nyeri.api.schemas import ReasonIn
from nyeri.clinical.access import access_patient, ensure_clinical_role
from nyeri.clinical.encounters.selectors import access_encounter
from nyeri.lib.http import request_user
from nyeri.procedures import selectors, services
from nyeri.procedures.access import access_procedure
from nyeri.procedures.catalogue import catalogue, procedure
from nyeri.procedures.catalogue.schema import Procedure
from nyeri.procedures.models import ProcedurePerformance, ProcedureRecord, Relief
from nyeri.procedures.refusals import ProcedureRefused
from nyeri.tenancy.access import access_facility
from nyeri.tenancy.scope import Scope, request_scope
from nyeri.workforce.access import access_person

if TYPE_CHECKING:
    from nyeri.workforce.models import Person

router = Router(tags=["procedures"])


ERRORS: dict[int, Any] = {403: RefusalEnvelope, 404: ErrorEnvelope, 422: ErrorEnvelope}


class Icd9cmOut(Schema):
    code: str
    title: str
    verified: bool
    note: str


class CatalogueEntryOut(Schema):
    code: str
    label_en: str
    label_id: str
    procedure_class: str
    action: str = Field(description="The policy-pack action the performer needs")
    body_sites: list[str] = Field(description="Body-map region codes")
    laterality_required: bool
    sides: dict[str, list[str]] = Field(description="The sides allowed on each body site")
    guidance: list[str] = Field(description="Accepted imaging guidance, the usual one first")
    anesthesia: str = Field(description="The usual anesthesia level")
    anesthesia_levels: list[str]
    icd9cm: Icd9cmOut | None
    source: str

    @staticmethod
    def resolve_sides(obj: Procedure) -> dict[str, list[str]]:
        return {site: list(obj.sides_for(site)) for site in obj.body_sites}


class CatalogueOut(Schema):
    version: str
    icd9cm_edition: str
    procedures: list[CatalogueEntryOut]


def _label(code: str, language: str) -> str:
    return selectors.procedure_label(code, language)


class PerformanceOut(Schema):
    id: int
    record_id: int
    version: int
    kind: str = Field(description="original or amendment")
    amends_id: int | None
    amendment_reason: str
    procedure_code: str
    procedure_label_en: str
    procedure_label_id: str
    catalogue_version: str
    performed_at: datetime
    performer_id: int
    performer_name: str
    anesthesiologist_id: int | None
    anesthesiologist_name: str
    imaging_operator_id: int | None = Field(description="Under fluoroscopy: who operated the C-arm")
    imaging_operator_name: str
    monitoring_nurse_id: int | None = Field(
        description="At sedation or general anesthesia: the nurse who monitored the patient"
    )
    monitoring_nurse_name: str
    anesthesia: str
    guidance: str
    body_site: str
    laterality: str
    pain_before: int | None
    pain_after: int | None
    relief_change: int | None = Field(description="Pain after minus before (negative: less pain)")
    relief_percent: Decimal | None = Field(description="Reduction from the pain before, whole per cent")
    complications: list[str]
    complication_note: str
    note: str
    decision: str = Field(description="The engine decisions and equipment status relied on")
    recorded_by_id: int
    recorded_at: datetime

    @staticmethod
    def resolve_procedure_label_en(obj: ProcedurePerformance) -> str:
        return _label(obj.procedure_code, "en")

    @staticmethod
    def resolve_procedure_label_id(obj: ProcedurePerformance) -> str:
        return _label(obj.procedure_code, "id")

    @staticmethod
    def resolve_performer_name(obj: ProcedurePerformance) -> str:
        return obj.performer.full_name

    @staticmethod
    def resolve_anesthesiologist_name(obj: ProcedurePerformance) -> str:
        return obj.anesthesiologist.full_name if obj.anesthesiologist is not None else ""

    @staticmethod
    def resolve_imaging_operator_name(obj: ProcedurePerformance) -> str:
        return obj.imaging_operator.full_name if obj.imaging_operator is not None else ""

    @staticmethod
    def resolve_monitoring_nurse_name(obj: ProcedurePerformance) -> str:
        return obj.monitoring_nurse.full_name if obj.monitoring_nurse is not None else ""

    @staticmethod
    def resolve_relief_change(obj: ProcedurePerformance) -> int | None:
        return obj.relief.change if obj.relief is not None else None

    @staticmethod
    def resolve_relief_percent(obj: ProcedurePerformance) -> Decimal | None:
        return obj.relief.percent if obj.relief is not None else None

    @staticmethod
    def resolve_complications(obj: ProcedurePerformance) -> list[str]:
        return [c.kind for c in obj.complications.all()]


class ProcedureOut(Schema):
    id: int
    patient_id: int
    facility_id: int
    encounter_id: int | None
    procedure_code: str
    procedure_label_en: str
    procedure_label_id: str
    icd9cm_code: str
    catalogue_version: str
    body_site: str
    laterality: str
    guidance: str
    anesthesia: str
    indication: str
    status: str = Field(
        description="ordered, scheduled, performed, cancelled, elsewhere (performed elsewhere on referral: "
        "the order is completed here, the performing facility keeps the procedure) or entered_in_error "
        "(recorded as performed by mistake: kept with every version, not counted as performed)"
    )
    ordered_by_id: int
    ordered_at: datetime
    scheduled_for: datetime | None
    scheduled_by_id: int | None
    cancelled_by_id: int | None
    cancelled_at: datetime | None
    cancel_reason: str
    entered_in_error_by_id: int | None
    entered_in_error_at: datetime | None
    entered_in_error_reason: str
    current: PerformanceOut | None = Field(description="The current version of what was performed")

    @staticmethod
    def resolve_procedure_label_en(obj: ProcedureRecord) -> str:
        return _label(obj.procedure_code, "en")

    @staticmethod
    def resolve_procedure_label_id(obj: ProcedureRecord) -> str:
        return _label(obj.procedure_code, "id")

    @staticmethod
    def resolve_icd9cm_code(obj: ProcedureRecord) -> str:
        found = procedure(obj.procedure_code)
        return found.icd9cm.code if found is not None and found.icd9cm is not None else ""

    @staticmethod
    def resolve_current(obj: ProcedureRecord) -> ProcedurePerformance | None:
        return getattr(obj, "current", None)


class ProcedureDetailOut(ProcedureOut):
    versions: list[PerformanceOut] = Field(description="Every version of what was performed, the first first")

    @staticmethod
    def resolve_versions(obj: ProcedureRecord) -> list[ProcedurePerformance]:
        return list(getattr(obj, "versions", []))


class ProcedureWorklistOut(Schema):
    facility_id: int
    open: list[ProcedureOut]
    performed: list[ProcedureOut]
    since: datetime


class ProcedureMarkerOut(Schema):
    at: datetime
    kind: str
    label: str
    id: int = Field(description="The procedure's id")
    performance_id: int


class ProcedureOrderIn(Schema):
    procedure_code: str = Field(max_length=40)
    body_site: str = Field(max_length=40)
    laterality: str = Field("", max_length=12)
    guidance: str = Field("", max_length=16, description="Default: the procedure's usual guidance")
    anesthesia: str = Field("", max_length=12, description="Default: the procedure's usual level")
    facility_id: int | None = Field(None, description="Default: the visit's, else where the patient is registered")
    encounter_id: int | None = None
    indication: str = ""


class ScheduleIn(Schema):
    scheduled_for: datetime


class EnteredInErrorIn(Schema):
    reason: str = Field(description="Why it was entered in error (the wrong patient, it was not done, ...)")
    version: int = Field(description="The current version seen: refused when the procedure has been amended since")


class PerformIn(Schema):
    performer_id: int
    anesthesiologist_id: int | None = None
    imaging_operator_id: int | None = None
    monitoring_nurse_id: int | None = Field(
        None, description="At sedation or general anesthesia: the nurse who monitored the patient (required there)"
    )
    performed_at: datetime | None = Field(None, description="Default: now")
    procedure_code: str = Field("", max_length=40, description="Default: the procedure ordered")
    anesthesia: str = Field("", max_length=12, description="Default: as ordered")
    guidance: str = Field("", max_length=16, description="Default: as ordered")
    body_site: str = Field("", max_length=40, description="Default: as ordered")
    laterality: str | None = Field(None, max_length=12, description="Default (null): as ordered")
    pain_before: int | None = None
    pain_after: int | None = None
    complications: list[str] = []
    complication_note: str = ""
    note: str = ""


class ProcedureAmendIn(Schema):
    """Only the fields sent change (``anesthesiologist_id: null`` removes the anesthesiologist)."""

    reason: str
    performer_id: int | None = None
    anesthesiologist_id: int | None = None
    imaging_operator_id: int | None = None
    monitoring_nurse_id: int | None = None
    performed_at: datetime | None = None
    procedure_code: str | None = Field(None, max_length=40)
    anesthesia: str | None = Field(None, max_length=12)
    guidance: str | None = Field(None, max_length=16)
    body_site: str | None = Field(None, max_length=40)
    laterality: str | None = Field(None, max_length=12)
    pain_before: int | None = None
    pain_after: int | None = None
    complications: list[str] | None = None
    complication_note: str | None = None
    note: str | None = None


def _person(scope: Scope, person_id: int | None) -> Person | None:
    return access_person(scope, person_id) if person_id is not None else None


def _detail(scope: Scope, record: ProcedureRecord) -> ProcedureRecord:
    versions = selectors.procedure_history(scope, record)
    record.versions = versions  # type: ignore[attr-defined]
    record.current = versions[-1] if versions else None  # type: ignore[attr-defined]
    return record


@router.get("/procedures/catalogue", response=CatalogueOut, summary="The procedure catalogue")
def catalogue_list(request: HttpRequest) -> Any:
    ensure_clinical_role(request_scope(request), object_type="procedure")
    return catalogue()


class _Labels:
    """The catalogue's labels and ICD-9-CM codes of the codes on one page, each looked up once."""

    def __init__(self) -> None:
        self.found: dict[str, tuple[str, str, str]] = {}

    def __call__(self, code: str) -> tuple[str, str, str]:
        known = self.found.get(code)
        if known is None:
            entry = procedure(code)
            icd9cm = entry.icd9cm.code if entry is not None and entry.icd9cm is not None else ""
            known = self.found[code] = (_label(code, "en"), _label(code, "id"), icd9cm)
        return known


def _list_item(row: dict[str, Any], labels: _Labels) -> dict[str, Any]:
    # What ProcedureOut and PerformanceOut compute from a model instance, from the plain rows.
    row["procedure_label_en"], row["procedure_label_id"], row["icd9cm_code"] = labels(row["procedure_code"])
    current = row["current"]
    if current is not None:
        current["procedure_label_en"], current["procedure_label_id"], _ = labels(current["procedure_code"])
        before, after = current["pain_before"], current["pain_after"]
        relief = Relief(before, after) if before is not None and after is not None else None
        current["relief_change"] = relief.change if relief is not None else None
        current["relief_percent"] = relief.percent if relief is not None else None
    return row


@router.get(
    "/patients/{patient_id}/procedures",
    response={200: Page[ProcedureOut], **ERRORS},
    summary="A patient's procedures, newest order first (audited read, paged)",
)
def list_procedures(request: HttpRequest, patient_id: int, paging: Query[PageQuery]) -> HttpResponse:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose="api procedures")
    found = selectors.patient_procedure_rows(scope, patient, offset=paging.offset, limit=paging.page_size)
    labels = _Labels()
    return json_page([_list_item(row, labels) for row in found.rows], count=found.count, query=paging)


@router.post(
    "/patients/{patient_id}/procedures",
    response={201: ProcedureOut, **ERRORS},
    summary="Order a procedure of the catalogue for a patient (the engine decides order_procedure)",
)
@idempotent
def order(request: HttpRequest, patient_id: int, payload: ProcedureOrderIn) -> Any:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose="api procedure order")
    try:
        record = services.order_procedure(
            scope=scope,
            acting_user=request_user(request),
            patient=patient,
            procedure_code=payload.procedure_code,
            body_site=payload.body_site,
            laterality=payload.laterality,
            guidance=payload.guidance,
            anesthesia=payload.anesthesia,
            facility=access_facility(scope, payload.facility_id) if payload.facility_id is not None else None,
            encounter=access_encounter(scope, payload.encounter_id) if payload.encounter_id is not None else None,
            indication=payload.indication,
        )
    except ProcedureRefused as denied:
        return refusal("procedure_refused", denied)
    return Status(201, record)


def _record(request: HttpRequest, record_id: int, purpose: str) -> tuple[Scope, ProcedureRecord]:
    scope = request_scope(request)
    record = access_procedure(scope, record_id)
    access_patient(scope, record.patient_id, purpose=purpose)
    return scope, record


@router.get(
    "/procedures/{record_id}",
    response={200: ProcedureDetailOut, **ERRORS},
    summary="A procedure with every version of what was performed (audited read of the patient)",
)
def detail(request: HttpRequest, record_id: int) -> Any:
    scope, record = _record(request, record_id, "api procedure")
    return _detail(scope, record)


@router.post("/procedures/{record_id}/schedule", response={200: ProcedureOut, **ERRORS}, summary="Schedule or move")
@idempotent
def schedule(request: HttpRequest, record_id: int, payload: ScheduleIn) -> Any:
    scope, record = _record(request, record_id, "api procedure schedule")
    return services.schedule_procedure(
        scope=scope, acting_user=request_user(request), record=record, scheduled_for=payload.scheduled_for
    )


@router.post("/procedures/{record_id}/cancel", response={200: ProcedureOut, **ERRORS}, summary="Cancel with a reason")
@idempotent
def cancel(request: HttpRequest, record_id: int, payload: ReasonIn) -> Any:
    scope, record = _record(request, record_id, "api procedure cancel")
    return services.cancel_procedure(
        scope=scope, acting_user=request_user(request), record=record, reason=payload.reason
    )


@router.post(
    "/procedures/{record_id}/perform",
    response={201: PerformanceOut, **ERRORS},
    summary="Record the procedure as performed (the engine decides the performer and anesthesiologist; "
    "the guidance equipment must be in service)",
)
@idempotent
def perform(request: HttpRequest, record_id: int, payload: PerformIn) -> Any:
    scope, record = _record(request, record_id, "api procedure performance")
    try:
        performance = services.record_performance(
            scope=scope,
            acting_user=request_user(request),
            record=record,
            performer=_person(scope, payload.performer_id),
            anesthesiologist=_person(scope, payload.anesthesiologist_id),
            imaging_operator=_person(scope, payload.imaging_operator_id),
            monitoring_nurse=_person(scope, payload.monitoring_nurse_id),
            performed_at=payload.performed_at,
            procedure_code=payload.procedure_code,
            anesthesia=payload.anesthesia,
            guidance=payload.guidance,
            body_site=payload.body_site,
            laterality=payload.laterality,
            pain_before=payload.pain_before,
            pain_after=payload.pain_after,
            complications=payload.complications,
            complication_note=payload.complication_note,
            note=payload.note,
        )
    except ProcedureRefused as denied:
        return refusal("procedure_refused", denied)
    return Status(201, performance)


@router.post(
    "/procedures/{record_id}/amend",
    response={201: PerformanceOut, **ERRORS},
    summary="Amend what was recorded as performed: a new version with the reason",
)
@idempotent
def amend(request: HttpRequest, record_id: int, payload: ProcedureAmendIn) -> Any:
    scope, record = _record(request, record_id, "api procedure amendment")
    current = services.current_version(record)
    if current is None:
        raise ValidationError(_("Only a performed procedure is amended."), code="not_performed")
    sent = payload.model_fields_set - {"reason"}
    changes: dict[str, Any] = {}
    for name in sent:
        value = getattr(payload, name)
        if name == "performer_id":
            changes["performer"] = _person(scope, value)
        elif name == "anesthesiologist_id":
            changes["anesthesiologist"] = _person(scope, value)
        elif name == "imaging_operator_id":
            changes["imaging_operator"] = _person(scope, value)
        elif name == "monitoring_nurse_id":
            changes["monitoring_nurse"] = _person(scope, value)
        elif name == "performed_at":
            changes["performed_at"] = value  # naive: read at the facility by the service
        elif name in (
            "procedure_code",
            "anesthesia",
            "guidance",
            "body_site",
            "laterality",
            "complication_note",
            "note",
        ):
            changes[name] = value or ""
        elif name == "complications":
            changes[name] = value or []
        else:
            changes[name] = value
    try:
        successor = services.amend_performance(
            scope=scope, acting_user=request_user(request), performance=current, reason=payload.reason, **changes
        )
    except ProcedureRefused as denied:
        return refusal("procedure_refused", denied)
    return Status(201, successor)


@router.post(
    "/procedures/{record_id}/entered-in-error",
    response={200: ProcedureDetailOut, **ERRORS},
    summary="Mark a performed procedure entered in error (kept with every version; no longer counted as performed)",
)
@idempotent
def entered_in_error(request: HttpRequest, record_id: int, payload: EnteredInErrorIn) -> Any:
    scope, record = _record(request, record_id, "api procedure entered in error")
    services.mark_performance_entered_in_error(
        scope=scope, acting_user=request_user(request), record=record, reason=payload.reason, version=payload.version
    )
    return _detail(scope, record)


@router.get(
    "/facilities/{facility_id}/procedures",
    response={200: ProcedureWorklistOut, **ERRORS},
    summary="A facility's worklist: procedures waiting, and those performed in the last 30 days (audited)",
)
def worklist(request: HttpRequest, facility_id: int) -> Any:
    scope = request_scope(request)
    work = selectors.facility_worklist(scope, access_facility(scope, facility_id))
    return {"facility_id": work.facility.pk, "open": work.open, "performed": work.performed, "since": work.since}


@router.get(
    "/patients/{patient_id}/procedure-markers",
    response={200: Page[ProcedureMarkerOut], **ERRORS},
    summary="The patient's performed procedures as chart markers, oldest first (audited read; paged)",
)
def markers(request: HttpRequest, patient_id: int, paging: Query[PageQuery]) -> HttpResponse:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose="api procedure markers")
    found = selectors.procedure_marker_rows(scope, patient, offset=paging.offset, limit=paging.page_size)
    return json_page(found.rows, count=found.count, query=paging)
