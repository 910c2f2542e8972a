"""Assessment reads: one assessment with its history, a patient's assessments, trend series.

Scoped to the organization and to the patients the user has care access to (a member limited
to facilities: patients registered or seen there, or opened by break-glass; see
``nyeri.clinical.breakglass.access``), audited as reads of the patient's data (marked with
the grant under break-glass), a fixed number of queries whatever the data size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Model, Prefetch, Q, QuerySet, Window
from django.http import Http404

from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.clinical.access import ensure_clinical_role
from nyeri.clinical.breakglass.access import CareAccess, require_care_access
from nyeri.clinical.instruments import all_instruments
from nyeri.clinical.instruments.schema import Instrument
from nyeri.clinical.models import (
    AssessmentAnswer,
    AssessmentBodySite,
    AssessmentScore,
    AssessmentStatus,
    PainAssessment,
    Patient,
)
from nyeri.lib.rows import PageRows, page_ids, page_of
from nyeri.lib.sql import Prepared
from nyeri.tenancy.scope import Scope


def _visible(scope: Scope) -> QuerySet[PainAssessment]:
    # The organization's; whether the user may read the patient's is care access (per patient):
    # with it, the whole record, whatever the facility an assessment was made at.
    return PainAssessment.objects.filter(organization=scope.organization)


def _audit_read(
    scope: Scope, patient_id: int, object_type: str, object_id: int | str, purpose: str, access: CareAccess
) -> None:
    with transaction.atomic():
        record_event(
            actor=scope.user,
            action=AuditAction.READ,
            organization=scope.organization,
            patient_id=patient_id,
            object_type=object_type,
            object_id=object_id,
            reason=access.audit_reason(purpose),
        )


def access_assessment(scope: Scope, assessment_id: int) -> PainAssessment:
    """The assessment ``assessment_id`` of the scope, for a write (not audited: the write is)."""
    ensure_clinical_role(scope, object_type="pain_assessment")
    found = (
        _visible(scope)
        .select_related("patient", "facility", "encounter")
        .prefetch_related("answers", "scores", "body_sites")
        .filter(pk=assessment_id)
        .first()
    )
    if found is None:
        raise Http404("No such assessment")
    require_care_access(
        scope, found.patient, purpose="assessment", object_type="pain_assessment", object_id=assessment_id
    )
    return found


def _with_rows(qs: QuerySet[PainAssessment]) -> QuerySet[PainAssessment]:
    return qs.select_related("recorded_by", "entered_in_error_by", "facility", "encounter__facility").prefetch_related(
        "answers", "scores", "body_sites"
    )


@dataclass
class AssessmentHistory:
    """An assessment and every version of it, oldest first (the one asked for among them)."""

    assessment: PainAssessment
    versions: list[PainAssessment]
    instrument: Instrument | None

    @property
    def current(self) -> PainAssessment | None:
        return next((v for v in self.versions if v.status == AssessmentStatus.CURRENT), None)


def assessment_detail(scope: Scope, assessment_id: int, *, purpose: str = "") -> AssessmentHistory:
    """One assessment with the whole chain of its versions: 5 queries (6 for a member limited to
    facilities, whose care access to the patient is one more) and the audit row."""
    ensure_clinical_role(scope, object_type="pain_assessment")
    head = _visible(scope).select_related("patient").filter(pk=assessment_id).first()
    if head is None:
        raise Http404("No such assessment")
    access = require_care_access(
        scope, head.patient, purpose=purpose, object_type="pain_assessment", object_id=assessment_id
    )
    root = head.original_id or head.pk
    versions = list(
        _with_rows(_visible(scope).filter(Q(pk=root) | Q(original_id=root)))
        .select_related("patient", "encounter")
        .order_by("created_at", "pk")
    )
    assessment = next(v for v in versions if v.pk == assessment_id)
    _audit_read(scope, head.patient_id, "pain_assessment", assessment_id, purpose, access)
    return AssessmentHistory(assessment, versions, all_instruments().get(assessment.instrument_code))


# The columns a list of assessments shows (the API's history): no ORM objects are built.
LIST_COLUMNS = (
    "id",
    "patient_id",
    "encounter_id",
    "facility_id",
    "instrument_code",
    "instrument_version",
    "recorded_at",
    "recorded_by_id",
    "created_at",
    "source",
    "status",
    "pain_character",
    "amends_id",
    "amendment_reason",
    "entered_in_error_at",
    "entered_in_error_reason",
)


def _page_query(organization: int, patient: int, offset: int, limit: int, include_all: int) -> QuerySet[Any]:
    qs = PainAssessment.objects.filter(organization_id=organization, patient_id=patient)
    if not include_all:
        qs = qs.filter(status=AssessmentStatus.CURRENT)
    return qs.order_by("-recorded_at", "-pk")


def _page(organization: int, patient: int, offset: int, limit: int, include_all: int) -> QuerySet[Any]:
    ordered = _page_query(organization, patient, offset, limit, include_all)
    return ordered[offset : offset + limit].annotate(_total=Window(Count("pk"))).values(*LIST_COLUMNS, "_total")


def _on_page(model: type[Model], *names: str) -> Prepared:
    def build(organization: int, *ids_and_shape: int) -> QuerySet[Any]:
        ids = ids_and_shape[:-1]  # the shape (the number of ids) comes last
        return (
            model._default_manager.filter(organization_id=organization, assessment_id__in=ids)
            .order_by("pk")
            .values("assessment_id", *names)
        )

    return Prepared(f"assessments:{model._meta.model_name}", build)


# A history is read page by page, many times a day: its four statements are compiled once
# per connection and page shape (nyeri.lib.sql.Prepared).
_PAGE = Prepared("assessments:page", _page)
_SCORES = _on_page(AssessmentScore, "score_code", "value", "band_code")
_ANSWERS = _on_page(AssessmentAnswer, "item_code", "value")
_SITES = _on_page(AssessmentBodySite, "region", "view", "laterality")


def patient_assessment_rows(
    scope: Scope, patient: Patient, *, include_all: bool = False, offset: int = 0, limit: int = 50
) -> PageRows:
    """The patient's assessments, newest first, one page of the columns a list shows: current
    ones, or every version with ``include_all``.

    ``patient`` comes from ``access_patient`` (which checked care access and audited the
    read; the check is remembered, so asking again here costs nothing). Each row has the
    ``LIST_COLUMNS`` and ``scores`` (score code, value, band code in the order stored),
    ``answers`` (item code, value) and ``body_sites`` (region, view, laterality). Four
    statements whatever the page holds: the page with the whole list's count, then its
    scores, answers and body sites.
    """
    ensure_clinical_role(scope, object_type="pain_assessment")
    require_care_access(scope, patient, purpose="assessments", object_type="pain_assessment")
    org = scope.organization.pk
    page = _PAGE.rows(org, patient.pk, shape=(offset, limit, int(include_all)))
    if not page:
        # Past the end of the list: how long the list is, for the page numbers.
        count = _page_query(org, patient.pk, 0, 0, int(include_all)).count() if offset else 0
        return PageRows(count, [])
    found = PageRows(page[0]["_total"], page)
    for row in page:
        del row["_total"]
        row.update(scores=[], answers=[], body_sites=[])
    by_id = found.by_id()
    ids = list(by_id)
    for score in _SCORES.rows(org, *ids, shape=(len(ids),)):
        by_id[score["assessment_id"]]["scores"].append((score["score_code"], score["value"], score["band_code"]))
    for answer in _ANSWERS.rows(org, *ids, shape=(len(ids),)):
        by_id[answer["assessment_id"]]["answers"].append({"item": answer["item_code"], "value": answer["value"]})
    for site in _SITES.rows(org, *ids, shape=(len(ids),)):
        by_id[site["assessment_id"]]["body_sites"].append(
            {"region": site["region"], "view": site["view"], "laterality": site["laterality"]}
        )
    return found


@dataclass(frozen=True)
class SeriesPoint:
    assessment_id: int
    recorded_at: datetime
    # score code -> (value, band code)
    scores: dict[str, tuple[Decimal, str]]
    # The assessing facility's zone (its ``time_zone``): the time is shown there, with its label.
    time_zone: str = ""


@dataclass
class InstrumentSeries:
    instrument_code: str
    instrument: Instrument | None
    points: list[SeriesPoint] = field(default_factory=list)

    @property
    def score_codes(self) -> list[str]:
        """The instrument's scores in its own order (scores an old version had come last)."""
        order = [s.code for s in self.instrument.scores] if self.instrument else []
        seen = {code for p in self.points for code in p.scores}
        return [c for c in order if c in seen] + sorted(seen - set(order))


def assessment_series(scope: Scope, patient: Patient, *, instrument_code: str | None = None) -> list[InstrumentSeries]:
    """The patient's scores over time, per instrument, for trends: current versions only.

    Amended versions (replaced by their amendment) and assessments entered in error are
    left out. Ordered by the time of assessment. One query and the audit row.
    """
    ensure_clinical_role(scope, object_type="pain_assessment")
    access = require_care_access(scope, patient, purpose="series", object_type="pain_assessment_series")
    rows = AssessmentScore.objects.filter(
        organization=scope.organization,
        assessment__patient=patient,
        assessment__status=AssessmentStatus.CURRENT,
    )
    if instrument_code:
        rows = rows.filter(assessment__instrument_code=instrument_code)
    values = rows.order_by("assessment__instrument_code", "assessment__recorded_at", "assessment_id").values_list(
        "assessment__instrument_code",
        "assessment_id",
        "assessment__recorded_at",
        "score_code",
        "value",
        "band_code",
        "assessment__facility__time_zone",
    )
    instruments = all_instruments()
    by_code: dict[str, InstrumentSeries] = {}
    points: dict[int, SeriesPoint] = {}
    for code, assessment_id, recorded_at, score_code, value, band_code, time_zone in values:
        series = by_code.get(code)
        if series is None:
            series = by_code[code] = InstrumentSeries(code, instruments.get(code))
        point = points.get(assessment_id)
        if point is None:
            point = points[assessment_id] = SeriesPoint(assessment_id, recorded_at, {}, time_zone)
            series.points.append(point)
        point.scores[score_code] = (value, band_code)
    _audit_read(scope, patient.pk, "pain_assessment_series", instrument_code or "", "series", access)
    return list(by_code.values())


def series_point_rows(
    scope: Scope, patient: Patient, *, instrument_code: str | None = None, offset: int = 0, limit: int = 50
) -> PageRows:
    """``assessment_series`` for a list: one page of its points (current assessments, by
    instrument then time), each row ``id``, ``instrument_code``, ``recorded_at`` and ``scores``
    (score code, value, band code). Two statements whatever the page or the history holds: the
    page with the count, then the page's scores by its ids.

    ``patient`` comes from ``access_patient`` (which checked care access and audited the read;
    the check is remembered, so asking again here costs nothing).
    """
    ensure_clinical_role(scope, object_type="pain_assessment")
    require_care_access(scope, patient, purpose="series", object_type="pain_assessment_series")
    ordered = PainAssessment.objects.filter(
        organization=scope.organization, patient=patient, status=AssessmentStatus.CURRENT
    )
    if instrument_code:
        ordered = ordered.filter(instrument_code=instrument_code)
    ordered = ordered.order_by("instrument_code", "recorded_at", "pk")
    found = page_of(ordered, ("id", "instrument_code", "recorded_at"), offset=offset, limit=limit)
    if not found.rows:
        return found
    by_id = found.by_id()
    for row in found.rows:
        row["scores"] = []
    scores = (
        AssessmentScore.objects.filter(
            organization=scope.organization, assessment__in=page_ids(ordered, offset=offset, limit=limit)
        )
        .order_by("assessment_id", "pk")
        .values_list("assessment_id", "score_code", "value", "band_code")
    )
    for assessment_id, score_code, value, band_code in scores:
        by_id[assessment_id]["scores"].append((score_code, value, band_code))
    return found


def organization_scores(scope: Scope) -> QuerySet[AssessmentScore]:
    """The scores of the organization's assessments, current or entered in error (superseded versions left out).

    For FHIR Observations; each row carries its assessment, patient and body sites (the list
    ``assessment.body_site_list``: set directly, with no query set per row, which a bulk export of
    100,000 rows notices). Not audited here.
    """
    ensure_clinical_role(scope, object_type="pain_assessment")
    return (
        AssessmentScore.objects.filter(organization=scope.organization)
        .exclude(assessment__status=AssessmentStatus.AMENDED)
        .select_related("assessment", "assessment__patient", "assessment__facility")
        .prefetch_related(Prefetch("assessment__body_sites", to_attr="body_site_list"))
    )


def organization_assessments(scope: Scope) -> QuerySet[PainAssessment]:
    """The organization's assessments with their answers, current or entered in error (for FHIR
    QuestionnaireResponse; superseded versions left out). Not audited here."""
    ensure_clinical_role(scope, object_type="pain_assessment")
    return (
        PainAssessment.objects.filter(organization=scope.organization)
        .exclude(status=AssessmentStatus.AMENDED)
        .select_related("patient")
        .prefetch_related("answers")
    )
