"""The outcomes report as JSON: ``GET /api/outcomes?facility=&from=&to=&measure=`` (see docs/outcomes.md)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from nyeri.api.errors import ErrorEnvelope
from nyeri.clinical.outcomes.access import ensure_outcomes_access
from nyeri.clinical.outcomes.selectors import (
    DEFAULT_MEASURE,
    MEASURES,
    FollowUpFigures,
    OutcomeGroup,
    OutcomesReport,
    outcomes_report,
    resolve_filters,
)
from nyeri.clinical.outcomes.services import record_report_read
from nyeri.lib.suppression import small_number_minimum
from nyeri.tenancy.scope import request_scope

router = Router(tags=["outcomes"])


class OutcomesQuery(Schema):
    facility: int | None = Field(None, description="A facility of your organization (default: all of yours)")
    period: str | None = Field(
        None,
        description="The baselines' calendar period: a month (2025-03), quarter (2025-Q1) or year (2025); "
        "default: see docs/outcomes.md",
    )
    date_from: date | None = Field(
        None, alias="from", description="Refused (422 naming it): periods are chosen from the calendar, use period"
    )
    date_to: date | None = Field(None, alias="to", description="Refused (422 naming it), as from")
    measure: str = Field(DEFAULT_MEASURE, description=f"One of: {', '.join(MEASURES)}")


# A count of patients, or "< 5" when it is hidden (small numbers, see docs/outcomes.md).
Count = int | str


class FollowUpOut(Schema):
    months: int
    not_yet_due: Count = Field(description="The window has not closed yet")
    not_assessed: Count = Field(description="The window closed without a value in it")
    assessed: Count
    moderate: Count = Field(description="At least 30 % less pain (includes the substantial responders)")
    moderate_percent: Decimal | None = Field(description="Of the patients assessed; null when none was or hidden")
    substantial: Count = Field(description="At least 50 % less pain")
    substantial_percent: Decimal | None


class GroupOut(Schema):
    breakdown: str = Field(description="total, facility or category")
    key: str = Field(description="total, the facility id, the ICD-11 MG30 code, or none")
    code: str
    label: str
    patients: Count = Field(description="Patients whose baseline is in the period")
    baseline_zero: Count = Field(description="Of them, with a baseline of 0 (in no follow-up)")
    follow_ups: list[FollowUpOut]


class OutcomesOut(Schema):
    period: str = Field(description="The calendar period: 2025-03, 2025-Q1 or 2025")
    date_from: date = Field(serialization_alias="from")
    date_to: date = Field(serialization_alias="to")
    facility: int | None
    measure: str
    measure_label: str
    as_of: datetime
    hidden_below: int = Field(description='Counts of fewer patients than this read "< N" (SMALL_NUMBER_MINIMUM)')
    total: GroupOut
    by_facility: list[GroupOut]
    by_category: list[GroupOut]


def _figures(f: FollowUpFigures) -> dict[str, Any]:
    return {"months": f.months, **f.shown}


def _group(g: OutcomeGroup) -> dict[str, Any]:
    return {
        "breakdown": g.breakdown,
        "key": g.key,
        "code": g.code,
        "label": g.label,
        **g.shown,
        "follow_ups": [_figures(f) for f in g.follow_ups],
    }


def _body(report: OutcomesReport) -> dict[str, Any]:
    filters = report.filters
    assert filters.period is not None  # the report is of calendar periods only
    return {
        "period": filters.period.key,
        "date_from": filters.date_from,
        "date_to": filters.date_to,
        "facility": filters.facility.pk if filters.facility is not None else None,
        "measure": filters.measure,
        "measure_label": report.measure_label,
        "as_of": report.as_of,
        "hidden_below": small_number_minimum(),
        "total": _group(report.total),
        "by_facility": [_group(g) for g in report.by_facility],
        "by_category": [_group(g) for g in report.by_category],
    }


@router.get(
    "/outcomes",
    response={200: OutcomesOut, 403: ErrorEnvelope, 422: ErrorEnvelope},
    by_alias=True,
    summary="Responders at 30 % and 50 % at 3 and 6 months, by facility and chronic pain category (audited read)",
)
def outcomes(request: HttpRequest, filters: Query[OutcomesQuery]) -> Any:
    scope = request_scope(request)
    ensure_outcomes_access(scope)
    checked = resolve_filters(
        scope,
        facility_id=filters.facility,
        period=filters.period,
        date_from=filters.date_from,
        date_to=filters.date_to,
        measure=filters.measure,
    )
    report = outcomes_report(scope, checked)
    record_report_read(scope=scope, filters=checked, channel="api")
    return _body(report)
