"""People in the JSON API (mounted at /api/workforce): the same selectors, rules and audit as the pages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from nyeri.api.errors import ErrorEnvelope
from nyeri.api.pages import Page, PageQuery, json_page
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import request_scope
from nyeri.workforce.people import selectors
from nyeri.workforce.people.describe import describe

router = Router(tags=["workforce"])

ERRORS: dict[int, Any] = {403: ErrorEnvelope, 404: ErrorEnvelope, 422: ErrorEnvelope}


class LicenceOut(Schema):
    kind: str = Field(description="registration (STR) or practice_permit (SIP for the facility)")
    state: str = Field(description="valid, expiring (within 90 days), expired or missing")
    expires_on: date | None = Field(
        description="Last valid day (null: for life, or missing); for an expired licence, the day it ended"
    )
    credential_id: int | None = Field(description="The valid credential that lasts longest")
    reason_code: str | None = Field(description="The engine's reason when not valid")
    reason_id: str
    reason_en: str


class StaffMemberOut(Schema):
    id: int
    full_name: str
    roles: list[str]
    facility_ids: list[int]
    registration: LicenceOut
    practice_permit: LicenceOut | None = Field(description="The SIP for the facility asked for; null without one")


class StaffPageOut(Schema):
    count: int = Field(description="People shown by the filters, over all pages")
    page: int
    pages: int
    items: list[StaffMemberOut]


class PeopleQuery(Schema):
    facility: int | None = Field(default=None, description="Only people working at this facility (and its SIP)")
    q: str = Field(default="", max_length=100, description="Part of the name")
    role: str = Field(default="", description="Only people with this role")
    licence: str = Field(default="", description="attention (any licence not valid), valid, expiring, expired, missing")
    page: int = Field(1, ge=1)


class FacilityRefOut(Schema):
    id: int
    code: str
    name: str


class ProfileCredentialOut(Schema):
    id: int
    kind: str
    status: str
    validity: str = Field(description="Beside the status: '', not_yet_valid, expiring or expired")
    number: str
    issuer: str
    issued_on: date
    expires_on: date | None
    specialty: str
    facility_id: int | None
    issuer_regency_code: str
    exam_passed_on: date | None
    evidence_count: int


class UnmetOptionOut(Schema):
    code: str
    params: dict[str, Any]
    message_id: str
    message_en: str


class UnmetOut(UnmetOptionOut):
    options: list[UnmetOptionOut] = Field(description="For one_of: why each option is not met")


class ProgressItemOut(Schema):
    kind: str = Field(description="The requirement's kind in the policy-pack language (role, credential, hours, ...)")
    description_id: str
    description_en: str
    met: bool
    have: float | None
    need: float | None
    unmet: UnmetOut | None
    relied_on: list[int]


class CertificationOut(Schema):
    code: str
    label_en: str
    label_id: str
    complete: bool
    exam_passed_on: date | None
    items: list[ProgressItemOut]


class PersonOut(Schema):
    id: int
    full_name: str
    citizenship: str
    email: str
    phone: str
    roles: list[str]
    facilities: list[FacilityRefOut]
    credentials: list[ProfileCredentialOut]
    certifications: list[CertificationOut]


class DecisionOut(Schema):
    person_id: int
    action: str
    label_en: str
    label_id: str
    facility_id: int | None
    allowed: bool
    unmet: list[UnmetOut]
    relied_on: list[int] = Field(description="Credentials the requirements met relied on")
    pack: str = Field(description="Policy pack and version, e.g. ID@2026.11-1")
    at: datetime


class PersonDecisionQuery(PageQuery):
    facility: int
    action: str | None = Field(default=None, description="One action of the pack; all of them when empty")


class FacilityDecisionQuery(PageQuery):
    """A page of people (``page_size`` of them), each with every action asked."""

    action: str | None = Field(default=None, description="One action of the pack; all of them when empty")


class FacilityDecisionsOut(Schema):
    count: int = Field(description="People working at the facility")
    page: int
    pages: int
    page_size: int = Field(description="People per page")
    items: list[DecisionOut] = Field(description="For each person of the page (by name), each action asked")


def _licence(lic: selectors.LicenceStatus | None) -> dict[str, Any] | None:
    if lic is None:
        return None
    return {
        "kind": lic.kind,
        "state": str(lic.state),
        "expires_on": lic.expires_on,
        "credential_id": lic.credential_id,
        "reason_code": lic.unmet.code if lic.unmet is not None else None,
        "reason_id": lic.unmet.message("id") if lic.unmet is not None else "",
        "reason_en": lic.unmet.message("en") if lic.unmet is not None else "",
    }


def _unknown_action(exc: selectors.UnknownAction) -> ValidationError:
    return ValidationError({"action": [_("Unknown action %(action)s.") % {"action": exc.code}]})


@router.get("/people", response={200: StaffPageOut, **ERRORS}, summary="People, their roles and licences (audited)")
def list_people(request: HttpRequest, filters: Query[PeopleQuery]) -> dict[str, Any]:
    scope = request_scope(request)
    errors: dict[str, list[str]] = {}
    if filters.role and filters.role not in Role.values:
        errors["role"] = [_("Unknown role: %(roles)s.") % {"roles": filters.role}]
    if filters.licence and filters.licence not in selectors.LICENCE_FILTERS:
        errors["licence"] = [_("Unknown licence filter %(value)s.") % {"value": filters.licence}]
    if errors:
        raise ValidationError(errors)
    facility = selectors.access_facility_staff(scope, filters.facility) if filters.facility is not None else None
    directory = selectors.staff_directory(
        scope, facility, q=filters.q, role=filters.role, licence=filters.licence, page=filters.page
    )
    page = directory.page
    return {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "items": [
            {
                "id": m.person_id,
                "full_name": m.full_name,
                "roles": list(m.roles),
                "facility_ids": list(m.facility_ids),
                "registration": _licence(m.registration),
                "practice_permit": _licence(m.permit),
            }
            for m in page.object_list
        ],
    }


def _both(fn: Any, *args: Any) -> tuple[str, str]:
    with translation.override("id"):
        in_id = fn(*args)
    with translation.override("en"):
        in_en = fn(*args)
    return in_id, in_en


@router.get("/people/{person_id}", response={200: PersonOut, **ERRORS}, summary="A person's record (audited)")
def get_person(request: HttpRequest, person_id: int) -> dict[str, Any]:
    profile = selectors.person_profile(request_scope(request), person_id, purpose="api")
    person = profile.person
    cache = selectors.MessageCache()
    certifications = []
    for cert in profile.certifications:
        items = []
        for line in cert.lines:
            description_id, description_en = _both(describe, line.item.requirement)
            items.append(
                {
                    "kind": line.item.requirement.kind,
                    "description_id": description_id,
                    "description_en": description_en,
                    "met": line.item.met,
                    "have": line.item.have,
                    "need": line.item.need,
                    "unmet": selectors.unmet_dict(line.item.unmet, cache) if line.item.unmet is not None else None,
                    "relied_on": list(line.item.relied_on),
                }
            )
        exam = cert.exam
        certifications.append(
            {
                "code": cert.progress.code,
                "label_en": cert.progress.label_en,
                "label_id": cert.progress.label_id,
                "complete": cert.progress.complete,
                "exam_passed_on": exam.exam_passed_on if exam is not None and exam.item.met else None,
                "items": items,
            }
        )
    return {
        "id": person.pk,
        "full_name": person.full_name,
        "citizenship": person.citizenship,
        "email": person.email,
        "phone": person.phone,
        "roles": list(profile.roles),
        "facilities": [{"id": f.pk, "code": f.code, "name": f.name} for f in profile.facilities],
        "credentials": [
            {
                "id": c.pk,
                "kind": c.kind,
                "status": c.status,
                "validity": line.validity,
                "number": c.number,
                "issuer": c.issuer,
                "issued_on": c.issued_on,
                "expires_on": c.expires_on,
                "specialty": c.specialty,
                "facility_id": c.facility_id,
                "issuer_regency_code": c.issuer_regency_code,
                "exam_passed_on": c.exam_passed_on,
                "evidence_count": c.evidence_count,  # type: ignore[attr-defined]
            }
            for line in profile.credentials
            for c in (line.credential,)
        ],
        "certifications": certifications,
    }


@router.get(
    "/people/{person_id}/decisions",
    response={200: Page[DecisionOut], **ERRORS},
    summary="What a person may do at a facility: one action or all, in the pack's order (audited; paged)",
)
def person_decisions(request: HttpRequest, person_id: int, filters: Query[PersonDecisionQuery]) -> HttpResponse:
    try:
        count, rows = selectors.person_decisions(
            request_scope(request),
            person_id,
            filters.facility,
            action=filters.action,
            offset=filters.offset,
            limit=filters.page_size,
        )
    except selectors.UnknownAction as exc:
        raise _unknown_action(exc) from None
    return json_page(rows, count=count, query=filters)


@router.get(
    "/facilities/{facility_id}/decisions",
    response={200: FacilityDecisionsOut, **ERRORS},
    summary="Decisions for everyone at a facility, a page of people at a time, in one batch (audited)",
)
def facility_decisions(request: HttpRequest, facility_id: int, filters: Query[FacilityDecisionQuery]) -> dict[str, Any]:
    try:
        found = selectors.facility_decisions(
            request_scope(request), facility_id, action=filters.action, page=filters.page, per_page=filters.page_size
        )
    except selectors.UnknownAction as exc:
        raise _unknown_action(exc) from None
    return {
        "count": found.count,
        "page": found.page.number,
        "pages": found.page.paginator.num_pages,
        "page_size": filters.page_size,
        "items": found.decisions,
    }
