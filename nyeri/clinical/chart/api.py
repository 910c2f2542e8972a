"""``GET /api/patients/{id}/chart``: baseline, the mean of the last 7 days and responder status per
measure, the screening results with their bands, and the series.

The same read as the chart page (one audited read of the patient, purpose ``api: chart``),
without the problems and encounters (they have their own endpoints). The series points are
the real values of the window (never downsampled), each with its source.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from nyeri.api.errors import ErrorEnvelope
from nyeri.clinical.chart.selectors import ChartPoint, ChartWindow, MeasureChange, patient_trend
from nyeri.tenancy.scope import request_scope

router = Router(tags=["patients"])


class ChartQuery(Schema):
    months: str = Field("12", description="The period of the series: 3, 6, 12 (default) or all.")


class ValueAt(Schema):
    assessment_id: int
    recorded_at: datetime
    value: float
    source: str = Field(description="clinician or patient (patient-reported, e.g. from the diary)")


class RecentOut(Schema):
    first_day: date = Field(description="The first local day of the 7.")
    last_day: date = Field(description="The local day of the latest value.")
    values: int
    mean: float


class ScreeningResultOut(Schema):
    assessment_id: int
    recorded_at: datetime
    value: float
    band: str = Field(description="The band's code in the instrument file, e.g. moderate.")
    band_label: str


class ScreeningOut(Schema):
    instrument: str
    score: str
    label: str
    results: list[ScreeningResultOut] = Field(description="Most recent first.")


class MeasureOut(Schema):
    instrument: str
    score: str
    label: str
    values: int = Field(description="Current values over the whole history.")
    baseline: ValueAt | None = Field(description="The first value (over the whole history).")
    latest: ValueAt | None
    recent: RecentOut | None = Field(
        description="The mean of the values after the baseline recorded on the last 7 local days up to "
        "the latest value; null with fewer than two values."
    )
    reduction_percent: int | None = Field(
        description="(baseline - mean of the last 7 days) / baseline in per cent; negative when pain got "
        "worse; null with fewer than two values or a baseline of 0."
    )
    responder: int | None = Field(description="50: at least 50 % reduction, 30: at least 30 %, 0: less; null: none.")
    responder_label: str | None


class ChartSeriesOut(Schema):
    instrument: str
    score: str
    label: str
    points: list[ValueAt]


class MarkerOut(Schema):
    at: datetime
    kind: str
    label: str


class ChartOut(Schema):
    patient_id: int
    months: str
    since: datetime | None = Field(description="Start of the period (null: the whole history).")
    until: datetime
    measures: list[MeasureOut] = Field(
        description="NRS, PEG and BPI severity: baseline against the mean of the last 7 days."
    )
    series: list[ChartSeriesOut] = Field(
        description="NRS, PEG, BPI severity and interference in the period, oldest first."
    )
    markers: list[MarkerOut] = Field(description="Treatments on the time axis (empty until treatment records exist).")
    screenings: list[ScreeningOut] = Field(description="PHQ-9, GAD-7 and ORT results with their bands.")


def _value(point: ChartPoint | None) -> dict[str, Any] | None:
    if point is None:
        return None
    return {
        "assessment_id": point.assessment_id,
        "recorded_at": point.at,
        "value": float(point.value),
        "source": point.source,
    }


def _measure(change: MeasureChange) -> dict[str, Any]:
    level = change.level
    found = change.relief
    percent = found.percent if found else None
    return {
        "instrument": change.measure.instrument_code,
        "score": change.measure.score_code,
        "label": change.label,
        "values": change.count,
        "baseline": _value(change.first),
        "latest": _value(change.last),
        "recent": {
            "first_day": found.recent.first_day,
            "last_day": found.recent.last_day,
            "values": found.recent.count,
            "mean": float(found.recent.mean),
        }
        if found
        else None,
        "reduction_percent": int(percent) if percent is not None else None,
        "responder": int(level) if level is not None else None,
        "responder_label": level.label if level is not None else None,
    }


@router.get(
    "/patients/{patient_id}/chart",
    response={200: ChartOut, 403: ErrorEnvelope, 404: ErrorEnvelope, 422: ErrorEnvelope},
    summary="A patient's pain trend with baseline, the last 7 days and responder status per measure (audited)",
)
def chart(request: HttpRequest, patient_id: int, filters: Query[ChartQuery]) -> dict[str, Any]:
    if filters.months not in ChartWindow.values:
        raise ValidationError({"months": [_("Choose 3, 6, 12 or all.")]})
    window = ChartWindow(filters.months)
    patient, trend = patient_trend(request_scope(request), patient_id, window=window)
    return {
        "patient_id": patient.pk,
        "months": window.value,
        "since": trend.since,
        "until": trend.until,
        "measures": [_measure(c) for c in trend.changes],
        "series": [
            {
                "instrument": s.measure.instrument_code,
                "score": s.measure.score_code,
                "label": s.label,
                "points": [_value(p) for p in s.window_points],
            }
            for s in trend.series
        ],
        "markers": [{"at": m.at, "kind": m.kind, "label": m.label} for m in trend.markers],
        "screenings": [
            {
                "instrument": s.measure.instrument_code,
                "score": s.measure.score_code,
                "label": s.name,
                "results": [
                    {
                        "assessment_id": r.assessment_id,
                        "recorded_at": r.at,
                        "value": float(r.value),
                        "band": r.band_code,
                        "band_label": r.band_label,
                    }
                    for r in s.results
                ],
            }
            for s in trend.screenings
        ],
    }
