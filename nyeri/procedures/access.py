"""Fetching a procedure through the user's scope: another organization's is *not found*.

A patient outside the user's care (``nyeri.clinical.breakglass.access``) is refused with the
offer to break the glass, as on every other path to the patient's record.
"""

from __future__ import annotations

from django.http import Http404

from nyeri.clinical.access import ensure_clinical_role
from nyeri.clinical.breakglass.access import require_care_access
from nyeri.clinical.models import Patient
from nyeri.procedures.models import ProcedurePerformance, ProcedureRecord
from nyeri.tenancy.scope import Scope


def access_procedure(scope: Scope, record_id: int, *, patient: Patient | None = None) -> ProcedureRecord:
    """The procedure ``record_id`` of the scope's organization (of ``patient``, when given).

    Pass ``patient`` (from ``access_patient``, which audited the read) to reuse its care
    check; otherwise care access to the record's patient is checked here. A procedure of
    another organization, or of another patient than the page's, raises Http404 exactly like
    one that does not exist.
    """
    ensure_clinical_role(scope, object_type="procedure")
    qs = ProcedureRecord.objects.select_related(
        "patient",
        "patient__registered_at",
        "facility",
        "encounter",
        "ordered_by",
        "scheduled_by",
        "cancelled_by",
        "entered_in_error_by",
    ).filter(organization=scope.organization, pk=record_id)
    if patient is not None:
        qs = qs.filter(patient_id=patient.pk)
    record = qs.first()
    if record is None:
        raise Http404("No such procedure")
    if patient is not None:
        record.patient = patient
    require_care_access(scope, record.patient, purpose="procedure", object_type="procedure", object_id=record.pk)
    return record


def access_performance(scope: Scope, performance_id: int) -> ProcedurePerformance:
    """A version of a performance record of the scope's organization (404 otherwise)."""
    ensure_clinical_role(scope, object_type="procedure_performance")
    performance = (
        ProcedurePerformance.objects.select_related(
            "record", "record__patient", "record__facility", "record__encounter"
        )
        .filter(organization=scope.organization, pk=performance_id)
        .first()
    )
    if performance is None:
        raise Http404("No such procedure record")
    require_care_access(
        scope,
        performance.record.patient,
        purpose="procedure",
        object_type="procedure_performance",
        object_id=performance.pk,
    )
    return performance
