"""Clinical reads. Searches of patient data are audited like reads."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q

from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.clinical.access import ensure_clinical_role
from nyeri.clinical.breakglass.access import annotate_care_access, care_access, in_care_q
from nyeri.clinical.models import Patient
from nyeri.tenancy.scope import Scope

SEARCH_LIMIT = 50


def search_patients(
    scope: Scope, query: str, *, limit: int = SEARCH_LIMIT, now: datetime | None = None
) -> list[Patient]:
    """Patients of the organization whose name, record number or NIK matches ``query``.

    Audited as a SEARCH (with the query's length, not its text: a NIK is personal data).
    An empty query lists the most recently registered patients.

    Each patient found carries ``in_care``: whether the user has care access to it
    (``nyeri.clinical.breakglass.access``). A member limited to facilities also finds
    patients outside their care by name or record number, so that they can break the
    glass; pages and the API show those by record number and name only. The NIK, and the
    list of recent patients, find only patients in their care. One query and the audit row.
    """
    ensure_clinical_role(scope)
    query = query.strip()
    qs = annotate_care_access(
        Patient.objects.filter(organization=scope.organization).select_related("registered_at"), scope, now=now
    )
    if query:
        qs = qs.filter(Q(full_name__icontains=query) | Q(mrn__icontains=query) | (Q(nik=query) & in_care_q(scope)))
    else:
        qs = qs.filter(in_care_q(scope))
    results = list(qs.order_by("-created_at", "-pk")[:limit])
    for patient in results:
        patient.in_care = care_access(scope, patient, now=now).allowed  # type: ignore[attr-defined]
    with transaction.atomic():
        record_event(
            actor=scope.user,
            action=AuditAction.SEARCH,
            organization=scope.organization,
            object_type="patient",
            reason=f"query length {len(query)}; {len(results)} result(s)",
        )
    return results
