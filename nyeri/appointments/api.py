"""The appointment book's API: a facility's day (paged), booking, the changes of status, follow-ups.

Times: an ``starts_at``/``ends_at`` without an offset is the facility's wall clock (as the
pages type it); with one, it is taken as given. Answers give them in UTC with the
facility's wall clock beside them (``local_start``, ``local_end``, ``zone``). Writes are
plain (no idempotency key): a repeated booking is refused as an overlap of the clinician.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from nyeri.api.errors import ErrorEnvelope, with_api_names
from nyeri.api.idempotency import idempotent
from nyeri.api.pages import Page, PageQuery, json_page
from nyeri.appointments import selectors, services
from nyeri.appointments.models import Appointment
from nyeri.clinical.access import access_patient
from nyeri.clinical.encounters.selectors import access_encounter
from nyeri.lib.http import request_user
from nyeri.tenancy.access import access_facility
from nyeri.tenancy.clock import DATETIME_LOCAL, facility_zone, local_date, local_now, zone_label
from nyeri.tenancy.refusals import write_transaction
from nyeri.tenancy.scope import request_scope
from nyeri.tenancy.selectors import organization_facility
from nyeri.workforce.selectors import organization_person

router = Router(tags=["appointments"])

# The days a list may ask for: any whose midnights every zone can still write.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)

ERRORS = {403: ErrorEnvelope, 404: ErrorEnvelope, 422: ErrorEnvelope}
# The services name model fields; the API's bodies name references with _id.
API_FIELDS = {"facility": "facility_id", "clinician": "clinician_id", "encounter": "encounter_id"}


class AppointmentIn(Schema):
    patient_id: int
    facility_id: int
    clinician_id: int
    kind: str = Field(description="new_patient, follow_up or procedure")
    starts_at: datetime = Field(description="Without an offset: the facility's wall clock. Not in the past.")
    ends_at: datetime = Field(description="After the start, within the facility's opening hours of that day.")


class AppointmentRescheduleIn(Schema):
    starts_at: datetime
    ends_at: datetime
    clinician_id: int | None = Field(None, description="Another clinician; default: the same.")


class AppointmentCancelIn(Schema):
    reason: str = Field(description="Required.")


class AppointmentFollowUpIn(Schema):
    clinician_id: int
    starts_at: datetime
    ends_at: datetime
    facility_id: int | None = Field(None, description="Default: the encounter's facility.")


class AppointmentOut(Schema):
    id: int
    facility_id: int
    patient_id: int
    patient_name: str
    patient_mrn: str
    clinician_id: int
    clinician_name: str
    kind: str
    kind_label: str = Field(description="In the request's language")
    status: str = Field(description="booked, checked_in, cancelled, no_show or completed")
    status_label: str
    starts_at: datetime
    ends_at: datetime
    local_start: str = Field(description="The start on the facility's clock, YYYY-MM-DDTHH:MM")
    local_end: str
    zone: str = Field(description="WIB, WITA, WIT or the zone's name")
    cancel_reason: str
    encounter_id: int | None = Field(description="The encounter the check-in opened")
    follow_up_of_id: int | None = Field(description="The encounter this follow-up was booked from")


class AppointmentDayQuery(PageQuery):
    facility_id: int
    day: date | None = Field(
        None, ge=FIRST_DAY, le=LAST_DAY, description="The facility's local day; default: today there."
    )
    clinician_id: int | None = None


def _out(a: Appointment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "facility_id": a.facility_id,
        "patient_id": a.patient_id,
        "patient_name": a.patient.full_name,
        "patient_mrn": a.patient.mrn,
        "clinician_id": a.clinician_id,
        "clinician_name": a.clinician.full_name,
        "kind": a.kind,
        "kind_label": str(a.get_kind_display()),
        "status": a.status,
        "status_label": str(a.get_status_display()),
        "starts_at": a.starts_at,
        "ends_at": a.ends_at,
        "local_start": local_now(a.facility, a.starts_at).strftime(DATETIME_LOCAL),
        "local_end": local_now(a.facility, a.ends_at).strftime(DATETIME_LOCAL),
        "zone": zone_label(facility_zone(a.facility)),
        "cancel_reason": a.cancel_reason,
        "encounter_id": a.encounter_id,
        "follow_up_of_id": a.follow_up_of_id,
    }


@router.get(
    "/appointments",
    response={200: Page[AppointmentOut], **ERRORS},
    summary="A facility's appointments on one of its days (of one clinician), by start (paged)",
)
def list_appointments(request: HttpRequest, filters: Query[AppointmentDayQuery]) -> HttpResponse:
    scope = request_scope(request)
    facility = access_facility(scope, filters.facility_id)
    clinician = None
    if filters.clinician_id is not None:
        clinician = organization_person(scope, filters.clinician_id)
        if clinician is None:
            raise ValidationError({"clinician_id": [_no_clinician()]})
    found = selectors.day_list(scope, facility, filters.day or local_date(facility), clinician=clinician)
    rows = found.appointments[filters.offset : filters.offset + filters.page_size]
    return json_page([_out(a) for a in rows], count=len(found.appointments), query=filters)


def _no_clinician() -> str:
    return _("No such person in your organization.")


@router.post("/appointments", response={201: AppointmentOut, **ERRORS}, summary="Book an appointment")
@idempotent
def book_appointment(request: HttpRequest, payload: AppointmentIn) -> Status[dict[str, Any]]:
    scope = request_scope(request)
    try:
        # The patient is opened inside the write's transaction: its READ row is appended with the write's.
        with write_transaction():
            patient = access_patient(scope, payload.patient_id, purpose="api: book an appointment")
            appointment = services.book_appointment(
                scope=scope,
                acting_user=request_user(request),
                patient=patient,
                facility=organization_facility(scope, payload.facility_id),
                clinician=organization_person(scope, payload.clinician_id),
                kind=payload.kind,
                starts_at=payload.starts_at,
                ends_at=payload.ends_at,
            )
    except ValidationError as error:
        raise with_api_names(error, API_FIELDS) from None
    return Status(201, _out(appointment))


@router.get("/appointments/{appointment_id}", response={200: AppointmentOut, **ERRORS}, summary="One appointment")
def get_appointment(request: HttpRequest, appointment_id: int) -> dict[str, Any]:
    return _out(selectors.access_appointment(request_scope(request), appointment_id))


@router.post(
    "/appointments/{appointment_id}/reschedule",
    response={200: AppointmentOut, **ERRORS},
    summary="Move a booked appointment (the rules of booking)",
)
@idempotent
def reschedule_appointment(
    request: HttpRequest, appointment_id: int, payload: AppointmentRescheduleIn
) -> dict[str, Any]:
    scope = request_scope(request)
    clinician = None
    if payload.clinician_id is not None:
        clinician = organization_person(scope, payload.clinician_id)
        if clinician is None:
            raise ValidationError({"clinician_id": [_no_clinician()]})
    try:
        with write_transaction():
            appointment = selectors.access_appointment(scope, appointment_id)
            moved = services.reschedule_appointment(
                scope=scope,
                acting_user=request_user(request),
                appointment=appointment,
                starts_at=payload.starts_at,
                ends_at=payload.ends_at,
                clinician=clinician,
            )
    except ValidationError as error:
        raise with_api_names(error, API_FIELDS) from None
    return _out(moved)


def _transition(
    request: HttpRequest, appointment_id: int, change: Callable[..., Appointment], **fields: Any
) -> dict[str, Any]:
    """A change of status (``change``, a service taking the scope, the acting user and the
    appointment, and ``fields``): the appointment is opened in the write's transaction."""
    scope = request_scope(request)
    with write_transaction():
        appointment = selectors.access_appointment(scope, appointment_id)
        return _out(change(scope=scope, acting_user=request_user(request), appointment=appointment, **fields))


@router.post(
    "/appointments/{appointment_id}/cancel",
    response={200: AppointmentOut, **ERRORS},
    summary="Cancel a booked appointment with a reason (kept on record)",
)
@idempotent
def cancel_appointment(request: HttpRequest, appointment_id: int, payload: AppointmentCancelIn) -> dict[str, Any]:
    return _transition(request, appointment_id, services.cancel_appointment, reason=payload.reason)


@router.post(
    "/appointments/{appointment_id}/no-show",
    response={200: AppointmentOut, **ERRORS},
    summary="The patient did not come (once the appointment has begun)",
)
@idempotent
def mark_no_show(request: HttpRequest, appointment_id: int) -> dict[str, Any]:
    return _transition(request, appointment_id, services.mark_no_show)


@router.post(
    "/appointments/{appointment_id}/check-in",
    response={200: AppointmentOut, **ERRORS},
    summary="Check the patient in: opens the encounter (encounter_id), on the appointment's day",
)
@idempotent
def check_in(request: HttpRequest, appointment_id: int) -> dict[str, Any]:
    return _transition(request, appointment_id, services.check_in)


@router.post(
    "/appointments/{appointment_id}/complete",
    response={200: AppointmentOut, **ERRORS},
    summary="The visit is over: completes a checked-in appointment and finishes its encounter",
)
@idempotent
def complete_appointment(request: HttpRequest, appointment_id: int) -> dict[str, Any]:
    return _transition(request, appointment_id, services.complete_appointment)


@router.post(
    "/encounters/{encounter_id}/follow-ups",
    response={201: AppointmentOut, **ERRORS},
    summary="Book a follow-up of the encounter's patient (at its facility unless facility_id is given)",
)
@idempotent
def book_follow_up(request: HttpRequest, encounter_id: int, payload: AppointmentFollowUpIn) -> Status[dict[str, Any]]:
    scope = request_scope(request)
    facility = organization_facility(scope, payload.facility_id) if payload.facility_id is not None else None
    if payload.facility_id is not None and facility is None:
        raise ValidationError({"facility_id": [_no_facility()]})
    try:
        with write_transaction():
            encounter = access_encounter(scope, encounter_id)
            appointment = services.book_follow_up(
                scope=scope,
                acting_user=request_user(request),
                encounter=encounter,
                clinician=organization_person(scope, payload.clinician_id),
                facility=facility,
                starts_at=payload.starts_at,
                ends_at=payload.ends_at,
            )
    except ValidationError as error:
        raise with_api_names(error, API_FIELDS) from None
    return Status(201, _out(appointment))


def _no_facility() -> str:
    return _("This facility is not one of yours.")
