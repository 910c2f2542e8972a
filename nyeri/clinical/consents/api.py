"""Consent JSON endpoints: a patient's consents, record one, withdraw one (docs/clinical.md, "Consent").

Same rules as the page: a clinical role, care access to the patient, 404 for anything of
another organization, 422 naming each bad field, one audit row per read and per write.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from nyeri.api.errors import ErrorEnvelope, with_api_names
from nyeri.api.idempotency import idempotent
from nyeri.clinical.access import access_patient
from nyeri.clinical.consents import selectors, services
from nyeri.clinical.models import PatientConsent
from nyeri.lib.http import request_user
from nyeri.tenancy.scope import request_scope
from nyeri.tenancy.selectors import organization_facility

router = Router(tags=["patient consents"])

ERRORS = {403: ErrorEnvelope, 404: ErrorEnvelope, 422: ErrorEnvelope}
# The service names model fields; the API's bodies name references with _id.
API_FIELDS = {"facility": "facility_id"}


class ConsentIn(Schema):
    kind: str = Field(description="treatment, procedure, data_processing, diary_contact or research")
    how: str = Field(description="signed_form, verbal_witnessed or electronic")
    given_at: datetime | None = Field(None, description="When it was given; not in the future (default: now).")
    witness: str = Field("", description="Required for verbal_witnessed.", max_length=200)
    scope_note: str = Field("", description="Required for a procedure: the procedure consented to.", max_length=1000)
    facility_id: int | None = Field(None, description="Where it was given (default: the patient's facility).")


class WithdrawIn(Schema):
    reason: str = Field(max_length=1000)


class ConsentOut(Schema):
    id: int
    patient_id: int
    kind: str
    kind_label: str
    scope_note: str
    status: str = Field(description="given or withdrawn")
    given_at: datetime
    how: str
    witness: str
    facility_id: int
    recorded_by_id: int
    created_at: datetime
    withdrawn_at: datetime | None
    withdrawn_by_id: int | None
    withdrawal_reason: str


class KindStateOut(Schema):
    kind: str
    label: str
    status: str = Field(description="given (at least one in force), withdrawn (the last one was) or none")
    consent_ids: list[int] = Field(description="The consents of the kind in force, newest first.")


class PatientConsentsOut(Schema):
    patient_id: int
    active_kinds: list[str]
    states: list[KindStateOut]
    history: list[ConsentOut] = Field(description="Every consent, newest first.")


def _consent_out(consent: PatientConsent) -> dict[str, Any]:
    fields = {name: getattr(consent, name) for name in ConsentOut.model_fields if hasattr(consent, name)}
    fields["kind_label"] = consent.get_kind_display()
    return fields


@router.get(
    "/patients/{patient_id}/consents",
    response={200: PatientConsentsOut, **ERRORS},
    summary="A patient's consents: the state per kind and the history (audited)",
)
def list_consents(request: HttpRequest, patient_id: int) -> dict[str, Any]:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose="api: consents")
    found = selectors.patient_consents(scope, patient)
    return {
        "patient_id": patient.pk,
        "active_kinds": [kind.value for kind in found.active_kinds],
        "states": [
            {
                "kind": state.kind.value,
                "label": str(state.kind.label),
                "status": state.status,
                "consent_ids": [c.pk for c in state.given],
            }
            for state in found.states
        ],
        "history": [_consent_out(c) for c in found.history],
    }


@router.post(
    "/patients/{patient_id}/consents",
    response={201: ConsentOut, **ERRORS},
    summary="Record a consent the patient gave",
)
@idempotent
def record_consent(request: HttpRequest, patient_id: int, payload: ConsentIn) -> Status[dict[str, Any]]:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose="api: new consent")
    facility = None
    if payload.facility_id is not None:
        facility = organization_facility(scope, payload.facility_id)
        if facility is None:
            raise ValidationError({"facility_id": [_("This facility is not part of your organization.")]})
    try:
        consent = services.record_consent(
            scope=scope,
            acting_user=request_user(request),
            patient=patient,
            kind=payload.kind,
            how=payload.how,
            given_at=payload.given_at,
            witness=payload.witness,
            scope_note=payload.scope_note,
            facility=facility,
        )
    except ValidationError as error:
        raise with_api_names(error, API_FIELDS) from None
    return Status(201, _consent_out(consent))


@router.post(
    "/consents/{consent_id}/withdraw",
    response={200: ConsentOut, **ERRORS},
    summary="Withdraw a consent (kept, with who, when and why)",
)
@idempotent
def withdraw_consent(request: HttpRequest, consent_id: int, payload: WithdrawIn) -> dict[str, Any]:
    scope = request_scope(request)
    consent = selectors.access_consent(scope, consent_id)
    withdrawn = services.withdraw_consent(
        scope=scope, acting_user=request_user(request), consent=consent, reason=payload.reason
    )
    return _consent_out(withdrawn)
