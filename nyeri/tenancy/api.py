"""The organization and its facilities in the JSON API (mounted at /api/).

Reading: every member (the facilities they may work in). Changing the organization and
adding, editing, deactivating and reactivating facilities: administrators (others get 403,
audited). The same services and rules as the pages.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from nyeri.api.errors import ErrorEnvelope
from nyeri.api.pages import Page, PageQuery, json_page
from nyeri.api.schemas import OptionalReasonIn
from nyeri.lib.http import request_user
from nyeri.tenancy import selectors, services
from nyeri.tenancy.access import access_facility, require_organization_administrator
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import request_scope

router = Router(tags=["tenancy"])

ERRORS: dict[int, Any] = {403: ErrorEnvelope, 404: ErrorEnvelope, 422: ErrorEnvelope}


class FacilityOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    province: str
    regency: str
    regency_code: str
    province_code: str
    address: str
    phone: str
    time_zone: str = Field(description="IANA time zone of the facility's local times")
    is_active: bool = Field(description="False: deactivated (not offered for new work; its records stay)")

    @staticmethod
    def resolve_province_code(obj: Facility | dict[str, Any]) -> str:
        if isinstance(obj, dict):
            return str(obj["province_code"])
        return obj.regency_code.split(".")[0]


class FacilityOpeningHoursIO(Schema):
    weekday: int = Field(description="1 = Monday ... 7 = Sunday (ISO 8601)")
    opens: time
    closes: time


class FacilityDetailOut(FacilityOut):
    planned_visits_per_week: int | None
    opening_hours: list[FacilityOpeningHoursIO] = Field(description="One entry per day the facility is open")


class FacilityIn(Schema):
    kind: str = Field(description="hospital_pain_unit or pain_clinic")
    name: str
    code: str = Field(description="Short name, unique in the organization (letters, digits, hyphens)")
    province_code: str = Field(description='Kemendagri province code, e.g. "73"')
    regency_code: str = Field(description='Kemendagri regency or city code of that province, e.g. "73.71"')
    planned_visits_per_week: int = Field(description="1 or more")
    opening_hours: list[FacilityOpeningHoursIO] = []
    address: str = ""
    phone: str = ""
    time_zone: str = Field("", description="IANA name; empty: the province's time zone")
    confirm_time_zone: bool = Field(False, description="Needed for a time zone other than the province's")


class FacilityPatch(Schema):
    kind: str | None = None
    name: str | None = None
    code: str | None = None
    province_code: str | None = None
    regency_code: str | None = None
    planned_visits_per_week: int | None = None
    opening_hours: list[FacilityOpeningHoursIO] | None = None
    address: str | None = None
    phone: str | None = None
    time_zone: str | None = None
    confirm_time_zone: bool = False


class OrganizationOut(Schema):
    id: int
    name: str
    kind: str
    jurisdiction: str = Field(description="Fixed at creation (ISO 3166-1 alpha-2)")
    roles: list[str]


class OrganizationPatch(Schema):
    name: str | None = None
    kind: str | None = Field(None, description="hospital or clinic_operator")


def _organization_out(request: HttpRequest) -> dict[str, object]:
    scope = request_scope(request)
    org = scope.organization
    return {
        "id": org.pk,
        "name": org.name,
        "kind": org.kind,
        "jurisdiction": org.jurisdiction,
        "roles": sorted(scope.roles),
    }


def _detail(settings: selectors.FacilitySettings) -> dict[str, Any]:
    facility = settings.facility
    out: dict[str, Any] = {name: getattr(facility, name) for name in selectors.FACILITY_COLUMNS}
    out["province_code"] = settings.province_code
    out["planned_visits_per_week"] = settings.planned_visits_per_week
    out["opening_hours"] = [{"weekday": d, "opens": o, "closes": c} for d, o, c in settings.opening_hours]
    return out


def _rows(hours: list[FacilityOpeningHoursIO]) -> list[tuple[int, time, time]]:
    return [(h.weekday, h.opens, h.closes) for h in hours]


@router.get("/organization", response=OrganizationOut, summary="The organization you act in")
def organization(request: HttpRequest) -> dict[str, object]:
    return _organization_out(request)


@router.patch(
    "/organization",
    response={200: OrganizationOut, **ERRORS},
    summary="Rename the organization or change its kind (administrators; the jurisdiction is fixed)",
)
def patch_organization(request: HttpRequest, payload: OrganizationPatch) -> Any:
    scope = request_scope(request)
    org = scope.organization
    services.update_organization(
        scope=scope,
        acting_user=request_user(request),
        name=payload.name if payload.name is not None else org.name,
        kind=payload.kind if payload.kind is not None else org.kind,
    )
    return _organization_out(request)


class FacilityQuery(PageQuery):
    include_inactive: bool = False


@router.get("/facilities", response={200: Page[FacilityOut], **ERRORS}, summary="Facilities you may work in (paged)")
def list_facilities(request: HttpRequest, filters: Query[FacilityQuery]) -> HttpResponse:
    """Active facilities; ``include_inactive=true`` (administrators) lists the deactivated ones too."""
    scope = request_scope(request)
    if filters.include_inactive:
        require_organization_administrator(scope, object_type="facility", reason="list deactivated facilities")
    found = selectors.facility_rows(
        scope, include_inactive=filters.include_inactive, offset=filters.offset, limit=filters.page_size
    )
    return json_page(found.rows, count=found.count, query=filters)


@router.post("/facilities", response={201: FacilityDetailOut, **ERRORS}, summary="Add a facility (administrators)")
def add_facility(request: HttpRequest, payload: FacilityIn) -> Any:
    scope = request_scope(request)
    data = payload.dict()
    data["opening_hours"] = _rows(payload.opening_hours)
    facility = services.add_facility(
        scope=scope, acting_user=request_user(request), fields=services.FacilityFields(**data)
    )
    return Status(201, _detail(selectors.facility_settings(scope, facility)))


@router.get(
    "/facilities/{facility_id}",
    response={200: FacilityDetailOut, 404: ErrorEnvelope},
    summary="A facility with its planned visits and opening hours",
)
def get_facility(request: HttpRequest, facility_id: int) -> Any:
    scope = request_scope(request)
    return _detail(selectors.facility_settings(scope, access_facility(scope, facility_id)))


@router.patch(
    "/facilities/{facility_id}",
    response={200: FacilityDetailOut, **ERRORS},
    summary="Change a facility: only the fields sent change (administrators)",
)
def patch_facility(request: HttpRequest, facility_id: int, payload: FacilityPatch) -> Any:
    scope = request_scope(request)
    facility = access_facility(scope, facility_id)
    current = selectors.facility_settings(scope, facility)
    sent = payload.dict(exclude_unset=True)
    fields = services.FacilityFields(
        kind=sent.get("kind") or facility.kind,
        name=sent["name"] if sent.get("name") is not None else facility.name,
        code=sent["code"] if sent.get("code") is not None else facility.code,
        province_code=sent.get("province_code") or current.province_code,
        regency_code=sent.get("regency_code") or facility.regency_code,
        planned_visits_per_week=(
            payload.planned_visits_per_week
            if payload.planned_visits_per_week is not None
            else current.planned_visits_per_week
        ),
        opening_hours=_rows(payload.opening_hours) if payload.opening_hours is not None else current.opening_hours,
        address=sent["address"] if sent.get("address") is not None else facility.address,
        phone=sent["phone"] if sent.get("phone") is not None else facility.phone,
        # A new region without a time zone: the new province's.
        time_zone=sent.get("time_zone") or ("" if "regency_code" in sent else facility.time_zone),
        confirm_time_zone=payload.confirm_time_zone,
    )
    updated = services.update_facility(scope=scope, acting_user=request_user(request), facility=facility, fields=fields)
    return _detail(selectors.facility_settings(scope, updated))


@router.post(
    "/facilities/{facility_id}/deactivate",
    response={200: FacilityOut, **ERRORS},
    summary="Deactivate a facility: no longer offered for new work; its records stay (administrators)",
)
def deactivate_facility(request: HttpRequest, facility_id: int, payload: OptionalReasonIn | None = None) -> Any:
    scope = request_scope(request)
    facility = access_facility(scope, facility_id)
    reason = payload.reason if payload is not None else ""
    return services.deactivate_facility(
        scope=scope, acting_user=request_user(request), facility=facility, reason=reason
    )


@router.post(
    "/facilities/{facility_id}/reactivate",
    response={200: FacilityOut, **ERRORS},
    summary="Reactivate a deactivated facility (administrators)",
)
def reactivate_facility(request: HttpRequest, facility_id: int, payload: OptionalReasonIn | None = None) -> Any:
    scope = request_scope(request)
    facility = access_facility(scope, facility_id)
    reason = payload.reason if payload is not None else ""
    return services.reactivate_facility(
        scope=scope, acting_user=request_user(request), facility=facility, reason=reason
    )
