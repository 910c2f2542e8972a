"""Job postings in the JSON API (mounted at /api/jobs).

- ``GET /api/jobs/board``: the public board (no authentication; the same filters, open
  postings only, rate-limited like the page: 429 beyond the limit);
- ``GET /api/jobs/postings``: the organization's postings (managers: administrators and
  credentialing officers), with their requirement rows;
- ``POST /api/jobs/postings``: a posting by hand; ``POST /api/jobs/facilities/{id}/from-gap``:
  from a staffing-plan gap; ``POST /api/jobs/postings/{id}/close`` and ``/fill``.

Bad input is a 422 with the field errors (a requirement row's field is keyed
``requirements.<n>.<field>``); another organization's posting is 404.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from nyeri.api.errors import ErrorEnvelope
from nyeri.api.pages import Page, PageQuery, json_page
from nyeri.jobs import selectors, services
from nyeri.jobs.access import access_posting, require_manager
from nyeri.jobs.models import JobPosting
from nyeri.jobs.ratelimit import over_limit
from nyeri.jobs.requirements import RequirementInput
from nyeri.lib.http import request_user
from nyeri.tenancy.access import access_facility
from nyeri.tenancy.scope import request_scope
from nyeri.workforce.policy.loader import pack_for

router = Router(tags=["jobs"])

ERRORS: dict[int, Any] = {403: ErrorEnvelope, 404: ErrorEnvelope, 422: ErrorEnvelope}


class RequirementIn(Schema):
    kind: str = Field(description="action, certification, credential or experience")
    importance: str = "required"
    code: str = Field("", description="A policy-pack action or certification code")
    credential_kind: str = ""
    specialty: str = ""
    months: int | None = None
    employer_kinds: list[str] = Field(default_factory=list, description="hospital, general_clinic, pain_clinic")


class RequirementOut(RequirementIn):
    text_en: str
    text_id: str


class PostingIn(Schema):
    facility_id: int
    role: str = ""
    title: str = ""
    employment_kind: str = "permanent"
    fte: Decimal = Decimal(1)
    description: str = ""
    salary_min: int | None = None
    salary_max: int | None = None
    requirements: list[RequirementIn] = Field(default_factory=list)


class GapIn(Schema):
    role: str


class PostingOut(Schema):
    id: int
    facility_id: int
    facility_name: str
    facility_kind: str
    province: str
    regency: str
    role: str
    title: str
    description: str
    employment_kind: str
    fte: Decimal
    headcount: int
    hours_per_week: int
    salary_min: int | None
    salary_max: int | None
    salary_currency: str
    status: str
    opened_on: date
    closed_on: date | None
    source: str
    gap_rule_code: str
    gap_rules_label: str
    gap_fte: Decimal | None
    requirements: list[RequirementOut]


class BoardOut(Schema):
    count: int
    page: int
    pages: int
    results: list[PostingOut]


def _out(posting: JobPosting, *, internal: bool) -> dict[str, Any]:
    pack = pack_for(posting.organization.jurisdiction)
    f = posting.facility
    return {
        "id": posting.pk,
        "facility_id": f.pk,
        "facility_name": f.name,
        "facility_kind": f.kind,
        "province": f.province,
        "regency": f.regency,
        "role": posting.role,
        "title": posting.title,
        "description": posting.description,
        "employment_kind": posting.employment_kind,
        "fte": posting.fte,
        "headcount": posting.headcount,
        "hours_per_week": posting.hours_per_week,
        "salary_min": posting.salary_min,
        "salary_max": posting.salary_max,
        "salary_currency": posting.salary_currency,
        "status": posting.status,
        "opened_on": posting.opened_on,
        "closed_on": posting.closed_on,
        "source": posting.source,
        # Where a gap came from is the organization's business, not the public's.
        "gap_rule_code": posting.gap_rule_code if internal else "",
        "gap_rules_label": posting.gap_rules_label if internal else "",
        "gap_fte": posting.gap_fte if internal else None,
        "requirements": [selectors.requirement_out(r, pack) for r in posting.requirements.all()],
    }


@router.get("/board", auth=None, response={200: BoardOut, 429: ErrorEnvelope}, summary="The public job board")
def board(
    request: HttpRequest,
    q: str = "",
    province: str = "",
    regency: str = "",
    role: str = "",
    facility_kind: str = "",
    page: int = 1,
) -> Any:
    if over_limit(request):
        raise HttpError(429, "Too many requests.")
    filters = selectors.BoardFilters.from_query(
        {"q": q, "province": province, "regency": regency, "role": role, "facility_kind": facility_kind}
    )
    found = selectors.board_page(filters, page)
    postings = JobPosting.objects.filter(pk__in=[p.pk for p in found]).select_related("facility", "organization")
    by_id = {p.pk: p for p in postings.prefetch_related("requirements")}
    return {
        "count": found.paginator.count,
        "page": found.number,
        "pages": found.paginator.num_pages,
        "results": [_out(by_id[p.pk], internal=False) for p in found],
    }


def _rows(payload: list[RequirementIn]) -> list[RequirementInput]:
    return [
        RequirementInput(
            kind=r.kind,
            importance=r.importance,
            code=r.code,
            credential_kind=r.credential_kind,
            specialty=r.specialty,
            months=r.months,
            employer_kinds=tuple(r.employer_kinds),
        )
        for r in payload
    ]


class PostingQuery(PageQuery):
    status: str = ""


@router.get("/postings", response={200: Page[PostingOut], **ERRORS}, summary="The organization's postings (paged)")
def list_postings(request: HttpRequest, filters: Query[PostingQuery]) -> HttpResponse:
    scope = request_scope(request)
    require_manager(scope, reason="list job postings")
    found = selectors.organization_posting_rows(
        scope, status=filters.status, offset=filters.offset, limit=filters.page_size
    )
    return json_page(found.rows, count=found.count, query=filters)


@router.post("/postings", response={201: PostingOut, **ERRORS}, summary="Open a posting by hand")
def create_posting(request: HttpRequest, payload: PostingIn) -> Any:
    scope = request_scope(request)
    require_manager(scope, reason="create job posting")
    facility = access_facility(scope, payload.facility_id)
    posting = services.create_posting(
        scope=scope,
        acting_user=request_user(request),
        facility=facility,
        data=services.PostingInput(
            role=payload.role,
            title=payload.title,
            employment_kind=payload.employment_kind,
            fte=payload.fte,
            description=payload.description,
            salary_min=payload.salary_min,
            salary_max=payload.salary_max,
        ),
        requirements=_rows(payload.requirements),
    )
    return Status(201, _out(posting, internal=True))


@router.post(
    "/facilities/{facility_id}/from-gap",
    response={201: PostingOut, **ERRORS},
    summary="Open a posting for a gap of the facility's staffing plan, with the role's default requirements",
)
def from_gap(request: HttpRequest, facility_id: int, payload: GapIn) -> Any:
    scope = request_scope(request)
    facility = access_facility(scope, facility_id)
    posting = services.create_posting_from_gap(
        scope=scope, acting_user=request_user(request), facility=facility, role=payload.role
    )
    return Status(201, _out(posting, internal=True))


@router.post("/postings/{posting_id}/publish", response={200: PostingOut, **ERRORS}, summary="Publish a draft posting")
def publish(request: HttpRequest, posting_id: int) -> Any:
    scope = request_scope(request)
    posting = services.publish_posting(
        scope=scope, acting_user=request_user(request), posting=access_posting(scope, posting_id)
    )
    return _out(posting, internal=True)


@router.post("/postings/{posting_id}/close", response={200: PostingOut, **ERRORS}, summary="Close an open posting")
def close(request: HttpRequest, posting_id: int) -> Any:
    scope = request_scope(request)
    posting = services.close_posting(
        scope=scope, acting_user=request_user(request), posting=access_posting(scope, posting_id)
    )
    return _out(posting, internal=True)


@router.post("/postings/{posting_id}/fill", response={200: PostingOut, **ERRORS}, summary="Mark an open posting filled")
def fill(request: HttpRequest, posting_id: int) -> Any:
    scope = request_scope(request)
    posting = services.mark_filled(
        scope=scope, acting_user=request_user(request), posting=access_posting(scope, posting_id)
    )
    return _out(posting, internal=True)
