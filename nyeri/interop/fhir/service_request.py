"""ServiceRequest: an imaging order (modality as a DICOM code, body region, the clinical question),
with where it is done: in house, or the facility or outside provider it was referred to."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.servicerequest import ServiceRequest as FhirServiceRequest

from nyeri.imaging.models import ImagingOrder, Referral
from nyeri.interop.fhir import systems

DICOM = "http://dicom.nema.org/resources/ontology/DCM"
MODALITY = {"xray": "DX", "fluoroscopy": "RF", "ultrasound": "US", "ct": "CT", "mri": "MR"}
STATUS = {"ordered": "active", "referred": "active", "done": "completed", "cancelled": "revoked"}
STATUS_FROM_FHIR = {"active": ["ordered", "referred"], "completed": ["done"], "revoked": ["cancelled"]}
IMAGING = systems.coding(systems.SNOMED, "363679005", "Imaging")


def _where(order: ImagingOrder, referral: Referral | None) -> dict[str, Any]:
    if referral is None:
        return {"locationReference": [systems.ref("Location", order.facility_id)]}
    if referral.to_facility_id is not None:
        return {"locationReference": [systems.ref("Location", referral.to_facility_id)]}
    return {"performer": [{"display": referral.outside_name}]} if referral.outside_name else {}


def as_json(order: ImagingOrder) -> dict[str, Any]:
    """The resource as plain JSON values (the bulk export writes these; ``build`` validates them)."""
    referrals: list[Referral] = list(order.referrals.all())
    referral = referrals[-1] if referrals else None
    data: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": str(order.pk),
        "status": STATUS[order.status],
        "intent": "order",
        "category": [systems.concept(IMAGING)],
        "code": systems.concept(
            systems.coding(DICOM, MODALITY[order.modality]), text=str(order.get_modality_display())
        ),
        "subject": systems.ref("Patient", order.patient_id),
        "authoredOn": systems.instant(order.ordered_at),
        "bodySite": [systems.concept(systems.coding(systems.BODY_REGION, order.body_region))],
        "reasonCode": [{"text": order.clinical_question}],
        **_where(order, referral),
    }
    if referral is not None and referral.note:
        data["note"] = [{"text": referral.note}]
    return data


def build(order: ImagingOrder) -> FhirServiceRequest:
    return FhirServiceRequest.model_validate(as_json(order))
