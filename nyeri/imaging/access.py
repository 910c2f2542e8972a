"""Fetching imaging orders and referrals through the user's scope.

Another organization's order or referral is *not found* (404). An order is read under the
care-access rule of its patient (``nyeri.clinical.breakglass.access``). A referral is read by
the referring side under the same rule, and by the staff of the receiving facility (whose
membership reaches it, facility-limited memberships included) because the referral sends
them the patient: that read is audited as such ("incoming referral").
"""

from __future__ import annotations

from django.db import transaction
from django.http import Http404

from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.clinical.access import ensure_clinical_role
from nyeri.clinical.breakglass.access import care_access, require_care_access
from nyeri.clinical.models import Patient
from nyeri.imaging.models import ImagingOrder, Referral
from nyeri.tenancy.scope import Scope


def access_order(scope: Scope, order_id: int, *, patient: Patient | None = None) -> ImagingOrder:
    """The imaging order ``order_id`` of the scope's organization (of ``patient`` when given)."""
    ensure_clinical_role(scope, object_type="imaging_order")
    qs = ImagingOrder.objects.select_related("patient", "patient__registered_at", "facility", "ordered_by").filter(
        organization=scope.organization, pk=order_id
    )
    if patient is not None:
        qs = qs.filter(patient_id=patient.pk)
    order = qs.first()
    if order is None:
        raise Http404("No such imaging order")
    if patient is not None:
        order.patient = patient
    require_care_access(scope, order.patient, purpose="imaging", object_type="imaging_order", object_id=order.pk)
    return order


def access_referral(scope: Scope, referral_id: int) -> Referral:
    """The referral ``referral_id`` of the scope's organization, its read audited."""
    ensure_clinical_role(scope, object_type="referral")
    referral = (
        Referral.objects.select_related(
            "patient",
            "patient__registered_at",
            "imaging_order",
            "procedure",
            "from_facility",
            "to_facility",
            "sent_by",
            "responded_by",
            "completed_by",
        )
        .filter(organization=scope.organization, pk=referral_id)
        .first()
    )
    if referral is None:
        raise Http404("No such referral")
    # Care access first (the referring side, organization-wide members); else the receiving staff.
    incoming = (
        not care_access(scope, referral.patient).allowed
        and referral.to_facility_id is not None
        and scope.covers_facility(referral.to_facility_id)
    )
    if not incoming:
        require_care_access(scope, referral.patient, purpose="referral", object_type="referral", object_id=referral.pk)
    with transaction.atomic():
        record_event(
            actor=scope.user,
            action=AuditAction.READ,
            organization=scope.organization,
            facility=referral.to_facility if incoming else referral.from_facility,
            patient_id=referral.patient_id,
            object_type="referral",
            object_id=referral.pk,
            reason="incoming referral" if incoming else "referral",
        )
    return referral
