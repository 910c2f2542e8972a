"""Staffing in the JSON API (mounted at /api/staffing): the plan, a preview of a change, the rules.

The same selectors and rules as the pages: the plan and its preview are for administrators
and credentialing officers; the rules for administrators. Explanations come in both
languages (``*_en``, ``*_id``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from nyeri.api.errors import ErrorEnvelope
from nyeri.api.pages import Page, PageQuery, json_page, page_slice
from nyeri.facilities.models import EquipmentKind
from nyeri.staffing import selectors
from nyeri.staffing.evaluate import Contribution, Plan, RoleLine, StaffMember, describe_rule
from nyeri.staffing.selectors import Proposal
from nyeri.tenancy.scope import request_scope

router = Router(tags=["staffing"])

ERRORS: dict[int, Any] = {403: ErrorEnvelope, 404: ErrorEnvelope, 422: ErrorEnvelope}


class RuleOut(Schema):
    code: str
    origin: str = Field(description="file (the jurisdiction's) or organization (its own)")
    label_en: str
    label_id: str
    applies: bool
    binding: bool = Field(description="A minimum that set the requirement")
    units: Decimal = Field(description="The measure's value at the facility")
    fte: Decimal
    explanation_en: str
    explanation_id: str


class StaffingPersonOut(Schema):
    person_id: int
    full_name: str
    counted: bool
    share: Decimal = Field(description="FTE counted here: 1 / facilities the person works at")
    reason_codes: list[str]
    note_en: str
    note_id: str


class RoleOut(Schema):
    role: str
    required: Decimal
    current: Decimal
    gap: Decimal = Field(description="Required - current: positive is a gap, negative a surplus")
    balance: str = Field(description="gap, surplus or balanced")
    summary_en: str
    summary_id: str
    rules: list[RuleOut]
    people: list[StaffingPersonOut]


class PlanOut(Schema):
    facility_id: int
    rules: str = Field(description="The rule set: jurisdiction@version (+ the organization's own)")
    fte_hours_per_week: Decimal
    opening_hours_per_week: Decimal
    total_gap: Decimal
    roles: list[RoleOut]


class PlanPageOut(PlanOut):
    at: datetime


class PreviewIn(Schema):
    """The change to evaluate. Units added per kind (negative: taken out of service); sizes: the new values."""

    add_xray: int = 0
    add_c_arm: int = 0
    add_ultrasound: int = 0
    add_ct: int = 0
    add_mri: int = 0
    consultation_rooms: int | None = None
    procedure_rooms: int | None = None
    recovery_beds: int | None = None
    planned_visits_per_week: int | None = None
    sedation_room_days_per_week: int | None = None


class RoleChangeOut(Schema):
    role: str
    changed: bool
    required_before: Decimal
    required_after: Decimal
    gap_before: Decimal
    gap_after: Decimal
    rules_changed: list[str] = Field(description="Codes of the rules whose FTE changed")
    why_en: list[str]
    why_id: list[str]


class ServiceChangeOut(Schema):
    code: str
    offered_before: bool
    offered_after: bool


class PreviewOut(Schema):
    facility_id: int
    saved: bool = Field(False, description="Always false: a preview writes nothing")
    changes_en: list[str]
    changes_id: list[str]
    roles: list[RoleChangeOut]
    services: list[ServiceChangeOut]
    before: PlanOut
    after: PlanOut


class RuleDefinitionOut(Schema):
    code: str
    state: str = Field(description="file, replaced, added or switched_off")
    role: str
    kind: str
    measure: str | None
    equipment: str | None
    amount: Decimal
    per: Decimal | None
    per_shift: bool
    when_facility_kind: str | None
    when_equipment: str | None
    when_measure: str | None
    when_at_least: Decimal | None
    label_en: str
    label_id: str
    source: str
    terms_en: str
    terms_id: str


def _rule_out(c: Contribution) -> dict[str, Any]:
    return {
        "code": c.code,
        "origin": c.effective.origin,
        "label_en": c.label("en"),
        "label_id": c.label("id"),
        "applies": c.applies,
        "binding": c.binding,
        "units": c.units,
        "fte": c.fte,
        "explanation_en": c.explanation("en"),
        "explanation_id": c.explanation("id"),
    }


def _person_out(m: StaffMember) -> dict[str, Any]:
    return {
        "person_id": m.person_id,
        "full_name": m.full_name,
        "counted": m.counted,
        "share": m.share,
        "reason_codes": [u.code for u in m.unmet],
        "note_en": m.note("en"),
        "note_id": m.note("id"),
    }


def _role_out(line: RoleLine, *, people: bool = True) -> dict[str, Any]:
    return {
        "role": line.role,
        "required": line.required,
        "current": line.current,
        "gap": line.gap,
        "balance": line.balance,
        "summary_en": line.summary("en"),
        "summary_id": line.summary("id"),
        "rules": [_rule_out(c) for c in line.contributions],
        "people": [_person_out(m) for m in line.staff] if people else [],
    }


def _plan_out(facility_id: int, plan: Plan, *, people: bool = True) -> dict[str, Any]:
    return {
        "facility_id": facility_id,
        "rules": plan.rules_label,
        "fte_hours_per_week": plan.fte_hours,
        "opening_hours_per_week": plan.inputs.opening_hours_per_week,
        "total_gap": plan.total_gap,
        "roles": [_role_out(r, people=people) for r in plan.roles],
    }


@router.get(
    "/facilities/{facility_id}/plan",
    response={200: PlanPageOut, **ERRORS},
    summary="Required against current FTE per role, with the rules and the people behind it (audited)",
)
def get_plan(request: HttpRequest, facility_id: int) -> Any:
    scope = request_scope(request)
    facility = selectors.access_plan_facility(scope, facility_id)
    found = selectors.staffing_plan(scope, facility)
    return {**_plan_out(facility.pk, found.plan), "at": found.at}


@router.post(
    "/facilities/{facility_id}/plan/preview",
    response={200: PreviewOut, **ERRORS},
    summary="The plan now and after a proposed change (units, rooms, volume), without saving anything",
)
def preview_plan(request: HttpRequest, facility_id: int, payload: PreviewIn) -> Any:
    scope = request_scope(request)
    facility = selectors.access_plan_facility(scope, facility_id)
    data = payload.dict()
    added = {k.value: data.pop(f"add_{k.value}") for k in EquipmentKind}
    proposal = Proposal({k: n for k, n in added.items() if n}, {k: v for k, v in data.items() if v is not None})
    result = selectors.preview_plan(scope, facility, proposal)
    inputs = result.before.inputs
    return {
        "facility_id": facility.pk,
        "saved": False,
        "changes_en": proposal.describe(inputs, "en"),
        "changes_id": proposal.describe(inputs, "id"),
        "roles": [
            {
                "role": change.role,
                "changed": change.changed,
                "required_before": change.before.required,
                "required_after": change.after.required,
                "gap_before": change.before.gap,
                "gap_after": change.after.gap,
                "rules_changed": [b.code for _a, b in change.changed_rules],
                "why_en": [b.text("en") for _a, b in change.changed_rules],
                "why_id": [b.text("id") for _a, b in change.changed_rules],
            }
            for change in result.roles
        ],
        "services": [{"code": s.code, "offered_before": s.before, "offered_after": s.after} for s in result.services],
        "before": _plan_out(facility.pk, result.before, people=False),
        "after": _plan_out(facility.pk, result.after, people=False),
    }


@router.get(
    "/rules",
    response={200: Page[RuleDefinitionOut], **ERRORS},
    summary=(
        "The organization's staffing rules: the jurisdiction's, changed, added or switched off (administrators; paged)"
    ),
)
def list_rules(request: HttpRequest, paging: Query[PageQuery]) -> HttpResponse:
    scope = request_scope(request)
    overview = selectors.rules_overview(scope)
    out = []
    # Cut before the terms are described in both languages: only the page's rules are.
    for row in page_slice(overview.rows, paging):
        values = row.rule.model_dump(mode="python")
        for key, value in values.items():
            if hasattr(value, "value"):
                values[key] = value.value
        out.append(
            {
                **values,
                "state": row.state,
                "terms_en": describe_rule(row.rule, "en"),
                "terms_id": describe_rule(row.rule, "id"),
            }
        )
    return json_page(out, count=len(overview.rows), query=paging)
