"""Nyeri's URLs plus the floors of the API benchmarks: bare views in the same server.

A floor is what the database and Django's request handling cost on this machine at that
moment, without Nyeri's identity, privilege, audit or serialization: the API is judged
against it (docs/benchmarks.md). Never mounted outside the benchmarks (floor_settings).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from nyeri.clinical.models import AssessmentAnswer, AssessmentScore, PainAssessment
from nyeri.urls import handler403, handler404, handler500  # noqa: F401
from nyeri.urls import urlpatterns as nyeri_urlpatterns

HISTORY_SQL = (
    "SELECT id, patient_id, encounter_id, facility_id, instrument_code, instrument_version, recorded_at,"
    " recorded_by_id, created_at, source, status, pain_character, amends_id, amendment_reason,"
    " entered_in_error_at, entered_in_error_reason"
    " FROM clinical_painassessment WHERE organization_id = %s AND patient_id = %s AND status = 'current'"
    " ORDER BY recorded_at DESC, id DESC LIMIT %s"
)
CHILD_SQL = {
    "scores": "SELECT assessment_id, score_code, value, band_code FROM clinical_assessmentscore"
    " WHERE assessment_id IN ({ids}) ORDER BY id",
    "answers": "SELECT assessment_id, item_code, value FROM clinical_assessmentanswer"
    " WHERE assessment_id IN ({ids}) ORDER BY id",
    "body_sites": "SELECT assessment_id, region, view, laterality FROM clinical_assessmentbodysite"
    " WHERE assessment_id IN ({ids}) ORDER BY id",
}


def ping(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def _plain(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value.isoformat()


def history_floor(request: HttpRequest, organization_id: int, patient_id: int) -> HttpResponse:
    """The rows of the API's pain history (the assessments, their scores, answers and body
    sites) in raw SQL, dumped as JSON: no authentication, scope, audit or labels."""
    with connection.cursor() as cursor:
        cursor.execute(HISTORY_SQL, [organization_id, patient_id, int(request.GET.get("page_size", 50))])
        names = [c[0] for c in cursor.description]
        rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
        by_id = {r["id"]: {**r, "scores": [], "answers": [], "body_sites": []} for r in rows}
        if by_id:
            ids = ", ".join(["%s"] * len(by_id))
            for key, sql in CHILD_SQL.items():
                cursor.execute(sql.format(ids=ids), list(by_id))
                for assessment_id, *values in cursor.fetchall():
                    by_id[assessment_id][key].append(values)
    body = {"count": len(by_id), "items": list(by_id.values())}
    return HttpResponse(json.dumps(body, default=_plain), content_type="application/json")


@csrf_exempt
def write_floor(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The pain-score write's three INSERTs (assessment, answer, score) through the ORM in one
    transaction: no token, scope, privilege decision, validation or audit."""
    body = json.loads(request.body)
    intensity = int(body["answers"]["intensity"])
    with transaction.atomic():
        assessment = PainAssessment.objects.create(
            organization_id=body["organization_id"],
            patient_id=patient_id,
            facility_id=body["facility_id"],
            instrument_code="nrs",
            instrument_version="2026.11-1",
            recorded_by_id=body["recorded_by_id"],
            recorded_at=timezone.now(),
            source="clinician",
        )
        AssessmentAnswer.objects.create(
            organization_id=body["organization_id"], assessment=assessment, item_code="intensity", value=intensity
        )
        AssessmentScore.objects.create(
            organization_id=body["organization_id"],
            assessment=assessment,
            score_code="total",
            value=Decimal(intensity),
        )
    return JsonResponse({"id": assessment.pk, "recorded_at": assessment.recorded_at}, status=201)


urlpatterns = [
    path("floor/ping", ping),
    path("floor/history/<int:organization_id>/<int:patient_id>", history_floor),
    path("floor/patients/<int:patient_id>/assessments", write_floor),
    *nyeri_urlpatterns,
]
