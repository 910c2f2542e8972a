"""The practice evaluation as JSON: ``GET /api/practice-evaluation?facility=&period=`` (docs/oppe.md)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from nyeri.api.errors import ErrorEnvelope
from nyeri.evaluation.access import ensure_practice_review
from nyeri.evaluation.selectors import PeerGroup, PeerRow, PracticeEvaluation, practice_evaluation, resolve_filters
from nyeri.evaluation.services import record_evaluation_read
from nyeri.lib.suppression import small_number_minimum
from nyeri.tenancy.scope import request_scope

router = Router(tags=["practice evaluation"])


class EvaluationQuery(Schema):
    facility: int | None = Field(None, description="A facility of your organization (default: all of yours)")
    period: str | None = Field(
        None, description="A calendar year that has ended (2025); default: the last one (docs/oppe.md)"
    )
    date_from: date | None = Field(
        None, alias="from", description="Refused (422 naming it): the period is a whole year, use period"
    )
    date_to: date | None = Field(None, alias="to", description="Refused (422 naming it), as from")


# A count of patients, or "< 5" when it is hidden (small numbers, see docs/oppe.md).
PatientCount = int | str


class EvaluationReliefOut(Schema):
    months: int
    assessed: PatientCount
    moderate: PatientCount = Field(description="At least 30 % less pain (includes the substantial responders)")
    moderate_percent: Decimal | None
    substantial: PatientCount = Field(description="At least 50 % less pain")
    substantial_percent: Decimal | None


class EvaluationFlagOut(Schema):
    code: str
    message: str


class EvaluationPractitionerOut(Schema):
    person_id: int
    name: str
    roles: list[str]
    procedures: int
    complicated: int = Field(description="Procedures with at least one complication")
    complication_percent: Decimal | None
    prescriptions: int
    opioid_prescriptions: int
    high_mme: int = Field(description="Prescriptions at or above the MME justification threshold")
    high_mme_unjustified: int
    engine_refusals: int
    break_glass: int
    break_glass_not_justified: int
    patients: PatientCount = Field(description="Patients of the period's cohort the practitioner cared for")
    relief: list[EvaluationReliefOut]
    flags: list[EvaluationFlagOut]


class EvaluationGroupOut(Schema):
    role: str
    label: str
    medians: dict[str, Decimal | None]
    practitioners: list[EvaluationPractitionerOut]


class EvaluationOut(Schema):
    period: str = Field(description="The calendar year: 2025")
    date_from: date = Field(serialization_alias="from")
    date_to: date = Field(serialization_alias="to")
    facility: int | None
    as_of: datetime
    hidden_below: int = Field(description='Counts of fewer patients than this read "< N" (SMALL_NUMBER_MINIMUM)')
    mme_justify: Decimal
    thresholds: dict[str, Any] = Field(description="The policy pack's [practice_evaluation]")
    groups: list[EvaluationGroupOut]


def _row(row: PeerRow) -> dict[str, Any]:
    p = row.practitioner
    return {
        "person_id": p.person_id,
        "name": p.name,
        "roles": p.roles,
        "procedures": p.procedures,
        "complicated": p.complicated,
        "complication_percent": p.complication_percent,
        "prescriptions": p.prescriptions,
        "opioid_prescriptions": p.opioid_prescriptions,
        "high_mme": p.high_mme,
        "high_mme_unjustified": p.high_mme_unjustified,
        "engine_refusals": p.engine_refusals,
        "break_glass": p.break_glass,
        "break_glass_not_justified": p.break_glass_not_justified,
        "patients": p.shown_patients,
        "relief": [{"months": r.months, **r.shown} for r in p.relief],
        "flags": [{"code": f.code, "message": f.message} for f in row.flags],
    }


def _group(group: PeerGroup) -> dict[str, Any]:
    return {
        "role": group.role,
        "label": group.label,
        "medians": group.medians,
        "practitioners": [_row(row) for row in group.rows],
    }


def _body(evaluation: PracticeEvaluation) -> dict[str, Any]:
    filters = evaluation.filters
    assert filters.period is not None  # asked for whole years only
    return {
        "period": filters.period.key,
        "date_from": filters.date_from,
        "date_to": filters.date_to,
        "facility": filters.facility.pk if filters.facility is not None else None,
        "as_of": evaluation.as_of,
        "hidden_below": small_number_minimum(),
        "mme_justify": evaluation.mme_justify,
        "thresholds": evaluation.thresholds.model_dump(),
        "groups": [_group(g) for g in evaluation.groups],
    }


@router.get(
    "/practice-evaluation",
    response={200: EvaluationOut, 403: ErrorEnvelope, 422: ErrorEnvelope},
    by_alias=True,
    summary="Each practitioner's procedures, prescriptions, refusals, break-glass and relief beside peers (audited)",
)
def evaluation(request: HttpRequest, filters: Query[EvaluationQuery]) -> Any:
    scope = request_scope(request)
    ensure_practice_review(scope)
    checked = resolve_filters(
        scope, facility_id=filters.facility, period=filters.period, date_from=filters.date_from, date_to=filters.date_to
    )
    found = practice_evaluation(scope, checked)
    record_evaluation_read(scope=scope, filters=checked, channel="api")
    return _body(found)
