"""Break-glass API: a clinician breaks the glass; a compliance officer lists and reviews grants.

A patient read without care access answers 403 with the code ``care_access_required``
(``on_care_access_refused``, registered in ``nyeri.api.root``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from nyeri.accounts.services import rotate_session_key
from nyeri.api.errors import ErrorEnvelope, envelope
from nyeri.api.idempotency import idempotent
from nyeri.api.pages import Page, PageQuery, json_page
from nyeri.audit.models import AuditEvent
from nyeri.clinical.breakglass import selectors, services
from nyeri.clinical.breakglass.access import CareAccessRefused
from nyeri.clinical.breakglass.models import BreakGlassGrant
from nyeri.lib.http import request_user
from nyeri.tenancy.scope import request_scope

router = Router(tags=["break-glass"])

ERRORS = {403: ErrorEnvelope, 404: ErrorEnvelope, 422: ErrorEnvelope}


def on_care_access_refused(request: HttpRequest, exc: Exception | type[Exception]) -> HttpResponse:
    """The API's answer to ``CareAccessRefused``: 403 ``care_access_required``, naming the way out."""
    from nyeri.api.root import api

    assert isinstance(exc, CareAccessRefused)
    message = _(
        "This patient is not in your care (your access is limited to your facilities). In an emergency, "
        "ask for emergency access: POST /api/patients/%(patient)s/break-glass with your reason."
    ) % {"patient": exc.patient.pk}
    return api.create_response(request, envelope("care_access_required", message), status=403)


class BreakGlassIn(Schema):
    reason: str = Field("", description="Why you need the record now: at least 20 characters (required).")


class ReviewIn(Schema):
    outcome: str = Field("", description="justified or not_justified")
    note: str = Field("", description="What you checked and concluded (required).")


class PatientRef(Schema):
    """Identification only: a compliance officer does not read charts."""

    id: int
    mrn: str
    full_name: str


class GrantOut(Schema):
    id: int
    user_id: int
    username: str
    patient: PatientRef
    reason: str
    starts_at: datetime
    ends_at: datetime
    reviewed_at: datetime | None
    reviewed_by_id: int | None
    review_outcome: str = Field(description="justified, not_justified, or empty while marked for review")
    review_note: str
    event_count: int | None = Field(None, description="Audit events of the user about the patient during the access.")
    audit_report_url: str


class EventOut(Schema):
    id: int
    occurred_at: datetime
    action: str
    outcome: str
    object_type: str
    object_id: str
    reason: str


class GrantDetailOut(GrantOut):
    events: list[EventOut] = Field(description="The first 200 of those events, oldest first.")


class GrantQuery(PageQuery):
    status: str = Field("unreviewed", description="unreviewed (default), reviewed or all")


def _grant_out(grant: BreakGlassGrant) -> dict[str, Any]:
    return {
        "id": grant.pk,
        "user_id": grant.user_id,
        "username": grant.user.get_username(),
        "patient": {"id": grant.patient_id, "mrn": grant.patient.mrn, "full_name": grant.patient.full_name},
        "reason": grant.reason,
        "starts_at": grant.starts_at,
        "ends_at": grant.ends_at,
        "reviewed_at": grant.reviewed_at,
        "reviewed_by_id": grant.reviewed_by_id,
        "review_outcome": grant.review_outcome,
        "review_note": grant.review_note,
        "event_count": getattr(grant, "event_count", None),
        "audit_report_url": selectors.audit_report_url(grant),
    }


def _event_out(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "occurred_at": event.occurred_at,
        "action": event.action,
        "outcome": event.outcome,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "reason": event.reason,
    }


@router.post(
    "/patients/{patient_id}/break-glass",
    response={201: GrantOut, **ERRORS},
    summary="Emergency access to a patient outside your facilities (audited, time-limited, reviewed)",
)
@idempotent
def break_glass(request: HttpRequest, patient_id: int, payload: BreakGlassIn) -> Status[dict[str, Any]]:
    scope = request_scope(request)
    patient = selectors.patient_to_break_glass(scope, patient_id)
    grant = services.break_glass(scope=scope, acting_user=request_user(request), patient=patient, reason=payload.reason)
    rotate_session_key(request)  # emergency access widens what a session may read
    return Status(201, _grant_out(grant))


@router.get(
    "/break-glass/grants",
    response={200: Page[GrantOut], **ERRORS},
    summary="Emergency accesses of the organization, newest first (compliance officers; paged)",
)
def list_grants(request: HttpRequest, filters: Query[GrantQuery]) -> HttpResponse:
    status = selectors.parse_status(filters.status)
    found = selectors.grant_rows(
        request_scope(request), status=status, page=filters.page, offset=filters.offset, limit=filters.page_size
    )
    items = [
        {
            "id": row["id"],
            "user_id": row["user_id"],
            "username": row["username"],
            "patient": {"id": row["patient_id"], "mrn": row["patient_mrn"], "full_name": row["patient_name"]},
            "reason": row["reason"],
            "starts_at": row["starts_at"],
            "ends_at": row["ends_at"],
            "reviewed_at": row["reviewed_at"],
            "reviewed_by_id": row["reviewed_by_id"],
            "review_outcome": row["review_outcome"],
            "review_note": row["review_note"],
            "event_count": row["event_count"],
            "audit_report_url": selectors.audit_report_url_of(
                row["user_id"], row["patient_id"], row["starts_at"], row["ends_at"]
            ),
        }
        for row in found.rows
    ]
    return json_page(items, count=found.count, query=filters)


@router.get(
    "/break-glass/grants/{grant_id}",
    response={200: GrantDetailOut, **ERRORS},
    summary="One emergency access with the audit events during it (compliance officers)",
)
def get_grant(request: HttpRequest, grant_id: int) -> dict[str, Any]:
    review = selectors.grant_review(request_scope(request), grant_id, purpose="api")
    out = _grant_out(review.grant)
    out["event_count"] = review.event_count
    out["events"] = [_event_out(e) for e in review.events]
    return out


@router.post(
    "/break-glass/grants/{grant_id}/review",
    response={200: GrantOut, **ERRORS},
    summary="Review an emergency access: justified or not, with a note (compliance officers, once)",
)
@idempotent
def review(request: HttpRequest, grant_id: int, payload: ReviewIn) -> dict[str, Any]:
    scope = request_scope(request)
    grant = selectors.access_grant(scope, grant_id)
    services.review_grant(
        scope=scope, acting_user=request_user(request), grant=grant, outcome=payload.outcome, note=payload.note
    )
    return _grant_out(grant)
