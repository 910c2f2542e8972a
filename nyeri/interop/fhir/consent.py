"""Consent: what the patient agreed to, when, how; withdrawn consents are inactive."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.consent import Consent as FhirConsent

from nyeri.clinical.models import PatientConsent
from nyeri.interop.fhir import systems

CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
CONSENT_KIND = f"{systems.BASE}/CodeSystem/consent-kind"
# The FHIR consent scope of each kind of consent.
SCOPE = {
    "treatment": "treatment",
    "procedure": "treatment",
    "data_processing": "patient-privacy",
    "diary_contact": "patient-privacy",
    "research": "research",
}
STATUS = {"given": "active", "withdrawn": "inactive"}
STATUS_FROM_FHIR = {v: k for k, v in STATUS.items()}


def as_json(consent: PatientConsent) -> dict[str, Any]:
    """The resource as plain JSON values (the bulk export writes these; ``build`` validates them)."""
    what = consent.scope_note or str(consent.get_kind_display())
    period: dict[str, Any] = {"start": systems.instant(consent.given_at)}
    if consent.withdrawn_at is not None:
        period["end"] = systems.instant(consent.withdrawn_at)
    data: dict[str, Any] = {
        "resourceType": "Consent",
        "id": str(consent.pk),
        "status": STATUS[consent.status],
        "scope": systems.concept(systems.coding(CONSENT_SCOPE, SCOPE[consent.kind])),
        "category": [systems.concept(systems.coding(systems.LOINC, "59284-0", "Patient Consent"))],
        "patient": systems.ref("Patient", consent.patient_id),
        "dateTime": systems.instant(consent.given_at),
        "organization": [systems.ref("Organization", consent.organization_id)],
        "policyRule": systems.concept(systems.coding(systems.ACT_CODE, "OPTIN")),
        "provision": {
            "type": "permit",
            "period": period,
            "code": [
                systems.concept(
                    systems.coding(CONSENT_KIND, consent.kind),
                    text=what,
                )
            ],
        },
    }
    return data


def build(consent: PatientConsent) -> FhirConsent:
    return FhirConsent.model_validate(as_json(consent))
