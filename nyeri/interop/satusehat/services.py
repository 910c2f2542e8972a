"""Writes for SATUSEHAT: an organization's connection settings, a patient's IHS number."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from nyeri.audit.models import AuditAction, AuditOutcome
from nyeri.audit.services import record_event
from nyeri.background.services import enqueue_job
from nyeri.clinical.access import REGISTRATION_ROLES, access_patient, ensure_clinical_role
from nyeri.clinical.services import update_patient
from nyeri.interop.models import OutboxStatus, SatusehatEnvironment, SatusehatOutboxEntry, SatusehatSettings
from nyeri.interop.satusehat import outbox, secrets
from nyeri.interop.satusehat.client import SatusehatClient, SatusehatError
from nyeri.interop.satusehat.selectors import connection_for
from nyeri.tenancy.access import require_organization_administrator

if TYPE_CHECKING:
    from nyeri.accounts.models import User
    from nyeri.tenancy.scope import Scope

OBJECT_TYPE = "satusehat_settings"
OUTBOX_OBJECT_TYPE = "satusehat_outbox"
SEND_JOB = "interop.satusehat_send"
COLLECT_JOB = "interop.satusehat_collect"
RESYNC_JOB = "interop.satusehat_resync"
SENDABLE = frozenset({"Encounter", "Condition", "Observation", "Procedure", "MedicationRequest", "MedicationDispense"})
# One sending job works this long at most (the next run, a minute later, goes on).
DRAIN_SECONDS = 50.0


def save_satusehat_settings(
    *,
    scope: Scope,
    acting_user: User,
    environment: str,
    satusehat_organization_id: str,
    client_id: str,
    client_secret: str = "",
    send_visits_from: date | None = None,
) -> SatusehatSettings:
    """Create or change the organization's SATUSEHAT connection (administrators only, audited).

    A blank ``client_secret`` keeps the stored one (the page never shows it back). The
    secret is stored encrypted and never written to the audit trail. Saving ends a pause
    of the organization's sending (SATUSEHAT had refused the credentials).
    """
    require_organization_administrator(scope, object_type=OBJECT_TYPE, reason="SATUSEHAT settings")
    with transaction.atomic():
        row = SatusehatSettings.objects.select_for_update().filter(organization=scope.organization).first()
        created = row is None
        if row is None:
            row = SatusehatSettings(organization=scope.organization)
        row.environment = environment.strip()
        row.satusehat_organization_id = satusehat_organization_id.strip()
        row.client_id = client_id.strip()
        row.send_visits_from = send_visits_from
        row.paused_reason, row.paused_at = "", None
        secret = client_secret.strip()
        if secret:
            row.client_secret_encrypted = secrets.encrypt(secret)
        elif created:
            raise ValidationError({"client_secret": _("Enter the client secret given by SATUSEHAT.")})
        if row.environment not in SatusehatEnvironment.values:
            raise ValidationError({"environment": _("Choose staging or production.")})
        row.full_clean(exclude=["organization"])
        row.save()
        changed = ["environment", "satusehat_organization_id", "client_id", "send_visits_from"] + (
            ["client_secret"] if secret else []
        )
        record_event(
            actor=acting_user,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            organization=scope.organization,
            object_type=OBJECT_TYPE,
            object_id=row.pk,
            reason=f"{row.environment}; fields: {', '.join(changed)}",
        )
    # A token of the old credentials is not used again.
    connection = connection_for(scope.organization)
    if connection is not None:
        cache.delete(connection.cache_key)
    return row


def link_patient_ihs_number(
    *, scope: Scope, acting_user: User, patient_id: int, client: SatusehatClient | None = None
) -> str | None:
    """Look the patient's NIK up in SATUSEHAT's Master Patient Index and keep their IHS number.

    The IHS number is written as an edit of the patient's record (kept in its history).
    Returns the IHS number, or None when SATUSEHAT knows no patient with this NIK (audited).
    ``Retryable`` and ``Refused`` (``nyeri.interop.satusehat.client``) pass through.
    """
    patient = access_patient(scope, patient_id, purpose="SATUSEHAT lookup", roles=REGISTRATION_ROLES)
    if not patient.nik:
        raise ValidationError({"nik": _("The patient has no NIK to look up in SATUSEHAT.")})
    if client is None:
        connection = connection_for(scope.organization)
        if connection is None:
            raise ValidationError(
                {"satusehat": _("SATUSEHAT is not set up for this organization; an administrator can set it up.")}
            )
        client = SatusehatClient(connection)
    ihs = client.patient_ihs_by_nik(patient.nik)
    if ihs is None:
        with transaction.atomic():
            record_event(
                actor=acting_user,
                action=AuditAction.SEARCH,
                outcome=AuditOutcome.FAILURE,
                organization=scope.organization,
                patient_id=patient.pk,
                object_type="patient",
                object_id=patient.pk,
                reason="SATUSEHAT: no patient with this NIK",
            )
        return None
    if ihs != patient.ihs_number:
        try:
            update_patient(
                scope=scope,
                acting_user=acting_user,
                patient_id=patient.pk,
                changes={"ihs_number": ihs},
                reason="SATUSEHAT Master Patient Index",
            )
        except IntegrityError as error:  # the IHS number is unique per organization
            raise ValidationError(
                {
                    "ihs_number": _(
                        "Another patient of the organization already has the IHS number %(ihs)s: "
                        "probably a duplicate record, to be merged."
                    )
                    % {"ihs": ihs}
                }
            ) from error
    return ihs


def queue_for_satusehat(
    *,
    scope: Scope,
    acting_user: User,
    local_key: str,
    resource: Mapping[str, Any],
    patient_id: int | None = None,
) -> SatusehatOutboxEntry:
    """Put a FHIR resource in the organization's outbox and enqueue its sending (audited).

    ``local_key`` names the Nyeri record (``encounter:12``). Queuing the same record again
    replaces what is sent; once SATUSEHAT gave it an id, the record is updated there (PUT).
    """
    ensure_clinical_role(scope, object_type=OUTBOX_OBJECT_TYPE, roles=REGISTRATION_ROLES)
    resource_type = str(resource.get("resourceType") or "")
    if resource_type not in SENDABLE:
        raise ValidationError(
            {"resource": _("SATUSEHAT does not take this resource type: %(type)s.") % {"type": resource_type or "-"}}
        )
    if not local_key.strip():
        raise ValidationError({"local_key": _("Name the record to send.")})
    with transaction.atomic():
        entry = (
            SatusehatOutboxEntry.objects.select_for_update()
            .filter(organization=scope.organization, local_key=local_key.strip())
            .first()
        )
        created = entry is None
        if entry is None:
            entry = SatusehatOutboxEntry(organization=scope.organization, local_key=local_key.strip())
        entry.resource_type = resource_type
        entry.payload = dict(resource)
        entry.patient_id = patient_id
        entry.status = OutboxStatus.PENDING
        entry.attempts = 0
        entry.last_error = ""
        entry.waiting_reason = ""
        entry.next_attempt_at = None
        entry.queued_at = timezone.now()
        entry.full_clean(exclude=["organization"])
        entry.save()
        record_event(
            actor=acting_user,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            organization=scope.organization,
            patient_id=patient_id,
            object_type=OUTBOX_OBJECT_TYPE,
            object_id=entry.pk,
            reason=f"queued {resource_type} {entry.local_key}",
        )
    _enqueue_sending(scope, acting_user)
    return entry


def send_outbox(*, organization_id: int) -> dict[str, int]:
    """The sending job's body: send the organization's due outbox entries (``outbox.drain``)."""
    report = outbox.drain(organization_id=organization_id, deadline=time.monotonic() + DRAIN_SECONDS)
    return {"sent": report.sent, "refused": report.refused, "retried": report.retried, "waiting": report.waiting}


def resend_outbox_entry(*, scope: Scope, acting_user: User, entry_id: int) -> SatusehatOutboxEntry:
    """Fix and resend: a refused (or waiting) entry, built again from its record, goes out again (audited).

    Administrators only; another organization's entry is not found. A record SATUSEHAT
    already has is updated (PUT to its id), never duplicated.
    """
    require_organization_administrator(scope, object_type=OUTBOX_OBJECT_TYPE, reason="resend to SATUSEHAT")
    with transaction.atomic():
        entry = (
            SatusehatOutboxEntry.objects.select_for_update()
            .select_related("organization")
            .filter(organization=scope.organization, pk=entry_id)
            .first()
        )
        if entry is None:
            raise Http404("No such outbox entry")
        if entry.status == OutboxStatus.SENT:
            raise ValidationError({"status": _("This record was sent already; nothing to resend.")})
        rebuilt = outbox.rebuild(entry)
        if rebuilt is not None:
            entry.payload = rebuilt
        entry.status = OutboxStatus.PENDING
        entry.attempts = 0
        entry.last_error = ""
        entry.waiting_reason = ""
        entry.next_attempt_at = None
        entry.save(update_fields=["payload", "status", "attempts", "last_error", "waiting_reason", "next_attempt_at"])
        record_event(
            actor=acting_user,
            action=AuditAction.UPDATE,
            organization=scope.organization,
            patient_id=entry.patient_id,
            object_type=OUTBOX_OBJECT_TYPE,
            object_id=entry.pk,
            reason=f"resend {entry.resource_type} {entry.local_key}" + ("" if rebuilt is None else " (rebuilt)"),
        )
    _enqueue_sending(scope, acting_user)
    return entry


def check_connection(*, scope: Scope, acting_user: User, client: SatusehatClient | None = None) -> str:
    """Ask SATUSEHAT for a fresh token with the saved settings: "" when it works, else why not (audited).

    Working credentials end a pause of the organization's sending.
    """
    require_organization_administrator(scope, object_type=OBJECT_TYPE, reason="test the SATUSEHAT connection")
    if client is None:
        connection = connection_for(scope.organization)
        if connection is None:
            raise ValidationError(
                {"satusehat": _("SATUSEHAT is not set up for this organization; an administrator can set it up.")}
            )
        client = SatusehatClient(connection)
    client.forget_token()
    try:
        client.token()
        problem = ""
    except SatusehatError as failure:
        problem = str(failure)
    with transaction.atomic():
        if not problem:
            SatusehatSettings.objects.filter(organization=scope.organization).update(paused_reason="", paused_at=None)
        record_event(
            actor=acting_user,
            action=AuditAction.READ,
            outcome=AuditOutcome.FAILURE if problem else AuditOutcome.SUCCESS,
            organization=scope.organization,
            object_type=OBJECT_TYPE,
            object_id=scope.organization.pk,
            reason=("connection test: " + (problem or "ok"))[:500],
        )
    if not problem:
        _enqueue_sending(scope, acting_user)
    return problem


def _enqueue_sending(scope: Scope, acting_user: User | None) -> None:
    enqueue_job(
        SEND_JOB,
        organization=scope.organization,
        arguments={"organization_id": scope.organization.pk},
        requested_by=acting_user,
    )
