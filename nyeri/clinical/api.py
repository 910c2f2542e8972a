from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from nyeri.api.errors import ErrorEnvelope, envelope, with_api_names
from nyeri.api.idempotency import idempotent
from nyeri.api.pages import Page, PageQuery, json_page, page_slice
from nyeri.api.schemas import ReasonIn
from nyeri.clinical import selectors as patient_selectors
from nyeri.clinical import services
from nyeri.clinical.access import MERGE_ROLES, access_patient, ensure_clinical_role
from nyeri.clinical.assessments import selectors as assessment_selectors
from nyeri.clinical.assessments import services as assessment_services
from nyeri.clinical.assessments.display import ScoreLabels, describe, instrument_name
from nyeri.clinical.assessments.services import BodySiteIn
from nyeri.clinical.encounters import selectors as encounter_selectors
from nyeri.clinical.encounters import services as encounter_services
from nyeri.clinical.instruments import all_instruments
from nyeri.clinical.models import Encounter, EncounterParticipant, PainAssessment, Patient, PatientMerge
from nyeri.clinical.services import DuplicatePatient, StaleEdit
from nyeri.lib.http import request_user
from nyeri.tenancy import selectors as tenancy_selectors
from nyeri.tenancy.access import access_facility
from nyeri.tenancy.models import Facility
from nyeri.tenancy.refusals import write_transaction
from nyeri.tenancy.scope import Scope, request_scope
from nyeri.workforce import selectors as workforce_selectors

router = Router(tags=["patients"])


class PatientOut(Schema):
    id: int
    mrn: str
    full_name: str
    # Empty for a search result outside the user's care: identification only (docs/break-glass.md).
    birth_date: date | None = None
    sex: str | None = None
    registered_at_id: int | None = None
    in_care: bool = Field(True, description="False: outside your care; open it only through break-glass.")


class OnePatientOut(PatientOut):
    merged_into_id: int | None = Field(None, description="Set: this record was merged into that one.")


class PatientSearch(PageQuery):
    q: str = ""


@router.get(
    "/patients",
    response={200: Page[PatientOut], 403: ErrorEnvelope, 422: ErrorEnvelope},
    summary="Search patients, the most recently registered first (audited; paged)",
)
def list_patients(request: HttpRequest, filters: Query[PatientSearch]) -> HttpResponse:
    found = patient_selectors.search_patient_rows(
        request_scope(request), filters.q[:100], offset=filters.offset, limit=filters.page_size
    )
    return json_page(found.rows, count=found.count, query=filters)


@router.get(
    "/patients/{patient_id}",
    response={200: OnePatientOut, 403: ErrorEnvelope, 404: ErrorEnvelope},
    summary="One patient (audited; 403 care_access_required outside your care)",
)
def get_patient(request: HttpRequest, patient_id: int) -> object:
    return access_patient(request_scope(request), patient_id, purpose="api")


# --- Registration, demographics with history, merge --------------------------------------
# (Services in nyeri/clinical/services.py; checks in nyeri/clinical/registration.py; docs/patients.md.)


class PatientRecordOut(Schema):
    id: int
    mrn: str
    full_name: str
    nik: str
    no_nik_reason: str
    other_identifier_kind: str
    other_identifier: str
    birth_date: date
    sex: str
    phone: str
    address: str
    regency_code: str
    regency: str
    ihs_number: str = Field(description="SATUSEHAT patient identifier; empty until the patient is linked.")
    registered_at_id: int
    version: int = Field(description="Send it back with PATCH: an edit of an older version is refused (409).")
    merged_into_id: int | None
    url: str


class RegisterIn(Schema):
    facility_id: int
    full_name: str = Field(max_length=200)
    birth_date: date = Field(description="Not in the future; must match the date encoded in the NIK.")
    sex: str = Field(description="female, male, other or unknown; must match the NIK.")
    nik: str = Field("", description="16 digits; empty only with no_nik_reason and another identifier.")
    no_nik_reason: str = Field("", description="Without a NIK: foreigner, newborn or unknown.")
    other_identifier_kind: str = Field("", description="passport, residence_permit, mother_nik or other.")
    other_identifier: str = Field("", max_length=40)
    phone: str = Field("", max_length=40)
    address: str = Field("", max_length=300)
    regency_code: str = Field("", description="Kemendagri code of the regency or city, e.g. 32.73.")
    confirm_possible_duplicate: bool = Field(
        False, description="Register although a patient with the same name and birth date exists (else 409)."
    )


class PatientPatchIn(Schema):
    full_name: str | None = Field(None, max_length=200)
    nik: str | None = None
    no_nik_reason: str | None = None
    other_identifier_kind: str | None = None
    other_identifier: str | None = Field(None, max_length=40)
    birth_date: date | None = None
    sex: str | None = None
    phone: str | None = Field(None, max_length=40)
    address: str | None = Field(None, max_length=300)
    regency_code: str | None = None
    ihs_number: str | None = Field(None, max_length=20)
    version: int | None = Field(None, description="The version you read; a stale edit is refused with 409.")
    reason: str = Field("", max_length=1000)
    confirm_possible_duplicate: bool = False


class MergeIn(Schema):
    survivor_id: int = Field(description="The record that stays; this record ({patient_id}) is merged into it.")
    reason: str = Field(max_length=1000)


class MergeOut(Schema):
    id: int
    survivor_id: int
    merged_id: int
    merged_at: datetime
    reason: str
    moved: dict[str, int] = Field(description="Rows moved to the survivor, per table.field.")
    kept: dict[str, int] = Field(
        description="Rows left on the merged record (the survivor had their unique counterpart)."
    )


class DuplicateRef(Schema):
    id: int
    mrn: str
    full_name: str
    birth_date: date
    url: str


class DuplicateBody(Schema):
    code: str
    message: str
    fields: list[dict[str, str]] = []
    patients: list[DuplicateRef] = []


class DuplicateEnvelope(Schema):
    error: DuplicateBody


def _record_out(patient: Patient) -> dict[str, Any]:
    fields = {name: getattr(patient, name) for name in PatientRecordOut.model_fields if name != "url"}
    fields["url"] = reverse("clinical:patient_detail", args=[patient.pk])
    return fields


def _conflict(error: ValidationError) -> Status[dict[str, Any]]:
    """409: a duplicate (naming the registered patients) or a stale edit."""
    if isinstance(error, DuplicatePatient):
        fields = [{"field": name, "message": " ".join(msgs)} for name, msgs in error.message_dict.items()]
        envelope_body = envelope(error.duplicate_code, fields[0]["message"], fields)
        envelope_body["error"]["patients"] = [
            {"id": p.id, "mrn": p.mrn, "full_name": p.full_name, "birth_date": p.birth_date, "url": p.url}
            for p in error.patients
        ]
        return Status(409, envelope_body)
    return Status(409, envelope("stale", " ".join(error.messages)))


REGISTER_ERRORS = {403: ErrorEnvelope, 404: ErrorEnvelope, 409: DuplicateEnvelope, 422: ErrorEnvelope}


@router.post(
    "/patients",
    response={201: PatientRecordOut, **REGISTER_ERRORS},
    summary="Register a patient (record number generated; NIK and duplicates checked; audited)",
)
@idempotent
def register(request: HttpRequest, payload: RegisterIn) -> Status[dict[str, Any]]:
    scope = request_scope(request)
    facility = access_facility(scope, payload.facility_id)
    fields = payload.model_dump(exclude={"facility_id"})
    try:
        patient = services.register_patient(scope=scope, acting_user=request_user(request), facility=facility, **fields)
    except DuplicatePatient as error:
        return _conflict(error)
    return Status(201, _record_out(patient))


@router.patch(
    "/patients/{patient_id}",
    response={200: PatientRecordOut, **REGISTER_ERRORS},
    summary="Edit a patient's demographics (each change kept with who, when, before and after)",
)
@idempotent
def edit_patient(request: HttpRequest, patient_id: int, payload: PatientPatchIn) -> Status[dict[str, Any]]:
    scope = request_scope(request)
    changes = payload.model_dump(exclude_unset=True, exclude={"version", "reason", "confirm_possible_duplicate"})
    try:
        patient = services.update_patient(
            scope=scope,
            acting_user=request_user(request),
            patient_id=patient_id,
            changes=changes,
            version=payload.version,
            reason=payload.reason,
            confirm_possible_duplicate=payload.confirm_possible_duplicate,
        )
    except (DuplicatePatient, StaleEdit) as error:
        return _conflict(error)
    return Status(200, _record_out(patient))


@router.post(
    "/patients/{patient_id}/merge",
    response={200: MergeOut, 403: ErrorEnvelope, 404: ErrorEnvelope, 422: ErrorEnvelope},
    summary="Merge this record into survivor_id (administrators; everything moves; audited)",
)
@idempotent
def merge_patient(request: HttpRequest, patient_id: int, payload: MergeIn) -> Status[PatientMerge]:
    merge = services.merge_patients(
        scope=request_scope(request),
        acting_user=request_user(request),
        survivor_id=payload.survivor_id,
        merged_id=patient_id,
        reason=payload.reason,
    )
    return Status(200, merge)


class RecordNumberFormatIn(Schema):
    facility_id: int | None = Field(
        None, description="Empty: the organization's format (facilities without their own)."
    )
    pattern: str = Field(max_length=60, description="Placeholders {facility}, {year}, {seq} (e.g. {seq:06d}).")


class RecordNumberFormatOut(Schema):
    facility_id: int | None
    pattern: str
    example: str = Field(description="The first number this format makes this year.")


def _format_rows(request: HttpRequest) -> list[dict[str, Any]]:
    rows = patient_selectors.record_number_formats(request_scope(request))
    return [
        {"facility_id": r.facility.pk if r.facility else None, "pattern": r.pattern, "example": r.example} for r in rows
    ]


@router.get(
    "/record-number-formats",
    response={200: Page[RecordNumberFormatOut], 403: ErrorEnvelope, 422: ErrorEnvelope},
    summary="Record number formats of the organization, then of its facilities by name (administrators; paged)",
)
def list_record_number_formats(request: HttpRequest, paging: Query[PageQuery]) -> HttpResponse:
    scope = request_scope(request)
    ensure_clinical_role(scope, object_type="record_number_format", roles=MERGE_ROLES)
    found = patient_selectors.record_number_format_rows(scope, offset=paging.offset, limit=paging.page_size)
    return json_page(found.rows, count=found.count, query=paging)


@router.put(
    "/record-number-formats",
    response={200: list[RecordNumberFormatOut], 403: ErrorEnvelope, 404: ErrorEnvelope, 422: ErrorEnvelope},
    summary="Set the record number format of the organization or of one facility (administrators; audited)",
)
def set_record_number_format(request: HttpRequest, payload: RecordNumberFormatIn) -> list[dict[str, Any]]:
    scope = request_scope(request)
    facility = access_facility(scope, payload.facility_id) if payload.facility_id is not None else None
    services.set_record_number_format(
        scope=scope, acting_user=request_user(request), pattern=payload.pattern, facility=facility
    )
    return _format_rows(request)


# --- Encounters and pain assessments ---------------------------------------------------
# (Services in nyeri/clinical/encounters and nyeri/clinical/assessments; see docs/clinical.md.)

ERRORS = {403: ErrorEnvelope, 404: ErrorEnvelope, 422: ErrorEnvelope}
# The services name model fields; the API's bodies name references with _id.
API_FIELDS = {"facility": "facility_id", "encounter": "encounter_id", "person": "person_id"}


class ParticipantIn(Schema):
    person_id: int
    role: str = Field(description="primary_performer, secondary_performer, attender or consultant")
    minutes: int = Field(description="Minutes with the patient, 1 to 1440 (and not longer than a finished visit).")


class ParticipantOut(Schema):
    id: int
    person_id: int
    person_name: str
    role: str
    minutes: int
    added_at: datetime


class EncounterIn(Schema):
    patient_id: int
    facility_id: int
    kind: str = Field(description="first_visit, follow_up, procedure_day or teleconsultation")
    starts_at: datetime = Field(description="Not in the future: a visit is recorded once it has begun.")
    ends_at: datetime | None = Field(None, description="Given: the visit is recorded as finished.")


class EncounterOut(Schema):
    id: int
    patient_id: int
    facility_id: int
    kind: str
    status: str
    starts_at: datetime
    ends_at: datetime | None
    created_at: datetime
    cancelled_at: datetime | None
    cancel_reason: str
    participants: list[ParticipantOut]
    assessment_ids: list[int] = Field(description="Current assessments and those entered in error.")


class FinishIn(Schema):
    ends_at: datetime | None = Field(None, description="Default: now.")


class EncounterQuery(PageQuery):
    patient: int


def _participant_out(p: EncounterParticipant) -> dict[str, Any]:
    return {
        "id": p.pk,
        "person_id": p.person_id,
        "person_name": p.person.full_name,
        "role": p.role,
        "minutes": p.minutes,
        "added_at": p.added_at,
    }


def _encounter_out(e: Encounter) -> dict[str, Any]:
    fields = {name: getattr(e, name) for name in EncounterOut.model_fields if hasattr(e, name)}
    fields["participants"] = [_participant_out(p) for p in e.participants.all()]
    fields["assessment_ids"] = [a.pk for a in e.assessments.all()]
    return fields


def _reloaded_encounter(request: HttpRequest, encounter_id: int) -> dict[str, Any]:
    return _encounter_out(encounter_selectors.encounter_detail(request_scope(request), encounter_id, purpose="api"))


@router.post("/encounters", response={201: EncounterOut, **ERRORS}, summary="Record an encounter (a visit)")
@idempotent
def create_encounter(request: HttpRequest, payload: EncounterIn) -> Status[dict[str, Any]]:
    scope = request_scope(request)
    patient = access_patient(scope, payload.patient_id, purpose="api: new encounter")
    facility = tenancy_selectors.organization_facility(scope, payload.facility_id)
    try:
        encounter = encounter_services.create_encounter(
            scope=scope,
            acting_user=request_user(request),
            patient=patient,
            facility=facility,
            kind=payload.kind,
            starts_at=payload.starts_at,
            ends_at=payload.ends_at,
        )
    except ValidationError as error:
        raise with_api_names(error, API_FIELDS) from None
    return Status(201, _reloaded_encounter(request, encounter.pk))


@router.get(
    "/encounters", response={200: Page[EncounterOut], **ERRORS}, summary="A patient's encounters, newest first (paged)"
)
def list_encounters(request: HttpRequest, filters: Query[EncounterQuery]) -> HttpResponse:
    scope = request_scope(request)
    patient = access_patient(scope, filters.patient, purpose="api: encounters")
    found = encounter_selectors.patient_encounter_rows(scope, patient, offset=filters.offset, limit=filters.page_size)
    return json_page(found.rows, count=found.count, query=filters)


@router.get("/encounters/{encounter_id}", response={200: EncounterOut, **ERRORS}, summary="One encounter")
def get_encounter(request: HttpRequest, encounter_id: int) -> dict[str, Any]:
    return _reloaded_encounter(request, encounter_id)


@router.post(
    "/encounters/{encounter_id}/participants",
    response={201: EncounterOut, **ERRORS},
    summary="Add a participant (a clinical participant's minutes go to their hours ledger)",
)
@idempotent
def add_participant(request: HttpRequest, encounter_id: int, payload: ParticipantIn) -> Status[dict[str, Any]]:
    scope = request_scope(request)
    encounter = encounter_selectors.access_encounter(scope, encounter_id)
    person = workforce_selectors.organization_person(scope, payload.person_id)
    try:
        encounter_services.add_participant(
            scope=scope,
            acting_user=request_user(request),
            encounter=encounter,
            person=person,
            role=payload.role,
            minutes=payload.minutes,
        )
    except ValidationError as error:
        raise with_api_names(error, API_FIELDS) from None
    return Status(201, _reloaded_encounter(request, encounter.pk))


@router.post("/encounters/{encounter_id}/finish", response={200: EncounterOut, **ERRORS}, summary="Finish a visit")
@idempotent
def finish_encounter(request: HttpRequest, encounter_id: int, payload: FinishIn) -> dict[str, Any]:
    scope = request_scope(request)
    encounter = encounter_selectors.access_encounter(scope, encounter_id)
    encounter_services.finish_encounter(
        scope=scope, acting_user=request_user(request), encounter=encounter, ends_at=payload.ends_at
    )
    return _reloaded_encounter(request, encounter.pk)


@router.post(
    "/encounters/{encounter_id}/cancel",
    response={200: EncounterOut, **ERRORS},
    summary="Cancel a visit that did not take place (kept, with the reason)",
)
@idempotent
def cancel_encounter(request: HttpRequest, encounter_id: int, payload: ReasonIn) -> dict[str, Any]:
    scope = request_scope(request)
    encounter = encounter_selectors.access_encounter(scope, encounter_id)
    encounter_services.cancel_encounter(
        scope=scope, acting_user=request_user(request), encounter=encounter, reason=payload.reason
    )
    return _reloaded_encounter(request, encounter.pk)


class AnswerOptionOut(Schema):
    value: int
    label: str


class InstrumentItemOut(Schema):
    code: str
    label: str
    min: int
    max: int
    step: int
    answers: list[AnswerOptionOut]


class ScoreRuleOut(Schema):
    code: str
    label: str
    rule: str
    items: list[str]
    min_answered: int | None
    unit: str
    loinc: str | None
    loinc_verified: bool | None


class InstrumentOut(Schema):
    code: str
    version: str
    abbreviation: str
    label: str
    panel_loinc: str | None
    items: list[InstrumentItemOut]
    scores: list[ScoreRuleOut]


@router.get(
    "/instruments",
    response={200: Page[InstrumentOut], 422: ErrorEnvelope},
    summary="The assessment instruments by code, in your language (paged)",
)
def list_instruments(request: HttpRequest, paging: Query[PageQuery]) -> HttpResponse:
    # The language is asked once for the page, not per label.
    language = get_language() or "id"
    everything = sorted(all_instruments().values(), key=lambda i: i.code)
    items = [
        {
            "code": i.code,
            "version": i.version,
            "abbreviation": i.abbreviation,
            "label": i.label(language),
            "panel_loinc": i.panel_loinc.code if i.panel_loinc else None,
            "items": [
                {
                    "code": item.code,
                    "label": item.label(language),
                    "min": item.min,
                    "max": item.max,
                    "step": item.step,
                    "answers": [{"value": a.value, "label": a.label(language)} for a in item.answers],
                }
                for item in i.items
            ],
            "scores": [
                {
                    "code": s.code,
                    "label": s.label(language),
                    "rule": s.rule,
                    "items": list(s.items),
                    "min_answered": s.min_answered,
                    "unit": s.unit,
                    "loinc": s.loinc.code if s.loinc else None,
                    "loinc_verified": s.loinc.verified if s.loinc else None,
                }
                for s in i.scores
            ],
        }
        for i in page_slice(everything, paging)
    ]
    return json_page(items, count=len(everything), query=paging)


class BodySiteSchema(Schema):
    region: str = Field(description="A site of the body map: a code of nyeri/lib/bodysites.toml that has views.")
    view: str = Field(description="front or back")
    laterality: str = Field(description="left, right, bilateral or midline (axial regions only)")


class AssessmentIn(Schema):
    instrument: str = Field(description="An instrument code, e.g. nrs, peg, bpi_sf, odi, phq9, gad7, ort.")
    answers: dict[str, int | None] = Field(description="Item code -> whole number in the item's range; null: skipped.")
    encounter_id: int | None = Field(None, description="In an encounter: recorded at its facility.")
    facility_id: int | None = Field(None, description="Outside an encounter: where the patient was assessed.")
    recorded_at: datetime | None = Field(None, description="When the patient was assessed (default: now).")
    source: str = Field("clinician", description="clinician or patient: who gave the answers.")
    body_sites: list[BodySiteSchema] = []
    pain_character: str = Field("", description="nociceptive, neuropathic, nociplastic, mixed, or empty.")


class AssessmentAmendIn(Schema):
    reason: str = Field(max_length=1000)
    answers: dict[str, int | None]
    recorded_at: datetime | None = Field(None, description="Default: the time of the amended version.")
    source: str | None = Field(None, description="Default: the amended version's.")
    body_sites: list[BodySiteSchema] = []
    pain_character: str = ""


class AnswerOut(Schema):
    item: str
    value: int


class ScoreOut(Schema):
    code: str
    label: str
    value: float
    band: str
    band_label: str
    loinc: str | None
    loinc_verified: bool | None


class VersionOut(Schema):
    id: int
    status: str
    created_at: datetime
    recorded_by_id: int
    amendment_reason: str


class AssessmentOut(Schema):
    id: int
    patient_id: int
    encounter_id: int | None
    facility_id: int
    instrument: str
    instrument_version: str
    recorded_at: datetime
    recorded_by_id: int
    created_at: datetime
    source: str
    status: str
    pain_character: str
    amends_id: int | None
    amendment_reason: str
    entered_in_error_at: datetime | None
    entered_in_error_reason: str
    answers: list[AnswerOut]
    scores: list[ScoreOut]
    body_sites: list[BodySiteSchema]
    history: list[VersionOut] = Field([], description="Every version, oldest first (on GET of one assessment).")


class AssessmentQuery(PageQuery):
    status: str = Field("current", description="current (default) or all: every version, amended and in error too.")


class SeriesScoreOut(Schema):
    code: str
    value: float
    band: str


class SeriesPointOut(Schema):
    """One assessment on a trend: the instrument's series it belongs to, when, and its scores."""

    instrument: str
    label: str = Field(description="The instrument's name, in your language")
    assessment_id: int
    recorded_at: datetime
    scores: list[SeriesScoreOut]


class SeriesQuery(PageQuery):
    instrument: str = ""


def _assessment_out(a: PainAssessment, versions: list[PainAssessment] | None = None) -> dict[str, Any]:
    view = describe(a, brief=True)
    return {
        "id": a.pk,
        "patient_id": a.patient_id,
        "encounter_id": a.encounter_id,
        "facility_id": a.facility_id,
        "instrument": a.instrument_code,
        "instrument_version": a.instrument_version,
        "recorded_at": a.recorded_at,
        "recorded_by_id": a.recorded_by_id,
        "created_at": a.created_at,
        "source": a.source,
        "status": a.status,
        "pain_character": a.pain_character,
        "amends_id": a.amends_id,
        "amendment_reason": a.amendment_reason,
        "entered_in_error_at": a.entered_in_error_at,
        "entered_in_error_reason": a.entered_in_error_reason,
        "answers": [{"item": x.item_code, "value": x.value} for x in a.answers.all()],
        "scores": [
            {
                "code": s.code,
                "label": s.label,
                "value": float(s.value) if s.value is not None else 0.0,
                "band": s.band_code,
                "band_label": s.band_label,
                "loinc": s.loinc or None,
                "loinc_verified": s.loinc_verified if s.loinc else None,
            }
            for s in view.scores
            if s.value is not None
        ],
        "body_sites": [{"region": b.region, "view": b.view, "laterality": b.laterality} for b in a.body_sites.all()],
        "history": [
            {
                "id": v.pk,
                "status": v.status,
                "created_at": v.created_at,
                "recorded_by_id": v.recorded_by_id,
                "amendment_reason": v.amendment_reason,
            }
            for v in versions or []
        ],
    }


def _sites(payload: AssessmentIn | AssessmentAmendIn) -> list[BodySiteIn]:
    return [BodySiteIn(s.region, s.view, s.laterality) for s in payload.body_sites]


@router.post(
    "/patients/{patient_id}/assessments",
    response={201: AssessmentOut, **ERRORS},
    summary="Record a pain assessment (scores are computed; needs 'record_assessment' at the facility)",
)
@idempotent
def create_assessment(request: HttpRequest, patient_id: int, payload: AssessmentIn) -> Status[dict[str, Any]]:
    scope = request_scope(request)
    # One transaction: opening the patient (its READ row) and recording (its CREATE row).
    with write_transaction():
        patient = access_patient(scope, patient_id, purpose="api: record assessment")
        errors: dict[str, list[str]] = {}
        encounter = facility = None
        if payload.encounter_id is not None:
            encounter = Encounter.objects.filter(
                organization=scope.organization, patient=patient, pk=payload.encounter_id
            ).first()
            if encounter is None:
                errors["encounter_id"] = [_("This encounter is not one of this patient's.")]
        if payload.facility_id is not None:
            facility = _facility(scope, patient, payload.facility_id)
            if facility is None:
                errors["facility_id"] = [_("This facility is not part of your organization.")]
        if errors:
            raise ValidationError(errors)
        try:
            assessment = assessment_services.record_assessment(
                scope=scope,
                acting_user=request_user(request),
                patient=patient,
                instrument_code=payload.instrument,
                answers=payload.answers,
                encounter=encounter,
                facility=facility,
                recorded_at=payload.recorded_at,
                source=payload.source,
                body_sites=_sites(payload),
                pain_character=payload.pain_character,
            )
        except ValidationError as error:
            raise with_api_names(error, API_FIELDS) from None
    # Built from the rows just written (the service keeps them on the assessment).
    return Status(201, _assessment_out(assessment))


def _facility(scope: Scope, patient: Patient, facility_id: int) -> Facility | None:
    # Most often the patient's own facility, loaded with the patient: not read again.
    if facility_id == patient.registered_at_id:
        return patient.registered_at
    return tenancy_selectors.organization_facility(scope, facility_id)


ScoresOut = list[dict[str, Any]]


def _listed_assessment(
    row: dict[str, Any], labels: ScoreLabels, seen: dict[tuple[Any, ...], ScoresOut]
) -> dict[str, Any]:
    """A row of ``patient_assessment_rows`` turned, in place, into ``AssessmentOut``'s shape.

    ``seen``: the scores already written out in this list, by instrument and stored values; a
    history repeats the same few (NRS 0 to 10), and each is worked out once.
    """
    instrument = row["instrument"] = row.pop("instrument_code")
    key = (instrument, *row["scores"])
    scores = seen.get(key)
    if scores is None:
        scores = seen[key] = [
            {
                "code": s.code,
                "label": s.label,
                "value": float(s.value) if s.value is not None else 0.0,
                "band": s.band_code,
                "band_label": s.band_label,
                "loinc": s.loinc or None,
                "loinc_verified": s.loinc_verified if s.loinc else None,
            }
            for s in labels.lines(instrument, row["scores"])
        ]
    row.update(scores=scores, history=[])
    return row


@router.get(
    "/patients/{patient_id}/assessments",
    response={200: Page[AssessmentOut], **ERRORS},
    summary="A patient's pain assessments, newest first (paged)",
)
def list_assessments(request: HttpRequest, patient_id: int, filters: Query[AssessmentQuery]) -> HttpResponse:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose="api: assessments")
    found = assessment_selectors.patient_assessment_rows(
        scope, patient, include_all=filters.status == "all", offset=filters.offset, limit=filters.page_size
    )
    labels = ScoreLabels()
    seen: dict[tuple[Any, ...], ScoresOut] = {}
    items = [_listed_assessment(row, labels, seen) for row in found.rows]
    return json_page(items, count=found.count, query=filters)


@router.get(
    "/patients/{patient_id}/series",
    response={200: Page[SeriesPointOut], **ERRORS},
    summary="A patient's scores over time (current versions only), by instrument then time, for trends (paged points)",
)
def series(request: HttpRequest, patient_id: int, filters: Query[SeriesQuery]) -> HttpResponse:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose="api: series")
    found = assessment_selectors.series_point_rows(
        scope, patient, instrument_code=filters.instrument or None, offset=filters.offset, limit=filters.page_size
    )
    # Each instrument's name translated once for the page, not once per point.
    names: dict[str, str] = {}
    items = []
    for row in found.rows:
        code = row["instrument_code"]
        if code not in names:
            names[code] = instrument_name(code)
        items.append(
            {
                "instrument": code,
                "label": names[code],
                "assessment_id": row["id"],
                "recorded_at": row["recorded_at"],
                "scores": [{"code": c, "value": float(v), "band": b} for c, v, b in row["scores"]],
            }
        )
    return json_page(items, count=found.count, query=filters)


@router.get(
    "/assessments/{assessment_id}", response={200: AssessmentOut, **ERRORS}, summary="One assessment, with its history"
)
def get_assessment(request: HttpRequest, assessment_id: int) -> dict[str, Any]:
    history = assessment_selectors.assessment_detail(request_scope(request), assessment_id, purpose="api")
    return _assessment_out(history.assessment, history.versions)


@router.post(
    "/assessments/{assessment_id}/amend",
    response={201: AssessmentOut, **ERRORS},
    summary="Amend an assessment: a new version; the earlier one is kept as amended",
)
@idempotent
def amend_assessment(request: HttpRequest, assessment_id: int, payload: AssessmentAmendIn) -> Status[dict[str, Any]]:
    scope = request_scope(request)
    assessment = assessment_selectors.access_assessment(scope, assessment_id)
    try:
        amendment = assessment_services.amend_assessment(
            scope=scope,
            acting_user=request_user(request),
            assessment=assessment,
            reason=payload.reason,
            answers=payload.answers,
            recorded_at=payload.recorded_at,
            source=payload.source,
            body_sites=_sites(payload),
            pain_character=payload.pain_character,
        )
    except ValidationError as error:
        raise with_api_names(error, API_FIELDS) from None
    # Built from the rows just written (the service keeps them on the amendment).
    return Status(201, _assessment_out(amendment))


@router.post(
    "/assessments/{assessment_id}/entered-in-error",
    response={200: AssessmentOut, **ERRORS},
    summary="Mark an assessment entered in error (kept, left out of trends)",
)
@idempotent
def entered_in_error(request: HttpRequest, assessment_id: int, payload: ReasonIn) -> object:
    scope = request_scope(request)
    assessment = assessment_selectors.access_assessment(scope, assessment_id)
    marked = assessment_services.mark_entered_in_error(
        scope=scope, acting_user=request_user(request), assessment=assessment, reason=payload.reason
    )
    # The object read above, as the service left it: not read again.
    return _assessment_out(marked)
