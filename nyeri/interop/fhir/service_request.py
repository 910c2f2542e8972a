"""ServiceRequest: an imaging order (modality as a DICOM code, body region, the clinical question)
or a procedure order (ICD-9-CM, body site and side), with where it is done: in house, or the
facility or outside provider it was referred to.

Both are served as one resource type with ids that cannot collide: an imaging order keeps its
bare number (``12``, as clients already hold), a procedure order is ``procedure-<pk>``.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.servicerequest import ServiceRequest as FhirServiceRequest

from nyeri.imaging.models import ImagingOrder, Referral
from nyeri.interop.fhir import procedure, systems
from nyeri.procedures.models import ProcedureRecord

DICOM = "http://dicom.nema.org/resources/ontology/DCM"
MODALITY = {"xray": "DX", "fluoroscopy": "RF", "ultrasound": "US", "ct": "CT", "mri": "MR"}
STATUS = {"ordered": "active", "referred": "active", "done": "completed", "cancelled": "revoked"}
STATUS_FROM_FHIR = {"active": ["ordered", "referred"], "completed": ["done"], "revoked": ["cancelled"]}
IMAGING = systems.coding(systems.SNOMED, "363679005", "Imaging")
# A procedure order's logical id: this prefix and the record's pk (apart from imaging's bare numbers).
PROCEDURE_PREFIX = "procedure-"
PROCEDURE_CATEGORY = systems.coding(systems.SNOMED, "387713003", "Surgical procedure")
# A procedure record through its life (ordered, scheduled, then performed here or elsewhere).
PROCEDURE_STATUS = {
    "ordered": "active",
    "scheduled": "active",
    "performed": "completed",
    "elsewhere": "completed",
    "cancelled": "revoked",
    "entered_in_error": "entered-in-error",
}
PROCEDURE_STATUS_FROM_FHIR = {
    served: [stored for stored, fhir in PROCEDURE_STATUS.items() if fhir == served]
    for served in PROCEDURE_STATUS.values()
}
# Every ServiceRequest.status code (request-status): a valid search value even when no order has it.
REQUEST_STATUSES = frozenset({"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"})


def procedure_id(record_pk: int) -> str:
    return f"{PROCEDURE_PREFIX}{record_pk}"


def _where(facility_id: int, referral: Referral | None) -> dict[str, Any]:
    if referral is None:
        return {"locationReference": [systems.ref("Location", facility_id)]}
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
        "bodySite": [systems.concept(*systems.body_site_codings(order.body_region))],
        "reasonCode": [{"text": order.clinical_question}],
        **_where(order.facility_id, referral),
    }
    if referral is not None and referral.note:
        data["note"] = [{"text": referral.note}]
    return data


def build(order: ImagingOrder) -> FhirServiceRequest:
    return FhirServiceRequest.model_validate(as_json(order))


def _latest_referral(record: ProcedureRecord) -> Referral | None:
    referrals = sorted(record.referrals.all(), key=lambda r: (r.sent_at, r.pk))
    return referrals[-1] if referrals else None


def procedure_as_json(record: ProcedureRecord) -> dict[str, Any]:
    """A procedure order as plain JSON values (rows of ``organization_procedure_orders``)."""
    referral = _latest_referral(record)
    data: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": procedure_id(record.pk),
        "status": PROCEDURE_STATUS.get(record.status, "unknown"),
        "intent": "order",
        "category": [systems.concept(PROCEDURE_CATEGORY)],
        "code": procedure.code_concept(record.procedure_code),
        "subject": systems.ref("Patient", record.patient_id),
        "authoredOn": systems.instant(record.ordered_at),
        "bodySite": [procedure.body_site_concept(record.body_site, record.laterality)],
        **_where(record.facility_id, referral),
    }
    if record.encounter_id is not None:
        data["encounter"] = systems.ref("Encounter", record.encounter_id)
    requester = getattr(record, "requester_person_id", None)
    if requester is not None:
        data["requester"] = systems.ref("Practitioner", requester)
    if record.scheduled_for is not None:
        data["occurrenceDateTime"] = systems.instant(record.scheduled_for)
    if record.indication:
        data["reasonCode"] = [{"text": record.indication}]
    if referral is not None and referral.note:
        data["note"] = [{"text": referral.note}]
    return data


def build_procedure(record: ProcedureRecord) -> FhirServiceRequest:
    return FhirServiceRequest.model_validate(procedure_as_json(record))
