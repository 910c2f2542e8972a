"""Fetching a diagnosis through the user's scope: another organization's is *not found*.

A patient outside the user's care (``nyeri.clinical.breakglass.access``) is refused with
the offer to break the glass, as on every other path to the patient's record.
"""

from __future__ import annotations

from django.http import Http404

from nyeri.clinical.access import ensure_clinical_role
from nyeri.clinical.breakglass.access import require_care_access
from nyeri.clinical.diagnoses.models import Diagnosis
from nyeri.clinical.models import Patient
from nyeri.tenancy.scope import Scope


def access_diagnosis(
    scope: Scope, diagnosis_id: int, *, patient_id: int | None = None, patient: Patient | None = None
) -> Diagnosis:
    """The version ``diagnosis_id`` of the scope's organization (of ``patient_id``, when given).

    Pass ``patient`` (from ``access_patient``) instead of ``patient_id`` to reuse its care
    access check; otherwise care access to the diagnosis's patient costs at most one query.

    A diagnosis of another organization, or of another patient than the page's, raises
    Http404 exactly like one that does not exist. (Writes are audited by the services; the
    pages that show a diagnosis read the patient through ``access_patient``, which audits.)
    """
    ensure_clinical_role(scope, object_type="diagnosis")
    qs = Diagnosis.objects.select_related("patient", "patient__registered_at", "facility").filter(
        organization=scope.organization, pk=diagnosis_id
    )
    if patient is not None:
        patient_id = patient.pk
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    diagnosis = qs.first()
    if diagnosis is None:
        raise Http404("No such diagnosis")
    if patient is not None:
        diagnosis.patient = patient
    require_care_access(scope, diagnosis.patient, purpose="diagnosis", object_type="diagnosis", object_id=diagnosis.pk)
    return diagnosis
