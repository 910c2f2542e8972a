"""Applications and hiring in the JSON API (mounted at /api/hiring).

Candidates (a logged-in candidate session):
- ``GET /api/hiring/postings/{id}/eligibility``: eligibility for a posting, every unmet requirement;
- ``POST /api/hiring/postings/{id}/apply``: apply (422 for a closed posting or a second application);
- ``GET /api/hiring/mine``: their applications.

Facilities (administrators and credentialing officers whose scope covers the facility):
- ``GET /api/hiring/postings/{id}/applications``: ranked by eligibility;
- ``POST /api/hiring/applications/{id}/advance``, ``/reject``, ``/hire``.

Another organization's application or posting is 404; bad input a 422 naming the field.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status

from nyeri.api.errors import ErrorEnvelope
from nyeri.api.pages import Page, PageQuery, json_page
from nyeri.api.schemas import ReasonIn
from nyeri.candidates.access import candidate_of
from nyeri.hiring import selectors, services
from nyeri.hiring.access import access_application, audit_listing
from nyeri.hiring.eligibility import PostingEligibility, posting_eligibility
from nyeri.hiring.models import Application
from nyeri.jobs.access import require_manager
from nyeri.jobs.selectors import posting_for_candidates
from nyeri.lib.http import request_user
from nyeri.tenancy.scope import request_scope

if TYPE_CHECKING:
    from nyeri.candidates.models import CandidateProfile

router = Router(tags=["hiring"])

ERRORS: dict[int, Any] = {403: ErrorEnvelope, 404: ErrorEnvelope, 422: ErrorEnvelope}


class HiringUnmetOut(Schema):
    code: str
    message_en: str
    message_id: str


class EligibilityOut(Schema):
    eligible: bool
    unmet: list[HiringUnmetOut]
    after_hiring: list[HiringUnmetOut]
    preferred_unmet: list[HiringUnmetOut]


class ApplicationOut(Schema):
    id: int
    posting_id: int
    posting_title: str
    facility_id: int
    candidate_id: int
    candidate_name: str
    stage: str
    submitted_at: datetime
    stage_changed_at: datetime
    eligibility: EligibilityOut


class ApplyIn(Schema):
    note: str = ""


class NoteIn(Schema):
    note: str = ""


class HireIn(Schema):
    citizenship: str
    reason: str = ""
    fill_posting: bool = True


class HireOut(Schema):
    application: ApplicationOut
    person_id: int
    credentials_submitted: list[int]
    not_handed_over: list[str]


def _unmet(items: Any) -> list[dict[str, str]]:
    return [{"code": u.code, "message_en": u.message("en"), "message_id": u.message("id")} for u in items]


def _eligibility(e: PostingEligibility) -> dict[str, Any]:
    return {
        "eligible": e.eligible,
        "unmet": _unmet(e.unmet),
        "after_hiring": _unmet(e.after_hiring),
        "preferred_unmet": _unmet(e.preferred_unmet),
    }


def _out(application: Application, e: PostingEligibility) -> dict[str, Any]:
    return {
        "id": application.pk,
        "posting_id": application.posting_id,
        "posting_title": application.posting.title,
        "facility_id": application.facility_id,
        "candidate_id": application.candidate_id,
        "candidate_name": application.candidate.user.full_name,
        "stage": application.stage,
        "submitted_at": application.submitted_at,
        "stage_changed_at": application.stage_changed_at,
        "eligibility": _eligibility(e),
    }


def _candidate(request: HttpRequest) -> CandidateProfile:
    profile = candidate_of(request.user)
    if profile is None:
        raise PermissionDenied
    return profile


# --- Candidates ---------------------------------------------------------------------------------


@router.get("/postings/{posting_id}/eligibility", response={200: EligibilityOut, **ERRORS}, summary="My eligibility")
def eligibility(request: HttpRequest, posting_id: int) -> Any:
    profile = _candidate(request)
    return _eligibility(posting_eligibility(profile.pk, posting_for_candidates(posting_id)))


@router.post("/postings/{posting_id}/apply", response={201: ApplicationOut, **ERRORS}, summary="Apply to a posting")
def apply(request: HttpRequest, posting_id: int, payload: ApplyIn) -> Any:
    profile = _candidate(request)
    application = services.apply_to_posting(
        acting_user=request_user(request), profile=profile, posting_id=posting_id, note=payload.note
    )
    return Status(201, _out(application, posting_eligibility(profile.pk, application.posting)))


@router.get("/mine", response={200: Page[ApplicationOut], **ERRORS}, summary="My applications (paged)")
def mine(request: HttpRequest, paging: Query[PageQuery]) -> HttpResponse:
    profile = _candidate(request)
    # A candidate has a handful of applications, each judged against its posting: the whole
    # list is built (as before) and the page cut from it.
    own = selectors.candidate_applications(profile)
    page = own[paging.offset : paging.offset + paging.page_size]
    return json_page([_out(o.application, o.eligibility) for o in page], count=len(own), query=paging)


# --- Facilities ---------------------------------------------------------------------------------


class ApplicationQuery(PageQuery):
    stage: str = ""


@router.get(
    "/postings/{posting_id}/applications",
    response={200: Page[ApplicationOut], **ERRORS},
    summary="A posting's applications, ranked by eligibility (paged)",
)
def applications(request: HttpRequest, posting_id: int, filters: Query[ApplicationQuery]) -> HttpResponse:
    scope = request_scope(request)
    require_manager(scope, object_id=posting_id, reason="list job applications")
    posting = selectors.scoped_posting(scope, posting_id)
    if posting is None:
        raise Http404("No such posting")
    # The rank needs every application's eligibility: all are judged, the page is cut from
    # the ranking, and the audit row names the applications shown (the page).
    ranked = selectors.ranked_applications(posting, stage=filters.stage)
    page = ranked[filters.offset : filters.offset + filters.page_size]
    audit_listing(scope, posting, [r.application.pk for r in page])
    return json_page([_out(r.application, r.eligibility) for r in page], count=len(ranked), query=filters)


def _after(application: Application) -> dict[str, Any]:
    detail = selectors.application_detail(application)
    return _out(detail.application, detail.eligibility)


@router.post("/applications/{application_id}/advance", response={200: ApplicationOut, **ERRORS}, summary="Next stage")
def advance(request: HttpRequest, application_id: int, payload: NoteIn) -> Any:
    scope = request_scope(request)
    found = access_application(scope, application_id)
    return _after(
        services.advance_application(
            scope=scope, acting_user=request_user(request), application=found, note=payload.note
        )
    )


@router.post("/applications/{application_id}/reject", response={200: ApplicationOut, **ERRORS}, summary="Reject")
def reject(request: HttpRequest, application_id: int, payload: ReasonIn) -> Any:
    scope = request_scope(request)
    found = access_application(scope, application_id)
    return _after(
        services.reject_application(
            scope=scope, acting_user=request_user(request), application=found, reason=payload.reason
        )
    )


@router.post("/applications/{application_id}/hire", response={200: HireOut, **ERRORS}, summary="Hire the candidate")
def hire(request: HttpRequest, application_id: int, payload: HireIn) -> Any:
    scope = request_scope(request)
    found = access_application(scope, application_id)
    handed = services.hire(
        scope=scope,
        acting_user=request_user(request),
        application=found,
        citizenship=payload.citizenship,
        reason=payload.reason,
        fill_posting=payload.fill_posting,
    )
    found.refresh_from_db()
    assert found.person_id is not None
    return {
        "application": _after(found),
        "person_id": found.person_id,
        "credentials_submitted": [c.pk for c in handed.submitted],
        "not_handed_over": [f"{label}: {why}" for label, why in handed.problems],
    }
