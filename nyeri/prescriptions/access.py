"""Fetching a prescription through the user's scope: another organization's is *not found*."""

from __future__ import annotations

from django.http import Http404

from nyeri.clinical.access import ensure_clinical_role
from nyeri.prescriptions.models import Prescription
from nyeri.tenancy.scope import Scope


def access_prescription(scope: Scope, prescription_id: int, *, patient_id: int | None = None) -> Prescription:
    """The prescription of the scope's organization (and of ``patient_id``, when given), else Http404.

    Reading it is audited by the caller through ``access_patient`` (a read of the patient's data).
    """
    ensure_clinical_role(scope, object_type="prescription")
    found = Prescription.objects.select_related("patient", "patient__registered_at", "facility", "created_by").filter(
        organization=scope.organization, pk=prescription_id
    )
    if patient_id is not None:
        found = found.filter(patient_id=patient_id)
    prescription = found.first()
    if prescription is None:
        raise Http404("No such prescription")
    return prescription
