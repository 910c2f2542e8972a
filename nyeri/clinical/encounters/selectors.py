"""Encounter reads: one encounter, a patient's encounters, a patient's timeline.

Each is scoped to the organization and to the patients the user has care access to (a
member limited to facilities: patients registered or seen there, or opened by break-glass;
see ``nyeri.clinical.breakglass.access``), audited as a read of the patient's data (marked
with the grant under break-glass), and takes a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.clinical.access import ensure_clinical_role
from nyeri.clinical.breakglass.access import CareAccess, require_care_access
from nyeri.clinical.models import (
    AssessmentStatus,
    Encounter,
    EncounterParticipant,
    PainAssessment,
    Patient,
)
from nyeri.lib.rows import PageRows, page_ids, page_of
from nyeri.tenancy.scope import Scope


def _visible(scope: Scope) -> QuerySet[Encounter]:
    # The organization's; whether the user may read the patient's is care access (per patient):
    # with it, every visit of the patient, whatever the facility.
    return Encounter.objects.filter(organization=scope.organization)


def access_encounter(scope: Scope, encounter_id: int) -> Encounter:
    """The encounter ``encounter_id`` of the scope (404 for another organization's, like a missing one)."""
    ensure_clinical_role(scope, object_type="encounter")
    encounter = _visible(scope).select_related("patient", "facility").filter(pk=encounter_id).first()
    if encounter is None:
        raise Http404("No such encounter")
    require_care_access(scope, encounter.patient, purpose="encounter", object_type="encounter", object_id=encounter.pk)
    return encounter


def _audit_read(
    scope: Scope, patient: Patient, object_type: str, object_id: int | str, purpose: str, access: CareAccess
) -> None:
    with transaction.atomic():
        record_event(
            actor=scope.user,
            action=AuditAction.READ,
            organization=scope.organization,
            patient_id=patient.pk,
            object_type=object_type,
            object_id=object_id,
            reason=access.audit_reason(purpose),
        )


def _participants() -> Prefetch[str, QuerySet[EncounterParticipant], str]:
    return Prefetch(
        "participants",
        queryset=EncounterParticipant.objects.select_related("person", "added_by").order_by("added_at", "pk"),
    )


def _assessments() -> Prefetch[str, QuerySet[PainAssessment], str]:
    # Current versions and those entered in error (shown struck through); amended ones live
    # in each assessment's history.
    return Prefetch(
        "assessments",
        queryset=PainAssessment.objects.exclude(status=AssessmentStatus.AMENDED)
        .select_related("recorded_by", "facility")
        .prefetch_related("scores")
        .order_by("recorded_at", "pk"),
    )


def encounter_detail(scope: Scope, encounter_id: int, *, purpose: str = "") -> Encounter:
    """The encounter with its participants and assessments (with scores): 5 queries (6 for a member
    limited to facilities, whose care access to the patient is one more) and the audit row."""
    ensure_clinical_role(scope, object_type="encounter")
    encounter = (
        _visible(scope)
        .select_related("patient", "facility", "created_by", "cancelled_by")
        .prefetch_related(_participants(), _assessments())
        .filter(pk=encounter_id)
        .first()
    )
    if encounter is None:
        raise Http404("No such encounter")
    access = require_care_access(
        scope, encounter.patient, purpose=purpose, object_type="encounter", object_id=encounter.pk
    )
    _audit_read(scope, encounter.patient, "encounter", encounter.pk, purpose, access)
    return encounter


def patient_encounters(scope: Scope, patient: Patient) -> list[Encounter]:
    """The patient's encounters, newest first, with participants and assessments (fixed queries).

    ``patient`` comes from ``access_patient`` (which checked care access and audited the read;
    the check is remembered, so asking again here costs nothing).
    """
    ensure_clinical_role(scope, object_type="encounter")
    require_care_access(scope, patient, purpose="encounters", object_type="encounter")
    return list(
        _visible(scope)
        .filter(patient=patient)
        .select_related("facility")
        .prefetch_related(_participants(), _assessments())
        .order_by("-starts_at", "-pk")
    )


# The columns a list of encounters shows (the API's ``EncounterOut``, without its lists).
LIST_COLUMNS = (
    "id",
    "patient_id",
    "facility_id",
    "kind",
    "status",
    "starts_at",
    "ends_at",
    "created_at",
    "cancelled_at",
    "cancel_reason",
)


PARTICIPANT_COLUMNS = ("id", "person_id", "person_name", "role", "minutes", "added_at")


def patient_encounter_rows(scope: Scope, patient: Patient, *, offset: int = 0, limit: int = 50) -> PageRows:
    """``patient_encounters`` for a list: one page (newest first) of the columns shown.

    Each row has the ``LIST_COLUMNS``, ``participants`` (id, person_id, person_name, role,
    minutes, added_at; in the order added) and ``assessment_ids`` (current versions and
    those entered in error, in the order assessed). Three statements whatever the page holds.
    """
    ensure_clinical_role(scope, object_type="encounter")
    require_care_access(scope, patient, purpose="encounters", object_type="encounter")
    ordered = _visible(scope).filter(patient=patient).order_by("-starts_at", "-pk")
    found = page_of(ordered, LIST_COLUMNS, offset=offset, limit=limit)
    if not found.rows:
        return found
    by_id = found.by_id()
    for row in found.rows:
        row.update(participants=[], assessment_ids=[])
    on_page = {"organization": scope.organization, "encounter_id__in": page_ids(ordered, offset=offset, limit=limit)}
    for encounter_id, *values in (
        EncounterParticipant.objects.filter(**on_page)
        .order_by("added_at", "pk")
        .values_list("encounter_id", "id", "person_id", "person__full_name", "role", "minutes", "added_at")
    ):
        by_id[encounter_id]["participants"].append(dict(zip(PARTICIPANT_COLUMNS, values, strict=True)))
    for encounter_id, assessment_id in (
        PainAssessment.objects.filter(**on_page)
        .exclude(status=AssessmentStatus.AMENDED)
        .order_by("recorded_at", "pk")
        .values_list("encounter_id", "pk")
    ):
        by_id[encounter_id]["assessment_ids"].append(assessment_id)
    return found


@dataclass
class Timeline:
    """A patient's care over time: visits (newest first) and assessments made outside a visit."""

    encounters: list[Encounter]
    unlinked: list[PainAssessment] = field(default_factory=list)


def patient_timeline(scope: Scope, patient: Patient) -> Timeline:
    """Encounters with participants and assessments, plus assessments without an encounter.

    Fixed: 7 queries whatever the number of visits and assessments.
    """
    encounters = patient_encounters(scope, patient)
    unlinked = list(
        PainAssessment.objects.filter(organization=scope.organization, patient=patient, encounter__isnull=True)
        .exclude(status=AssessmentStatus.AMENDED)
        .select_related("recorded_by", "facility")
        .prefetch_related("scores")
        .order_by("-recorded_at", "-pk")
    )
    return Timeline(encounters, unlinked)


def organization_encounters(scope: Scope) -> QuerySet[Encounter]:
    """The organization's encounters with patient, facility and participants (for FHIR; not audited here)."""
    ensure_clinical_role(scope, object_type="encounter")
    return _visible(scope).select_related("patient", "facility").prefetch_related(_participants())
