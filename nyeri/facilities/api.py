"""Facility profile, equipment and services in the JSON API (mounted at /api/).

The same selectors, services and rules as the pages.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from nyeri.api.errors import ErrorEnvelope
from nyeri.api.pages import Page, PageQuery, json_page
from nyeri.facilities import selectors, services
from nyeri.facilities.access import access_equipment
from nyeri.facilities.models import Equipment, EquipmentStatusChange
from nyeri.facilities.offered import PartResult, ServiceResult
from nyeri.lib.http import request_user
from nyeri.tenancy.access import access_facility
from nyeri.tenancy.scope import request_scope

router = Router(tags=["facilities"])

ERRORS: dict[int, Any] = {403: ErrorEnvelope, 404: ErrorEnvelope, 422: ErrorEnvelope}


class OpeningHoursIO(Schema):
    weekday: int = Field(description="1 = Monday ... 7 = Sunday (ISO 8601)")
    opens: time
    closes: time


class ProfileOut(Schema):
    facility_id: int
    kind: str = Field(description="hospital_pain_unit or pain_clinic (from the facility)")
    described: bool = Field(description="False: no profile yet, every size is 0")
    consultation_rooms: int
    procedure_rooms: int
    recovery_beds: int
    planned_visits_per_week: int
    sedation_room_days_per_week: int
    opening_hours: list[OpeningHoursIO] = Field(description="One entry per day the facility is open")
    opening_hours_per_week: float
    equipment_in_service: dict[str, int] = Field(description="Units in service per equipment kind")


class ProfileIn(Schema):
    consultation_rooms: int
    procedure_rooms: int
    recovery_beds: int
    planned_visits_per_week: int
    sedation_room_days_per_week: int = 0
    opening_hours: list[OpeningHoursIO] = []


class StatusChangeOut(Schema):
    from_status: str
    to_status: str
    reason: str
    changed_by: str
    changed_at: datetime

    @staticmethod
    def resolve_changed_by(obj: EquipmentStatusChange) -> str:
        return obj.changed_by.get_username() if obj.changed_by is not None else ""


class EquipmentOut(Schema):
    id: int
    facility_id: int
    kind: str
    model_name: str
    serial_number: str
    status: str
    status_changed_at: datetime
    history: list[StatusChangeOut] = Field(description="Every status of the unit, oldest first")

    @staticmethod
    def resolve_history(obj: Equipment) -> list[EquipmentStatusChange]:
        history = getattr(obj, "history", None)
        if history is None:
            history = list(obj.status_changes.select_related("changed_by").order_by("changed_at", "pk"))
        return list(history)


class EquipmentIn(Schema):
    kind: str = Field(description="xray, c_arm, ultrasound, ct or mri")
    model_name: str
    serial_number: str = ""
    status: str = Field("in_service", description="in_service or under_maintenance")
    reason: str = Field("", description="A note kept as the first entry of the history")


class StatusIn(Schema):
    status: str = Field(description="in_service, under_maintenance or retired")
    reason: str


class PartOut(Schema):
    kind: str = Field(description="equipment, staff or rooms")
    met: bool
    message_en: str
    message_id: str
    details_en: list[str]
    details_id: list[str]


class ServiceOut(Schema):
    code: str
    label_en: str
    label_id: str
    offered: bool
    unmet: list[PartOut]


class ServicesOut(Schema):
    facility_id: int
    at: datetime
    catalogue_version: str
    pack: str
    names: bool = Field(description="Whether unmet staff parts name people (administrators, credentialing officers)")
    services: list[ServiceOut]
    network: dict[str, list[str]] = Field(
        description="Per equipment kind: the organization's other facilities with a unit in service (to refer to)"
    )


def _profile_out(view: selectors.ProfileView) -> dict[str, Any]:
    inputs = view.inputs
    return {
        "facility_id": view.facility.pk,
        "kind": view.facility.kind,
        "described": view.described,
        "consultation_rooms": inputs.consultation_rooms,
        "procedure_rooms": inputs.procedure_rooms,
        "recovery_beds": inputs.recovery_beds,
        "planned_visits_per_week": inputs.planned_visits_per_week,
        "sedation_room_days_per_week": inputs.sedation_room_days_per_week,
        "opening_hours": [{"weekday": d.weekday, "opens": d.opens, "closes": d.closes} for d in view.week if d.is_open],
        "opening_hours_per_week": float(inputs.opening_hours_per_week),
        "equipment_in_service": dict(inputs.in_service),
    }


@router.get(
    "/facilities/{facility_id}/profile",
    response={200: ProfileOut, **ERRORS},
    summary="A facility's size, hours and equipment counts",
)
def get_profile(request: HttpRequest, facility_id: int) -> Any:
    scope = request_scope(request)
    facility = access_facility(scope, facility_id)
    return _profile_out(selectors.facility_profile(scope, facility))


@router.put(
    "/facilities/{facility_id}/profile",
    response={200: ProfileOut, **ERRORS},
    summary="Replace a facility's profile and opening hours (administrators)",
)
def put_profile(request: HttpRequest, facility_id: int, payload: ProfileIn) -> Any:
    scope = request_scope(request)
    facility = access_facility(scope, facility_id)
    data = payload.dict()
    hours = [(h["weekday"], h["opens"], h["closes"]) for h in data.pop("opening_hours")]
    services.save_facility_profile(
        scope=scope, acting_user=request_user(request), facility=facility, opening_hours=hours, **data
    )
    return _profile_out(selectors.facility_profile(scope, facility))


@router.get(
    "/facilities/{facility_id}/equipment",
    response={200: Page[EquipmentOut], **ERRORS},
    summary="A facility's equipment by kind and model, each unit with its status history (paged)",
)
def list_equipment(request: HttpRequest, facility_id: int, paging: Query[PageQuery]) -> HttpResponse:
    scope = request_scope(request)
    facility = access_facility(scope, facility_id)
    found = selectors.equipment_rows(scope, facility, offset=paging.offset, limit=paging.page_size)
    return json_page(found.rows, count=found.count, query=paging)


@router.post(
    "/facilities/{facility_id}/equipment",
    response={201: EquipmentOut, **ERRORS},
    summary="Add a unit to a facility's inventory (administrators)",
)
def add_equipment(request: HttpRequest, facility_id: int, payload: EquipmentIn) -> Any:
    scope = request_scope(request)
    facility = access_facility(scope, facility_id)
    unit = services.add_equipment(scope=scope, acting_user=request_user(request), facility=facility, **payload.dict())
    return Status(201, unit)


@router.post(
    "/equipment/{equipment_id}/status",
    response={200: EquipmentOut, **ERRORS},
    summary="Change a unit's status with a reason (administrators, medical technicians); the history keeps all",
)
def change_status(request: HttpRequest, equipment_id: int, payload: StatusIn) -> Any:
    scope = request_scope(request)
    unit = access_equipment(scope, equipment_id)
    services.change_equipment_status(
        scope=scope, acting_user=request_user(request), equipment=unit, status=payload.status, reason=payload.reason
    )
    return unit


def _part_out(part: PartResult, names: bool) -> dict[str, Any]:
    return {
        "kind": part.part.kind,
        "met": part.met,
        "message_en": part.unmet("en"),
        "message_id": part.unmet("id"),
        "details_en": part.details("en", names=names),
        "details_id": part.details("id", names=names),
    }


def _service_out(result: ServiceResult, names: bool) -> dict[str, Any]:
    return {
        "code": result.code,
        "label_en": result.label("en"),
        "label_id": result.label("id"),
        "offered": result.offered,
        "unmet": [_part_out(p, names) for p in result.unmet_parts],
    }


@router.get(
    "/facilities/{facility_id}/services",
    response={200: ServicesOut, **ERRORS},
    summary="What the facility can offer today, and for the rest every unmet part in both languages",
)
def get_services(request: HttpRequest, facility_id: int) -> Any:
    scope = request_scope(request)
    facility = access_facility(scope, facility_id)
    offered = selectors.services_offered(scope, facility)
    return {
        "facility_id": facility.pk,
        "at": offered.at,
        "catalogue_version": offered.catalogue_version,
        "pack": offered.pack,
        "names": offered.names,
        "services": [_service_out(r, offered.names) for r in offered.results],
        "network": {kind: list(names) for kind, names in offered.network.items()},
    }
