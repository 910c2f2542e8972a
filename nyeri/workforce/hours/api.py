"""Hours ledger API (mounted at /api/workforce): list, record, verify, reject, totals."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from nyeri.api.errors import ErrorEnvelope, with_api_names
from nyeri.api.pages import Page, PageQuery, json_page
from nyeri.lib.http import request_user
from nyeri.tenancy.scope import request_scope
from nyeri.tenancy.selectors import organization_facility
from nyeri.workforce.access import access_hours_entry, access_person
from nyeri.workforce.hours import selectors, services
from nyeri.workforce.models import HoursEntry
from nyeri.workforce.selectors import organization_person

router = Router(tags=["workforce"])

ERRORS = {403: ErrorEnvelope, 404: ErrorEnvelope, 422: ErrorEnvelope}


class HoursIn(Schema):
    person_id: int
    facility_id: int
    worked_on: date
    hours: Decimal = Field(description="Hours on that day, more than 0 and at most 24, two decimals at most.")
    note: str = Field("", max_length=300)


class RejectIn(Schema):
    reason: str = Field(max_length=services.REASON_MAX_LENGTH)


class HoursOut(Schema):
    id: int
    person_id: int
    facility_id: int
    worked_on: date
    hours: float
    source: str
    status: str
    note: str
    encounter_id: int | None
    entered_by_id: int | None
    entered_at: datetime
    decided_by_id: int | None = Field(description="Who verified or rejected the entry.")
    decided_at: datetime | None


class HoursPageOut(Schema):
    count: int
    page: int
    pages: int
    items: list[HoursOut]


class HoursQuery(Schema):
    person: int
    page: int = Field(1, ge=1)


class WindowOut(Schema):
    months: int
    since: date = Field(description="Exclusive: hours worked after this day count.")
    hours: float


class FacilityTotalsOut(Schema):
    facility_id: int
    facility_name: str
    windows: list[WindowOut]
    pending: float


class TotalsOut(Schema):
    person_id: int
    as_of: date
    overall: list[WindowOut]
    facilities: list[FacilityTotalsOut]
    pending: float = Field(description="Submitted hours not verified yet (they do not count).")


@router.get("/hours", response={200: HoursPageOut, **ERRORS}, summary="A person's hours ledger, newest first")
def list_hours(request: HttpRequest, filters: Query[HoursQuery]) -> object:
    scope = request_scope(request)
    person = access_person(scope, filters.person)
    page = selectors.person_ledger(scope, person, page=filters.page)
    return {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "items": list(page.object_list),
    }


@router.get("/hours/pending", response={200: Page[HoursOut], **ERRORS}, summary="Manual hours you may verify (paged)")
def pending_hours(request: HttpRequest, paging: Query[PageQuery]) -> HttpResponse:
    found = selectors.pending_rows(request_scope(request), offset=paging.offset, limit=paging.page_size)
    for row in found.rows:
        row["hours"] = float(row["hours"])  # HoursOut's number, as the other hours lists answer it
    return json_page(found.rows, count=found.count, query=paging)


@router.post("/hours", response={201: HoursOut, **ERRORS}, summary="Record manual hours (waiting for verification)")
def create_hours(request: HttpRequest, payload: HoursIn) -> Status:
    scope = request_scope(request)
    # A reference in the body that is not in the organization is a bad field, and reads
    # the same whether the row exists elsewhere or not at all.
    person = organization_person(scope, payload.person_id)
    facility = organization_facility(scope, payload.facility_id)
    errors: dict[str, list[str]] = {}
    if person is None:
        errors["person_id"] = [_("No such person in your organization.")]
    if facility is None:
        errors["facility_id"] = [_("This facility is not part of your organization.")]
    if errors:
        raise ValidationError(errors)
    assert person is not None
    assert facility is not None
    try:
        entry = services.record_manual_hours(
            scope=scope,
            acting_user=request_user(request),
            person=person,
            facility=facility,
            worked_on=payload.worked_on,
            hours=payload.hours,
            note=payload.note,
        )
    except ValidationError as error:
        raise with_api_names(error, {"facility": "facility_id", "person": "person_id"}) from error
    return Status(201, entry)


@router.post("/hours/{entry_id}/verify", response={200: HoursOut, **ERRORS}, summary="Verify manual hours")
def verify_hours(request: HttpRequest, entry_id: int) -> HoursEntry:
    scope = request_scope(request)
    entry = access_hours_entry(scope, entry_id)
    return services.verify_hours(scope=scope, acting_user=request_user(request), entry=entry)


@router.post(
    "/hours/{entry_id}/reject", response={200: HoursOut, **ERRORS}, summary="Reject manual hours, with a reason"
)
def reject_hours(request: HttpRequest, entry_id: int, payload: RejectIn) -> HoursEntry:
    scope = request_scope(request)
    entry = access_hours_entry(scope, entry_id)
    return services.reject_hours(scope=scope, acting_user=request_user(request), entry=entry, reason=payload.reason)


@router.get(
    "/people/{person_id}/hours/totals",
    response={200: TotalsOut, **ERRORS},
    summary="Verified hours in the last 12 and 36 months, per facility",
)
def hours_totals(request: HttpRequest, person_id: int) -> selectors.HoursTotals:
    scope = request_scope(request)
    return selectors.hours_totals(scope, access_person(scope, person_id))
