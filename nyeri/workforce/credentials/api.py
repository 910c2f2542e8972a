"""Credentials in the JSON API (mounted at /api/workforce): the same services, privileges and audit as the pages."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from nyeri.api.errors import ErrorEnvelope, with_api_names
from nyeri.api.pages import Page, PageQuery, json_page
from nyeri.api.schemas import OptionalReasonIn
from nyeri.lib.http import private_download, request_user
from nyeri.tenancy.scope import request_scope
from nyeri.tenancy.selectors import organization_facility
from nyeri.workforce.access import access_credential
from nyeri.workforce.credentials import selectors, services
from nyeri.workforce.credentials.evidence import download_name
from nyeri.workforce.models import Credential, CredentialEvidence, SourceVerification
from nyeri.workforce.selectors import organization_person

router = Router(tags=["workforce"])

ERRORS: dict[int, Any] = {403: ErrorEnvelope, 404: ErrorEnvelope, 422: ErrorEnvelope}
# The service names model fields; the API names their ids.
API_FIELD = {"person": "person_id", "facility": "facility_id"}


class EvidenceOut(Schema):
    id: int
    original_name: str
    content_type: str = Field(description="The type found in the file's content (PDF, PNG or JPEG)")
    size: int
    sha256: str
    uploaded_at: datetime
    download_url: str


class SourceVerificationOut(Schema):
    source: str
    method: str
    reference: str
    checked_on: date | None
    attestation: str
    evidence_id: int | None
    reverify_by: date | None
    before_source_recording: bool = Field(description="Verified before sources were recorded: how is not known.")
    verified_by_id: int | None


class CredentialOut(Schema):
    id: int
    person_id: int
    person_name: str
    kind: str
    status: str
    number: str
    issuer: str
    issued_on: date
    expires_on: date | None
    title: str
    specialty: str
    facility_id: int | None
    issuer_regency_code: str
    exam_passed_on: date | None
    hours: Decimal | None
    check_kind: str
    check_result: str
    valid_months: int | None
    employer_kind: str
    months: int | None
    submitted_by_id: int | None
    submitted_at: datetime
    decided_by_id: int | None
    decided_at: datetime | None
    decision_reason: str
    revoked_by_id: int | None
    revoked_at: datetime | None
    revocation_reason: str
    evidence: list[EvidenceOut]
    at_source: SourceVerificationOut | None = Field(
        None, description="How it was checked at its source (none before verification, or when imported)."
    )


class CredentialIn(Schema):
    person_id: int
    kind: str = Field(description="One of the credential kinds, e.g. registration, practice_permit")
    number: str = ""
    issuer: str = ""
    issued_on: date | None = None
    expires_on: date | None = Field(default=None, description="Last day of validity; empty if it does not expire")
    title: str = ""
    specialty: str = ""
    facility_id: int | None = Field(default=None, description="Practice permit (SIP): the practice place")
    issuer_regency_code: str = ""
    exam_passed_on: date | None = None
    hours: Decimal | None = None
    check_kind: str = ""
    check_result: str = ""
    valid_months: int | None = None
    employer_kind: str = ""
    months: int | None = None


class CredentialFilter(PageQuery):
    person: int | None = Field(default=None, description="Only this person's credentials")
    status: str | None = Field(default=None, description="submitted, verified, rejected, expired or revoked")


def _evidence_out(evidence: CredentialEvidence) -> dict[str, Any]:
    return {
        "id": evidence.pk,
        "original_name": evidence.original_name,
        "content_type": evidence.content_type,
        "size": evidence.size,
        "sha256": evidence.sha256,
        "uploaded_at": evidence.uploaded_at,
        "download_url": reverse("api:credential_evidence_download", kwargs={"evidence_id": evidence.pk}),
    }


def _out(credential: Credential) -> dict[str, Any]:
    fields = {name: getattr(credential, name) for name in CredentialOut.model_fields if hasattr(credential, name)}
    fields["person_name"] = credential.person.full_name
    fields["evidence"] = [_evidence_out(e) for e in credential.evidence.all()]
    try:
        checked = credential.source_verification
    except SourceVerification.DoesNotExist:
        checked = None
    fields["at_source"] = (
        {name: getattr(checked, name) for name in SourceVerificationOut.model_fields} if checked else None
    )
    return fields


def _reloaded(request: HttpRequest, credential_id: int) -> dict[str, Any]:
    return _out(selectors.credential_detail(request_scope(request), credential_id))


@router.get(
    "/credentials", response={200: Page[CredentialOut], 422: ErrorEnvelope}, summary="Credentials you may read (paged)"
)
def list_credentials(request: HttpRequest, filters: Query[CredentialFilter]) -> HttpResponse:
    scope = request_scope(request)
    found = selectors.credential_rows(
        scope, person_id=filters.person, status=filters.status, offset=filters.offset, limit=filters.page_size
    )
    # The download address of every file, from one reversed address (not one reverse per file).
    url = reverse("api:credential_evidence_download", kwargs={"evidence_id": 0})[:-1]
    for row in found.rows:
        for evidence in row["evidence"]:
            evidence["download_url"] = f"{url}{evidence['id']}"
    return json_page(found.rows, count=found.count, query=filters)


@router.get(
    "/credentials/evidence/{evidence_id}",
    response={200: None, 403: ErrorEnvelope, 404: ErrorEnvelope},
    summary="Download an evidence file (audited)",
    url_name="credential_evidence_download",
)
def download_evidence(request: HttpRequest, evidence_id: int) -> FileResponse:
    evidence, handle = selectors.read_evidence(request_scope(request), evidence_id)
    return private_download(handle, filename=download_name(evidence), content_type=evidence.content_type)


@router.get("/credentials/{credential_id}", response={200: CredentialOut, **ERRORS}, summary="One credential")
def get_credential(request: HttpRequest, credential_id: int) -> object:
    return _reloaded(request, credential_id)


@router.post("/credentials", response={201: CredentialOut, **ERRORS}, summary="Submit a credential")
def submit_credential(request: HttpRequest, payload: CredentialIn) -> Status[dict[str, Any]]:
    scope = request_scope(request)
    data = payload.dict()
    person = organization_person(scope, data.pop("person_id"))
    facility_id = data.pop("facility_id")
    facility = organization_facility(scope, facility_id) if facility_id else None
    missing = {}
    # Another organization's person or facility is unknown here, exactly like one that does not exist.
    if person is None:
        missing["person_id"] = [_("No such person in your organization.")]
    if facility_id and facility is None:
        missing["facility_id"] = [_("No such facility in your organization.")]
    if missing:
        raise ValidationError(missing)
    assert person is not None
    kind = data.pop("kind")
    try:
        credential = services.submit_credential(
            scope=scope, acting_user=request_user(request), person=person, kind=kind, facility=facility, **data
        )
    except ValidationError as error:
        raise with_api_names(error, API_FIELD) from None
    return Status(201, _reloaded(request, credential.pk))


@router.post(
    "/credentials/{credential_id}/evidence",
    response={201: list[EvidenceOut], **ERRORS},
    summary="Add an evidence file to a credential waiting for a decision (PDF, PNG or JPEG)",
)
def add_evidence(request: HttpRequest, credential_id: int, file: File[UploadedFile]) -> Status[Any]:
    scope = request_scope(request)
    credential = selectors.credential_detail(scope, credential_id)
    try:
        rows = services.attach_evidence(
            scope=scope, acting_user=request_user(request), credential=credential, uploads=[file]
        )
    except ValidationError as error:
        raise with_api_names(error, {"evidence": "file"}) from None
    return Status(201, [_evidence_out(row) for row in rows])


class SourceCheckIn(Schema):
    source: str = Field("", description="Where it was checked: a source code of the jurisdiction's verification data.")
    method: str = Field("", description="How: online_register, letter, phone, original_seen (as the source allows).")
    checked_on: date | None = Field(None, description="The day of the check (not in the future).")
    reference: str = Field("", max_length=services.REFERENCE_MAX)
    attestation: str = Field("", max_length=services.REASON_MAX, description="Needed when no file is sent.")


@router.post(
    "/credentials/{credential_id}/verify",
    response={200: CredentialOut, **ERRORS},
    summary="Verify at the source (multipart form: the check's fields and an optional file)",
)
def verify_credential(
    request: HttpRequest,
    credential_id: int,
    payload: Form[SourceCheckIn],
    file: File[UploadedFile | None] = None,
) -> object:
    scope = request_scope(request)
    credential = access_credential(scope, credential_id)
    check = services.SourceCheck(
        source=payload.source,
        method=payload.method,
        checked_on=payload.checked_on,
        reference=payload.reference,
        attestation=payload.attestation,
        evidence=file,
    )
    try:
        services.verify_credential(scope=scope, acting_user=request_user(request), credential=credential, check=check)
    except ValidationError as error:
        raise with_api_names(error, {"evidence": "file"}) from None
    return _reloaded(request, credential_id)


@router.post("/credentials/{credential_id}/reject", response={200: CredentialOut, **ERRORS}, summary="Reject")
def reject_credential(request: HttpRequest, credential_id: int, payload: OptionalReasonIn) -> object:
    scope = request_scope(request)
    credential = access_credential(scope, credential_id)
    services.reject_credential(
        scope=scope, acting_user=request_user(request), credential=credential, reason=payload.reason
    )
    return _reloaded(request, credential_id)


@router.post("/credentials/{credential_id}/revoke", response={200: CredentialOut, **ERRORS}, summary="Revoke")
def revoke_credential(request: HttpRequest, credential_id: int, payload: OptionalReasonIn) -> object:
    scope = request_scope(request)
    credential = access_credential(scope, credential_id)
    services.revoke_credential(
        scope=scope, acting_user=request_user(request), credential=credential, reason=payload.reason
    )
    return _reloaded(request, credential_id)


@router.post(
    "/credentials/{credential_id}/approve",
    response={200: CredentialOut, **ERRORS},
    summary="Approve a controlled-substance authorisation (second person; needs a recent re-authentication)",
)
def approve_credential(request: HttpRequest, credential_id: int) -> object:
    scope = request_scope(request)
    credential = access_credential(scope, credential_id)
    services.approve_controlled_authorisation(
        scope=scope, acting_user=request_user(request), credential=credential, request=request
    )
    return _reloaded(request, credential_id)
