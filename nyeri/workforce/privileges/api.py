"""Clinical privileges API (mounted at /api/workforce): request, the committee's review, the
director's grant, the RKK and SPK PDFs, proctor sign-off, re-credentialing. The same services
as the pages: a refusal is the one 403 envelope with the reasons (``ActionRefused``)."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from nyeri.api.errors import ErrorEnvelope, with_api_names
from nyeri.api.pages import Page, PageQuery, page_body
from nyeri.lib.http import request_user
from nyeri.tenancy.scope import request_scope
from nyeri.tenancy.selectors import organization_facility
from nyeri.workforce.access import person_of_user
from nyeri.workforce.kinds import PrivilegeRequestStatus
from nyeri.workforce.models import PrivilegeGrant, PrivilegeRequest, ProctoredCase
from nyeri.workforce.privileges import pdf, selectors, services
from nyeri.workforce.selectors import organization_person

router = Router(tags=["workforce"])

ERRORS = {403: ErrorEnvelope, 404: ErrorEnvelope, 422: ErrorEnvelope}


class PrivilegeRequestIn(Schema):
    privilege: str = Field(max_length=60, description="A code of your jurisdiction's privilege catalogue.")
    facility_id: int
    person_id: int | None = Field(None, description="Empty: yourself. A credentialing officer may name another.")


class PrivilegeReviewIn(Schema):
    recommend: bool
    reasons: str = Field(max_length=services.REASONS_MAX)


class PrivilegeGrantIn(Schema):
    years: int = Field(3, ge=1, le=5, description="The period; at most the catalogue's (3 in Indonesia).")


class RecredentialIn(Schema):
    outcome: str = Field(description="renew, restrict or withdraw")
    reasons: str = Field(max_length=services.REASONS_MAX)
    restriction: str = Field("", max_length=services.REASONS_MAX)


class SignOffIn(Schema):
    note: str = Field("", max_length=services.REASONS_MAX)


class PrivilegeRequestOut(Schema):
    id: int
    person_id: int
    facility_id: int
    privilege: str
    status: str
    requested_at: datetime
    recommended_at: datetime | None
    committee_reasons: str


class PrivilegeGrantOut(Schema):
    id: int
    number: str
    person_id: int
    facility_id: int
    privilege: str
    request_id: int
    starts_on: date
    ends_on: date
    recredential_on: date
    fppe_cases: int
    restriction: str
    status: str


class ProctoredCaseOut(Schema):
    id: int
    grant_id: int
    procedure_id: int
    performer_id: int
    proctor_id: int | None
    signed_off_at: datetime | None


class RecredentialOut(Schema):
    id: int
    grant_id: int
    outcome: str
    reasons: str
    next_grant_id: int | None


class PrivilegeRequestQuery(PageQuery):
    status: str = Field("", description="requested, recommended, not_recommended or granted; empty: all")


@router.get(
    "/privileges/requests",
    response={200: Page[PrivilegeRequestOut], **ERRORS},
    summary="Privilege requests you may read (your own; all of your facilities for the committee and director)",
)
def list_requests(request: HttpRequest, query: Query[PrivilegeRequestQuery]) -> object:
    scope = request_scope(request)
    rows = selectors.scoped_requests(scope).order_by("-requested_at", "-pk")
    if query.status:
        if query.status not in PrivilegeRequestStatus.values:
            raise ValidationError({"status": [_("Unknown status.")]})
        rows = rows.filter(status=query.status)
    items = list(rows[query.offset : query.offset + query.page_size])
    return page_body(items, count=rows.count(), query=query)


@router.post("/privileges/requests", response={201: PrivilegeRequestOut, **ERRORS}, summary="Request a privilege")
def create_request(request: HttpRequest, payload: PrivilegeRequestIn) -> Status[PrivilegeRequest]:
    scope = request_scope(request)
    facility = organization_facility(scope, payload.facility_id)
    person = person_of_user(scope) if payload.person_id is None else organization_person(scope, payload.person_id)
    errors: dict[str, list[str]] = {}
    if facility is None:
        errors["facility_id"] = [_("This facility is not part of your organization.")]
    if person is None:
        errors["person_id"] = [_("No such person in your organization.")]
    if errors:
        raise ValidationError(errors)
    assert facility is not None
    assert person is not None
    created = services.request_privilege(
        scope=scope, acting_user=request_user(request), person=person, facility=facility, privilege=payload.privilege
    )
    return Status(201, created)


@router.get("/privileges/requests/{request_id}", response={200: PrivilegeRequestOut, **ERRORS}, summary="A request")
def get_request(request: HttpRequest, request_id: int) -> PrivilegeRequest:
    return selectors.access_request(request_scope(request), request_id)


@router.post(
    "/privileges/requests/{request_id}/review",
    response={200: PrivilegeRequestOut, **ERRORS},
    summary="The committee recommends (or not, with reasons)",
)
def review_request(request: HttpRequest, request_id: int, payload: PrivilegeReviewIn) -> PrivilegeRequest:
    scope = request_scope(request)
    found = selectors.access_request(scope, request_id)
    return services.review_request(
        scope=scope,
        acting_user=request_user(request),
        request=found,
        recommend=payload.recommend,
        reasons=payload.reasons,
    )


@router.post(
    "/privileges/requests/{request_id}/grant",
    response={201: PrivilegeGrantOut, **ERRORS},
    summary="The director grants a recommended request for a period (the SPK)",
)
def grant_request(request: HttpRequest, request_id: int, payload: PrivilegeGrantIn) -> Status[PrivilegeGrant]:
    scope = request_scope(request)
    found = selectors.access_request(scope, request_id)
    created = services.grant_privilege(
        scope=scope, acting_user=request_user(request), request=found, years=payload.years
    )
    return Status(201, created)


@router.get(
    "/privileges/requests/{request_id}/rkk.pdf",
    response={200: None, **ERRORS},
    summary="The committee's recommendation (RKK) as a PDF, ?lang=id or en",
)
def rkk_pdf(request: HttpRequest, request_id: int, lang: str = "id") -> HttpResponse:
    scope = request_scope(request)
    found = selectors.access_request(scope, request_id)
    if found.status == PrivilegeRequestStatus.REQUESTED:
        raise ValidationError({"request_id": [_("The committee has not reviewed this request yet.")]})
    if found.person.user_id != scope.user.pk and not selectors.reads_all(scope):
        raise PermissionDenied
    language = lang if lang in ("id", "en") else "id"
    content = pdf.rkk_pdf(scope, found, language)
    return HttpResponse(content, content_type="application/pdf")


@router.get("/privileges/grants", response={200: Page[PrivilegeGrantOut], **ERRORS}, summary="Grants you may read")
def list_grants(request: HttpRequest, query: Query[PageQuery]) -> object:
    rows = selectors.scoped_grants(request_scope(request)).order_by("-granted_at", "-pk")
    items = list(rows[query.offset : query.offset + query.page_size])
    return page_body(items, count=rows.count(), query=query)


@router.get(
    "/privileges/grants/{grant_id}/spk.pdf",
    response={200: None, **ERRORS},
    summary="The director's clinical appointment letter (SPK) as a PDF, ?lang=id or en",
)
def spk_pdf(request: HttpRequest, grant_id: int, lang: str = "id") -> HttpResponse:
    scope = request_scope(request)
    found = selectors.access_grant(scope, grant_id)
    selectors.record_grant_read(scope, found, what="SPK PDF")
    return HttpResponse(
        pdf.spk_pdf(scope, found, lang if lang in ("id", "en") else "id"), content_type="application/pdf"
    )


@router.post(
    "/privileges/grants/{grant_id}/recredentialing",
    response={201: RecredentialOut, **ERRORS},
    summary="The committee's re-credentialing decision: renew, restrict or withdraw",
)
def recredential(request: HttpRequest, grant_id: int, payload: RecredentialIn) -> Status[object]:
    scope = request_scope(request)
    found = selectors.access_grant(scope, grant_id)
    decision = services.recredential(
        scope=scope,
        acting_user=request_user(request),
        grant=found,
        outcome=payload.outcome,
        reasons=payload.reasons,
        restriction=payload.restriction,
    )
    return Status(201, decision)


@router.post(
    "/privileges/cases/{case_id}/sign-off",
    response={200: ProctoredCaseOut, **ERRORS},
    summary="A proctor signs off a case under focused review (never their own)",
)
def sign_off(request: HttpRequest, case_id: int, payload: SignOffIn) -> ProctoredCase:
    scope = request_scope(request)
    case = selectors.access_case(scope, case_id)
    try:
        return services.sign_off_case(scope=scope, acting_user=request_user(request), case=case, note=payload.note)
    except ValidationError as error:
        raise with_api_names(error, {}) from error
