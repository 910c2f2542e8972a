"""Clinical reads. Searches of patient data are audited like reads."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.clinical.access import ensure_clinical_role
from nyeri.clinical.models import Patient
from nyeri.tenancy.scope import Scope

SEARCH_LIMIT = 50


def search_patients(scope: Scope, query: str, *, limit: int = SEARCH_LIMIT) -> list[Patient]:
    """Patients of the organization whose name, record number or NIK matches ``query``.

    Audited as a SEARCH (with the query's length, not its text: a NIK is personal data).
    An empty query lists the most recently registered patients.
    """
    ensure_clinical_role(scope)
    query = query.strip()
    qs = Patient.objects.filter(organization=scope.organization).select_related("registered_at")
    if query:
        qs = qs.filter(Q(full_name__icontains=query) | Q(mrn__icontains=query) | Q(nik=query))
    results = list(qs.order_by("-created_at", "-pk")[:limit])
    with transaction.atomic():
        record_event(
            actor=scope.user,
            action=AuditAction.SEARCH,
            organization=scope.organization,
            object_type="patient",
            reason=f"query length {len(query)}; {len(results)} result(s)",
        )
    return results
