"""The SKP ledger in the JSON API (mounted at /api/workforce): the same service, rules and audit as the pages."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from nyeri.api.errors import ErrorEnvelope, with_api_names
from nyeri.api.pages import Page, PageQuery, json_page
from nyeri.lib.http import private_download, request_user
from nyeri.tenancy.scope import request_scope
from nyeri.workforce.credentials.evidence import download_name
from nyeri.workforce.people.selectors import access_person_record
from nyeri.workforce.selectors import organization_person
from nyeri.workforce.skp import selectors, services
from nyeri.workforce.skp.policy import FACILITY_SETTING, REGULATION

router = Router(tags=["workforce"])

ERRORS: dict[int, Any] = {403: ErrorEnvelope, 404: ErrorEnvelope, 422: ErrorEnvelope}


class SkpActivityIn(Schema):
    person_id: int
    category: str = Field(
        description="A category (ranah) of the jurisdiction's SKP policy: learning, service, community"
    )
    title: str = ""
    provider: str = ""
    credits: Decimal | None = Field(None, description="More than 0, two decimals at most.")
    done_on: date | None = Field(None, description="Within the period of the person's current SIP, not in the future.")
    certificate_number: str = Field("", description="Needed when no file is sent.")


class SkpActivityOut(Schema):
    id: int
    person_id: int
    category: str
    title: str
    provider: str
    credits: Decimal
    done_on: date
    certificate_number: str
    has_file: bool
    entered_by_id: int
    entered_at: datetime


class SkpLedgerQuery(PageQuery):
    person: int


class SkpCategoryProgressOut(Schema):
    code: str
    label: str
    credits: Decimal = Field(description="Recorded activities plus, for the service category, credited care hours.")
    from_hours: Decimal
    needed: Decimal | None = Field(description="The category's minimum share of the total.")
    met: bool


class SkpProgressOut(Schema):
    person_id: int
    policy_version: str
    period_start: date | None = Field(description="The period of the SIP whose renewal comes first.")
    period_end: date | None
    practice_permit_id: int | None
    needed: Decimal | None = Field(description="The total the policy names for the person's role.")
    needed_basis: str | None = Field(
        description="regulation (the policy data cites a rule for this figure) or facility_setting "
        "(no rule was found, or the organization's administrator set it): never a rule then"
    )
    needed_source: str = Field(description="The policy data's source of its own figure.")
    hours_per_credit: Decimal | None = Field(description="Hours of verified care per SKP of the service category.")
    hours_basis: str = Field(description="regulation or facility_setting, as needed_basis")
    total: Decimal
    percent: int | None
    complete: bool
    behind: bool
    care_hours: Decimal
    categories: list[SkpCategoryProgressOut]


class SkpPersonQuery(Schema):
    person: int


@router.get(
    "/skp", response={200: Page[SkpActivityOut], **ERRORS}, summary="A professional's SKP activities, newest first"
)
def list_activities(request: HttpRequest, filters: Query[SkpLedgerQuery]) -> object:
    scope = request_scope(request)
    person = access_person_record(scope, filters.person)
    activities = selectors.ledger(scope, person)
    rows = list(activities[filters.offset : filters.offset + filters.page_size])
    selectors.audit_ledger_read(scope, person, purpose="API list")
    return json_page(selectors.activity_rows(rows), count=activities.count(), query=filters)


@router.get("/skp/progress", response={200: SkpProgressOut, **ERRORS}, summary="Progress toward the SIP renewal")
def progress(request: HttpRequest, filters: Query[SkpPersonQuery]) -> object:
    scope = request_scope(request)
    person = access_person_record(scope, filters.person)
    found = selectors.person_progress(scope, person)
    selectors.audit_ledger_read(scope, person, purpose="API progress")
    if found is None:
        raise ValidationError(
            {"person": [_("Your organization's jurisdiction keeps no continuing-education (SKP) policy.")]}
        )
    period = found.period
    return {
        "person_id": person.pk,
        "policy_version": found.policy.version,
        "period_start": period.start if period else None,
        "period_end": period.end if period else None,
        "practice_permit_id": period.permit.pk if period else None,
        "needed": found.needed,
        "needed_basis": found.needed_total.basis if found.needed_total else None,
        "needed_source": found.needed_source,
        "hours_per_credit": found.hours_per_credit,
        "hours_basis": FACILITY_SETTING if found.hours_is_setting else REGULATION,
        "total": found.total,
        "percent": found.percent,
        "complete": found.complete,
        "behind": found.behind,
        "care_hours": found.hours,
        "categories": [
            {
                "code": c.category.code,
                "label": c.category.label(),
                "credits": c.credits,
                "from_hours": c.from_hours,
                "needed": c.needed,
                "met": c.met,
            }
            for c in found.categories
        ],
    }


@router.post(
    "/skp",
    response={201: SkpActivityOut, **ERRORS},
    summary="Record an SKP activity (multipart form: the fields and an optional certificate file)",
)
def record_activity(
    request: HttpRequest, payload: Form[SkpActivityIn], file: File[UploadedFile | None] = None
) -> Status[dict[str, Any]]:
    scope = request_scope(request)
    person = organization_person(scope, payload.person_id)
    if person is None:
        raise ValidationError({"person_id": [_("No such person in your organization.")]})
    try:
        activity = services.record_activity(
            scope=scope,
            acting_user=request_user(request),
            person=person,
            category=payload.category,
            title=payload.title,
            credits=payload.credits,
            done_on=payload.done_on,
            provider=payload.provider,
            certificate_number=payload.certificate_number,
            evidence=file,
        )
    except ValidationError as error:
        raise with_api_names(error, {"evidence": "file"}) from None
    return Status(201, selectors.activity_rows([activity])[0])


@router.get(
    "/skp/evidence/{activity_id}",
    response={200: None, 403: ErrorEnvelope, 404: ErrorEnvelope},
    summary="Download an SKP certificate file (audited)",
)
def download_evidence(request: HttpRequest, activity_id: int) -> FileResponse:
    scope = request_scope(request)
    activity, handle = selectors.read_evidence(scope, activity_id)
    return private_download(handle, filename=download_name(activity), content_type=activity.content_type)


class SkpSettingOut(Schema):
    code: str = Field(description="A total's code of the policy data, or service_hours_per_credit")
    label: str
    policy_value: Decimal = Field(description="The policy data's figure.")
    basis: str = Field(description="The policy data's basis: regulation or facility_setting")
    source: str
    own: Decimal | None = Field(description="The organization's own value (a facility setting), or null.")


class SkpSettingsOut(Schema):
    policy_version: str
    items: list[SkpSettingOut]


class SkpSettingsIn(Schema):
    values: dict[str, Decimal | None] = Field(
        description="By code: a number above zero (two decimals at most) sets the organization's "
        "value; null returns to the policy data's figure. Codes left out are unchanged."
    )


def _settings_out(request: HttpRequest) -> dict[str, Any]:
    found = selectors.settings_rows(request_scope(request))
    if found is None:
        raise ValidationError(
            {"values": [_("Your organization's jurisdiction keeps no continuing-education (SKP) policy.")]}
        )
    policy, rows = found
    return {
        "policy_version": policy.version,
        "items": [
            {
                "code": r.code,
                "label": r.label,
                "policy_value": r.policy_value,
                "basis": FACILITY_SETTING if r.is_setting else REGULATION,
                "source": r.source,
                "own": r.own,
            }
            for r in rows
        ],
    }


@router.get(
    "/skp/settings",
    response={200: SkpSettingsOut, **ERRORS},
    summary="The organization's SKP figures: totals per profession, hours per credit (administrators)",
)
def get_settings(request: HttpRequest) -> object:
    return _settings_out(request)


@router.put(
    "/skp/settings",
    response={200: SkpSettingsOut, **ERRORS},
    summary="Set the organization's own SKP figures (administrators; audited)",
)
def put_settings(request: HttpRequest, payload: SkpSettingsIn) -> object:
    scope = request_scope(request)
    services.set_skp_settings(scope=scope, acting_user=request_user(request), values=payload.values)
    return _settings_out(request)
