"""Credential reads, scoped to the organization, with a fixed number of queries.

Who sees a credential: its holder (their own user), credentialing officers and
administrators of the organization. Another organization's credential is *not found*.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import BinaryIO, NoReturn

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from nyeri.audit.models import AuditAction, AuditOutcome
from nyeri.audit.services import record_event
from nyeri.lib.panels import Panel, Tally
from nyeri.lib.rows import PageRows, page_of
from nyeri.tenancy.clock import local_date
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from nyeri.workforce.access import scoped_credentials
from nyeri.workforce.credentials import evidence as evidence_files
from nyeri.workforce.credentials import verification
from nyeri.workforce.kinds import CredentialKind, CredentialStatus
from nyeri.workforce.models import Credential, CredentialEvidence, Person, SourceVerification

# Who reads every credential of the organization (others read only their own).
READER_ROLES = (Role.CREDENTIALING_OFFICER, Role.ADMINISTRATOR)
QUEUE_LIMIT = 200
LIST_LIMIT = 500

logger = logging.getLogger(__name__)


def reads_all_credentials(scope: Scope) -> bool:
    return scope.has_role(*READER_ROLES)


def may_read_credential(scope: Scope, credential: Credential) -> bool:
    return reads_all_credentials(scope) or (
        credential.person.user_id is not None and credential.person.user_id == scope.user.pk
    )


def deny(scope: Scope, *, object_type: str, object_id: int | str, reason: str) -> NoReturn:
    """Record a refused read and raise PermissionDenied (403)."""
    with transaction.atomic():
        record_event(
            actor=scope.user,
            action=AuditAction.PERMISSION_DENIED,
            outcome=AuditOutcome.DENIED,
            organization=scope.organization,
            object_type=object_type,
            object_id=object_id,
            reason=reason,
        )
    raise PermissionDenied


def _with_details(qs: QuerySet[Credential]) -> QuerySet[Credential]:
    # Two queries whatever the number of rows: the credentials with their person, facility
    # and deciders joined, and the evidence of all of them at once.
    return qs.select_related(
        "person",
        "facility",
        "submitted_by",
        "decided_by",
        "revoked_by",
        "source_verification",
        "source_verification__verified_by",
    ).prefetch_related(Prefetch("evidence", queryset=CredentialEvidence.objects.order_by("uploaded_at", "pk")))


@dataclass(frozen=True)
class CredentialingQueue:
    # Submitted credentials waiting for verification, oldest first.
    to_verify: list[Credential]
    # Controlled-substance authorisations waiting for the second person's approval.
    to_approve: list[Credential]
    # More are waiting than are shown.
    truncated: bool


def credentialing_queue(scope: Scope, *, limit: int = QUEUE_LIMIT) -> CredentialingQueue:
    """What the credentialing officers have to decide (2 queries)."""
    if not reads_all_credentials(scope):
        deny(scope, object_type="credential", object_id="", reason="credentialing queue: no officer role")
    rows = list(
        _with_details(scoped_credentials(scope).filter(status=CredentialStatus.SUBMITTED)).order_by(
            "submitted_at", "pk"
        )[: limit + 1]
    )
    truncated = len(rows) > limit
    rows = rows[:limit]
    return CredentialingQueue(
        to_verify=[c for c in rows if c.kind != CredentialKind.CONTROLLED_AUTHORISATION],
        to_approve=[c for c in rows if c.kind == CredentialKind.CONTROLLED_AUTHORISATION],
        truncated=truncated,
    )


def _readable(scope: Scope, *, person_id: int | None, status: str | None) -> QuerySet[Credential]:
    if status and status not in CredentialStatus.values:
        raise ValidationError({"status": [_("Unknown status: “%(status)s”.") % {"status": status}]})
    qs = scoped_credentials(scope)
    if not reads_all_credentials(scope):
        qs = qs.filter(person__user=scope.user)
    if person_id is not None:
        qs = qs.filter(person_id=person_id)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-submitted_at", "-pk")


def credentials_for(
    scope: Scope, *, person_id: int | None = None, status: str | None = None, limit: int = LIST_LIMIT
) -> list[Credential]:
    """Credentials the scope's user may read, newest first, optionally of one person or status (2 queries)."""
    return list(_with_details(_readable(scope, person_id=person_id, status=status))[:limit])


# The columns of a credential in the API's list (CredentialOut without its evidence), and of
# each evidence file.
CREDENTIAL_COLUMNS = (
    "id",
    "person_id",
    "person_name",
    "kind",
    "status",
    *("facility_id" if name == "facility" else name for name in Credential.DATA_FIELDS),
    "submitted_by_id",
    "submitted_at",
    "decided_by_id",
    "decided_at",
    "decision_reason",
    "revoked_by_id",
    "revoked_at",
    "revocation_reason",
)
EVIDENCE_COLUMNS = ("id", "credential_id", "original_name", "content_type", "size", "sha256", "uploaded_at")
# How a credential was checked at its source, as a list shows it (``at_source``).
AT_SOURCE_COLUMNS = (
    "source",
    "method",
    "reference",
    "checked_on",
    "attestation",
    "evidence_id",
    "reverify_by",
    "before_source_recording",
    "verified_by_id",
)


def credential_rows(
    scope: Scope, *, person_id: int | None = None, status: str | None = None, offset: int = 0, limit: int = 50
) -> PageRows:
    """``credentials_for`` for a list: one page of ``CREDENTIAL_COLUMNS``, each row with
    ``evidence`` (``EVIDENCE_COLUMNS``, the first uploaded first) and ``at_source``
    (``AT_SOURCE_COLUMNS``, or None). 3 queries whatever the page.
    """
    ordered = _readable(scope, person_id=person_id, status=status).annotate(person_name=F("person__full_name"))
    found = page_of(ordered, CREDENTIAL_COLUMNS, offset=offset, limit=limit)
    page = found.by_id()
    for row in found.rows:
        row["evidence"] = []
        row["at_source"] = None
    if page:
        files = CredentialEvidence.objects.filter(organization=scope.organization, credential_id__in=page)
        for item in files.order_by("uploaded_at", "pk").values(*EVIDENCE_COLUMNS):
            page[item.pop("credential_id")]["evidence"].append(item)
        checks = SourceVerification.objects.filter(organization=scope.organization, credential_id__in=page)
        for check in checks.values("credential_id", *AT_SOURCE_COLUMNS):
            page[check.pop("credential_id")]["at_source"] = check
    return found


def person_credentials(scope: Scope, person: Person) -> list[Credential]:
    """Every credential of ``person`` (already fetched through the scope), newest first (2 queries)."""
    return credentials_for(scope, person_id=person.pk)


def credential_detail(scope: Scope, credential_id: int) -> Credential:
    """One credential with its evidence: 404 in another organization, 403 (audited) if not readable."""
    credential = _with_details(scoped_credentials(scope).filter(pk=credential_id)).first()
    if credential is None:
        raise Http404("No such credential")
    if not may_read_credential(scope, credential):
        deny(scope, object_type="credential", object_id=credential.pk, reason="not the holder, no officer role")
    return credential


def read_evidence(scope: Scope, evidence_id: int) -> tuple[CredentialEvidence, BinaryIO]:
    """An evidence file, opened for streaming, and its READ audit row.

    Another organization's file is *not found*; in the organization, only the holder of
    the credential, credentialing officers and administrators may read it (403, audited).
    """
    evidence = (
        CredentialEvidence.objects.select_related("credential__person", "credential__facility")
        .filter(organization=scope.organization, pk=evidence_id)
        .filter(credential__in=scoped_credentials(scope))
        .first()
    )
    if evidence is None:
        raise Http404("No such evidence")
    credential = evidence.credential
    if not may_read_credential(scope, credential):
        deny(
            scope,
            object_type="credential_evidence",
            object_id=evidence.pk,
            reason=f"credential {credential.pk}: not the holder, no officer role",
        )
    try:
        handle = evidence_files.open_stored(evidence)
    except FileNotFoundError:
        logger.error("credential evidence %s: file missing from private storage", evidence.pk)
        raise Http404("The evidence file is missing from storage") from None
    try:
        with transaction.atomic():
            record_event(
                actor=scope.user,
                action=AuditAction.READ,
                organization=scope.organization,
                facility=credential.facility,
                object_type="credential_evidence",
                object_id=evidence.pk,
                reason=f"download; credential {credential.pk}; sha256 {evidence.sha256}",
            )
    except BaseException:
        # No audit row, no file.
        handle.close()
        raise
    return evidence, handle


@dataclass(frozen=True)
class AtSource:
    """A credential's verification at the source, with its source and method in words."""

    row: SourceVerification
    source_label: str
    method_label: str


def source_verification_of(scope: Scope, credential: Credential) -> AtSource | None:
    """How ``credential`` was checked at its source (None when no check is recorded: not yet
    verified, imported, or a controlled authorisation, which is approved instead)."""
    try:
        row = credential.source_verification
    except SourceVerification.DoesNotExist:
        return None
    jurisdiction = scope.organization.jurisdiction
    place = verification.source(jurisdiction, row.source) if row.source else None
    how = verification.method(jurisdiction, row.method) if row.method else None
    return AtSource(row, place.label() if place else row.source, how.label() if how else row.method)


EXPIRING_SOON_DAYS = 90


def home_panel(scope: Scope, facility: Facility) -> Panel | None:
    """The credentialing officer's work: credentials waiting for verification and those
    expiring within 90 days, in the scope (the lists' own rows). One query."""
    if not scope.has_role(Role.CREDENTIALING_OFFICER):
        return None
    today = local_date(facility)
    found = scoped_credentials(scope).aggregate(
        waiting=Count("pk", filter=Q(status=CredentialStatus.SUBMITTED)),
        expiring=Count(
            "pk",
            filter=Q(
                status=CredentialStatus.VERIFIED,
                expires_on__gte=today,
                expires_on__lte=today + timedelta(days=EXPIRING_SOON_DAYS),
            ),
        ),
    )
    return Panel(
        title=_("Credentialing"),
        counts=(
            Tally(_("Waiting for verification"), found["waiting"], reverse("workforce:credential_queue"), urgent=True),
            Tally(
                _("Expiring within %(days)s days") % {"days": EXPIRING_SOON_DAYS},
                found["expiring"],
                reverse("workforce:expiring"),
            ),
        ),
    )
