from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from nyeri.api.errors import ErrorEnvelope
from nyeri.tenancy.access import access_facility
from nyeri.tenancy.scope import request_scope
from nyeri.tenancy.selectors import facilities_for

router = Router(tags=["tenancy"])


class FacilityOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    province: str
    regency: str
    regency_code: str


class OrganizationOut(Schema):
    id: int
    name: str
    kind: str
    jurisdiction: str
    roles: list[str]


@router.get("/organization", response=OrganizationOut, summary="The organization you act in")
def organization(request: HttpRequest) -> dict[str, object]:
    scope = request_scope(request)
    org = scope.organization
    return {
        "id": org.pk,
        "name": org.name,
        "kind": org.kind,
        "jurisdiction": org.jurisdiction,
        "roles": sorted(scope.roles),
    }


@router.get("/facilities", response=list[FacilityOut], summary="Facilities you may work in")
def list_facilities(request: HttpRequest) -> object:
    return list(facilities_for(request_scope(request)))


@router.get("/facilities/{facility_id}", response={200: FacilityOut, 404: ErrorEnvelope})
def get_facility(request: HttpRequest, facility_id: int) -> object:
    return access_facility(request_scope(request), facility_id)
