"""Fetching a diagnosis through the user's scope: another organization's is *not found*."""

from __future__ import annotations

from django.http import Http404

from nyeri.clinical.access import ensure_clinical_role
from nyeri.clinical.diagnoses.models import Diagnosis
from nyeri.tenancy.scope import Scope


def access_diagnosis(scope: Scope, diagnosis_id: int, *, patient_id: int | None = None) -> Diagnosis:
    """The version ``diagnosis_id`` of the scope's organization (of ``patient_id``, when given).

    A diagnosis of another organization, or of another patient than the page's, raises
    Http404 exactly like one that does not exist. (Writes are audited by the services; the
    pages that show a diagnosis read the patient through ``access_patient``, which audits.)
    """
    ensure_clinical_role(scope, object_type="diagnosis")
    qs = Diagnosis.objects.select_related("patient", "patient__registered_at", "facility").filter(
        organization=scope.organization, pk=diagnosis_id
    )
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    diagnosis = qs.first()
    if diagnosis is None:
        raise Http404("No such diagnosis")
    return diagnosis
