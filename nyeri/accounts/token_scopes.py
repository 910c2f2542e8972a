"""What an API token may reach: its scopes, and the one table that says what each allows.

A token carries the scopes chosen when it was created. Every request made with it is
judged against RULES before anything else runs (``nyeri.api.root.TokenAuth`` for /api/,
``nyeri.interop.fhir.access.token_scope`` for /fhir/R4/): a path prefix and method that
no scope of the token allows is refused with 403 and a PERMISSION_DENIED audit row. The
user's own rights still apply on top: a scope narrows what a token may do, never widens it.

Unknown paths are refused (deny by default): a new router's prefix must be added here,
which tests/test_accounts_token_scopes.py checks against the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _


class TokenScope(models.TextChoices):
    CLINICAL_READ = "clinical:read", _("Clinical records, read only")
    CLINICAL_WRITE = "clinical:write", _("Clinical records, read and write")
    WORKFORCE = "workforce", _("Workforce, staffing and hiring")
    FHIR_EXPORT = "fhir:export", _("FHIR read, search and bulk export")


ALL_SCOPES: tuple[str, ...] = tuple(TokenScope.values)
# What tokens created before scopes existed were given by the migration (docs/security.md).
LEGACY_SCOPES: tuple[str, ...] = (TokenScope.CLINICAL_WRITE, TokenScope.WORKFORCE)

READ = frozenset({"GET", "HEAD", "OPTIONS"})
ANY = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})

CLINICAL_PREFIXES = (
    "/api/appointments",
    "/api/assessments",
    "/api/break-glass",
    "/api/codes",
    "/api/consents",
    "/api/diagnoses",
    "/api/diary",
    "/api/diary-links",
    "/api/encounters",
    "/api/equipment",
    "/api/facilities",
    "/api/imaging",
    "/api/imports",
    "/api/instruments",
    "/api/medications",
    "/api/organization",
    "/api/outcomes",
    "/api/patients",
    "/api/personal-data-requests",
    "/api/prescriptions",
    "/api/procedures",
    "/api/record-number-formats",
    "/api/register",
)
WORKFORCE_PREFIXES = (
    "/api/workforce",
    "/api/staffing",
    "/api/jobs",
    "/api/hiring",
    "/api/people",
    # The practice evaluation: personnel data for the committee (aggregates, no patient named).
    "/api/practice-evaluation",
)
FHIR_PREFIXES = ("/fhir/R4",)


@dataclass(frozen=True)
class Rule:
    scope: str | None  # None: any token, whatever its scopes
    prefixes: tuple[str, ...]
    methods: frozenset[str]


RULES: tuple[Rule, ...] = (
    # Who the token is, and its owner's token list (revoking one's own token is harmless;
    # creating one with a token is refused by the endpoint itself).
    Rule(None, ("/api/me", "/api/tokens"), frozenset({"GET", "HEAD", "DELETE"})),
    Rule(TokenScope.CLINICAL_READ, CLINICAL_PREFIXES, READ),
    Rule(TokenScope.CLINICAL_WRITE, CLINICAL_PREFIXES, ANY),
    Rule(TokenScope.WORKFORCE, WORKFORCE_PREFIXES, ANY),
    # $export-status is cancelled with DELETE.
    Rule(TokenScope.FHIR_EXPORT, FHIR_PREFIXES, frozenset({"GET", "HEAD", "DELETE"})),
)


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def _never_with_a_token(method: str, path: str) -> bool:
    """Signing a prescription needs a person and a fresh second factor in a session: a
    token is refused whatever its scopes, even if the same client also sends a session
    cookie whose re-authentication is still fresh."""
    parts = path.rstrip("/").split("/")
    return method == "POST" and len(parts) == 5 and parts[1:3] == ["api", "prescriptions"] and parts[4] == "sign"


def token_allows(scopes: Iterable[str], method: str, path: str) -> bool:
    """Whether a token with ``scopes`` may send ``method`` to ``path`` (the full URL path)."""
    method = method.upper()
    if _never_with_a_token(method, path):
        return False
    held = set(scopes)
    return any(
        (rule.scope is None or rule.scope in held)
        and method in rule.methods
        and any(_under(path, prefix) for prefix in rule.prefixes)
        for rule in RULES
    )


def scope_labels(scopes: Iterable[str]) -> list[str]:
    labels = dict(TokenScope.choices)
    return [str(labels.get(scope, scope)) for scope in scopes]


class TokenScopeRefused(PermissionDenied):
    """A request outside its token's scopes (403 ``forbidden`` with the envelope)."""

    def __init__(self) -> None:
        super().__init__(_("This API token's scopes do not allow this request."))


def require_token_scope(*, user: object, scopes: Iterable[str], prefix: str, method: str, path: str) -> None:
    """Raise ``TokenScopeRefused`` (after a PERMISSION_DENIED audit row) unless the scopes allow it."""
    if token_allows(scopes, method, path):
        return
    # Imported here: the audit app's models import accounts.
    from nyeri.audit.services import record_access_denied

    record_access_denied(
        actor=user,  # type: ignore[arg-type]
        organization=None,
        object_type="api_token",
        reason=f"token {prefix} ({','.join(scopes) or '-'}) outside its scopes: {method} {path}"[:1000],
    )
    raise TokenScopeRefused
