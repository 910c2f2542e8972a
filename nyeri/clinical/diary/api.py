"""Diary JSON endpoints: issue, list and revoke links (staff), and the patient's own entry.

``POST /api/diary/{token}/entries`` needs no account (the token is the credential) and no
CSRF token (it carries no cookie-based authority); an ``Idempotency-Key`` header makes a
resent request store its entry once. See docs/diary.md.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.params import HeaderEx, P

from nyeri.api.errors import ErrorEnvelope, envelope, with_api_names
from nyeri.api.idempotency import idempotent
from nyeri.api.pages import Page, PageQuery, json_page
from nyeri.clinical.access import access_patient
from nyeri.clinical.assessments.display import describe
from nyeri.clinical.diary import selectors, services
from nyeri.clinical.diary.links import LinkUnavailable, link_url, resolve_link, unavailable_message
from nyeri.clinical.models import DiaryLink, PainAssessment
from nyeri.lib.http import request_user
from nyeri.tenancy.refusals import write_transaction
from nyeri.tenancy.scope import request_scope
from nyeri.tenancy.selectors import organization_facility

router = Router(tags=["patient diary"])

ERRORS = {403: ErrorEnvelope, 404: ErrorEnvelope, 422: ErrorEnvelope}


class IssueIn(Schema):
    facility_id: int | None = Field(None, description="Where the entries are recorded (default: the patient's).")
    valid_days: int | None = Field(
        None, description="Days the link works, 1 to DIARY_LINK_MAX_DAYS (default: DIARY_LINK_DAYS)."
    )


class RevokeIn(Schema):
    reason: str = Field("", max_length=1000)


class LinkOut(Schema):
    id: int
    patient_id: int
    facility_id: int
    issued_by_id: int
    issued_at: datetime
    expires_at: datetime
    state: str = Field(description="active, expired or revoked")
    revoked_at: datetime | None
    revoked_by_id: int | None
    revoke_reason: str
    entries: int | None = Field(None, description="Entries made through the link (in lists).")
    last_entry_at: datetime | None = None


class IssuedOut(LinkOut):
    url: str = Field(description="The patient's link. Shown only in this response: only a digest is stored.")
    token: str


def _link_out(link: DiaryLink) -> dict[str, Any]:
    return {
        "id": link.pk,
        "patient_id": link.patient_id,
        "facility_id": link.facility_id,
        "issued_by_id": link.issued_by_id,
        "issued_at": link.issued_at,
        "expires_at": link.expires_at,
        "state": link.state(timezone.now()).value,
        "revoked_at": link.revoked_at,
        "revoked_by_id": link.revoked_by_id,
        "revoke_reason": link.revoke_reason,
        # Counted in lists only.
        "entries": None,
        "last_entry_at": None,
    }


@router.post(
    "/patients/{patient_id}/diary-links",
    response={201: IssuedOut, **ERRORS},
    summary="Issue a diary link (needs 'record_assessment' at the facility); the link is in this response only",
)
@idempotent
def issue(request: HttpRequest, patient_id: int, payload: IssueIn) -> Status[dict[str, Any]]:
    scope = request_scope(request)
    # One transaction: opening the patient (its READ row) and issuing the link (its row).
    with write_transaction():
        patient = access_patient(scope, patient_id, purpose="api: issue diary link")
        if payload.facility_id is None:
            facility = patient.registered_at
        else:
            found = organization_facility(scope, payload.facility_id)
            if found is None:
                raise ValidationError({"facility_id": [_("This facility is not part of your organization.")]})
            facility = found
        try:
            issued = services.issue_link(
                scope=scope,
                acting_user=request_user(request),
                patient=patient,
                facility=facility,
                valid_days=payload.valid_days,
            )
        except ValidationError as error:
            raise with_api_names(error, {"facility": "facility_id"}) from None
    body = _link_out(issued.link)
    body.update(url=link_url(request, issued.token), token=issued.token)
    return Status(201, body)


@router.get(
    "/patients/{patient_id}/diary-links",
    response={200: Page[LinkOut], **ERRORS},
    summary="A patient's diary links, newest first, with their state and entry counts (paged)",
)
def list_links(request: HttpRequest, patient_id: int, paging: Query[PageQuery]) -> HttpResponse:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose="api: diary links")
    found = selectors.patient_diary_link_rows(scope, patient, offset=paging.offset, limit=paging.page_size)
    return json_page(found.rows, count=found.count, query=paging)


@router.post(
    "/diary-links/{link_id}/revoke",
    response={200: LinkOut, **ERRORS},
    summary="Revoke a diary link: it stops working at once; its entries are kept",
)
@idempotent
def revoke(request: HttpRequest, link_id: int, payload: RevokeIn) -> dict[str, Any]:
    scope = request_scope(request)
    link = selectors.access_link(scope, link_id)
    services.revoke_link(scope=scope, acting_user=request_user(request), link=link, reason=payload.reason)
    return _link_out(link)


# --- The patient -----------------------------------------------------------------------


class EntryIn(Schema):
    instrument: str = Field(description="nrs or peg")
    answers: dict[str, int | None] = Field(
        description="Item code -> whole number 0-10 (NRS: intensity; PEG: all three)."
    )


class DiaryScoreOut(Schema):
    code: str
    label: str
    value: float
    band: str
    band_label: str


class EntryOut(Schema):
    id: int
    instrument: str
    instrument_version: str
    recorded_at: datetime
    scores: list[DiaryScoreOut]
    replayed: bool = Field(description="True: this submission had been stored before; nothing new was stored.")


def _entry_out(assessment: PainAssessment, *, replayed: bool) -> dict[str, Any]:
    fresh = PainAssessment.objects.prefetch_related("answers", "scores", "body_sites").get(pk=assessment.pk)
    view = describe(fresh)
    return {
        "id": fresh.pk,
        "instrument": fresh.instrument_code,
        "instrument_version": fresh.instrument_version,
        "recorded_at": fresh.recorded_at,
        "scores": [
            {"code": s.code, "label": s.label, "value": float(s.value), "band": s.band_code, "band_label": s.band_label}
            for s in view.scores
            if s.value is not None
        ],
        "replayed": replayed,
    }


@router.post(
    "/diary/{token}/entries",
    auth=None,
    response={
        200: EntryOut,
        201: EntryOut,
        404: ErrorEnvelope,
        410: ErrorEnvelope,
        422: ErrorEnvelope,
        429: ErrorEnvelope,
    },
    summary="The patient's own entry through a diary link (no account; Idempotency-Key makes a resend safe)",
)
def patient_entry(
    request: HttpRequest,
    token: str,
    payload: EntryIn,
    idempotency_key: HeaderEx[str | None, P(alias="Idempotency-Key", max_length=64)] = None,
) -> Status[dict[str, Any]]:
    try:
        link = resolve_link(token)
        saved = services.record_entry(
            link=link,
            instrument_code=payload.instrument,
            answers=payload.answers,
            # Without a key each request is a new entry (within the daily limit).
            submission_key=idempotency_key or secrets.token_urlsafe(16),
        )
    except LinkUnavailable as error:
        if error.gone:
            return Status(410, envelope("gone", unavailable_message(error.state)))
        return Status(404, envelope("not_found", unavailable_message(error.state)))
    except services.DailyLimitReached as error:
        fields = [{"field": k, "message": " ".join(v)} for k, v in error.message_dict.items()]
        return Status(429, envelope("daily_limit", " ".join(error.messages), fields))
    except ValidationError as error:
        if hasattr(error, "error_dict") and "submission_key" in error.error_dict:
            raise ValidationError({"Idempotency-Key": error.error_dict["submission_key"]}) from None
        raise
    return Status(201 if saved.created else 200, _entry_out(saved.assessment, replayed=not saved.created))
