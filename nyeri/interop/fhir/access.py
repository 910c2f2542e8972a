"""Who is asking (an API token), and the audit rows of FHIR reads and searches."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from nyeri.accounts.token_scopes import TokenScopeRefused, require_token_scope
from nyeri.accounts.tokens import note_token_used, user_for_token
from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_access_denied, record_event
from nyeri.interop.fhir.errors import FhirError
from nyeri.tenancy.scope import Scope, resolve_scope

OBJECT_TYPE_PREFIX = "fhir."


def token_scope(request: HttpRequest) -> Scope:
    """The scope of the request's API token (``Authorization: Bearer nyeri_...``), or 401."""
    header = request.headers.get("Authorization", "")
    kind, _space, raw = header.partition(" ")
    presented = raw.strip() if kind.lower() == "bearer" else ""
    found = user_for_token(presented) if presented else None
    if found is None:
        if presented:
            # A token that is unknown, revoked or expired: worth knowing about (probing).
            record_access_denied(
                actor=None, organization=None, object_type="fhir", reason="invalid, revoked or expired API token"
            )
        raise FhirError(401, "login", _("Send a valid API token (Authorization: Bearer ...)."))
    user, token = found
    try:
        require_token_scope(
            user=user, scopes=token.scopes, prefix=token.prefix, method=request.method or "", path=request.path_info
        )
    except TokenScopeRefused as refused:
        raise FhirError(403, "forbidden", str(refused.args[0])) from refused
    note_token_used(token)
    scope = resolve_scope(user)
    if scope is None:
        raise FhirError(403, "forbidden", _("You are not a member of any organization."))
    request.user = user
    return scope


def audit_read(scope: Scope, *, resource_type: str, object_id: int | str, patient_id: int | None, reason: str) -> None:
    with transaction.atomic():
        record_event(
            actor=scope.user,
            action=AuditAction.READ,
            organization=scope.organization,
            patient_id=patient_id,
            object_type=OBJECT_TYPE_PREFIX + resource_type,
            object_id=object_id,
            reason=reason,
        )


def audit_search(scope: Scope, *, resource_type: str, patient_id: int | None, query: str) -> None:
    """One row per search; with the patient when the search names exactly one."""
    with transaction.atomic():
        record_event(
            actor=scope.user,
            action=AuditAction.SEARCH,
            organization=scope.organization,
            patient_id=patient_id,
            object_type=OBJECT_TYPE_PREFIX + resource_type,
            reason=f"fhir search: {query}"[:1000],
        )
