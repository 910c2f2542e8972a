"""Writes for SATUSEHAT: an organization's connection settings, a patient's IHS number."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nyeri.audit.models import AuditAction, AuditOutcome
from nyeri.audit.services import record_event
from nyeri.background.services import enqueue_job
from nyeri.clinical.access import REGISTRATION_ROLES, access_patient, ensure_clinical_role
from nyeri.clinical.services import update_patient
from nyeri.interop.models import OutboxStatus, SatusehatEnvironment, SatusehatOutboxEntry, SatusehatSettings
from nyeri.interop.satusehat import secrets
from nyeri.interop.satusehat.client import Refused, Retryable, SatusehatClient
from nyeri.interop.satusehat.selectors import connection_for
from nyeri.tenancy.access import require_organization_administrator

if TYPE_CHECKING:
    from nyeri.accounts.models import User
    from nyeri.tenancy.scope import Scope

OBJECT_TYPE = "satusehat_settings"
OUTBOX_OBJECT_TYPE = "satusehat_outbox"
SEND_JOB = "interop.satusehat_send"
SENDABLE = frozenset({"Encounter", "Condition", "Observation", "Procedure", "MedicationRequest"})


def save_satusehat_settings(
    *,
    scope: Scope,
    acting_user: User,
    environment: str,
    satusehat_organization_id: str,
    client_id: str,
    client_secret: str = "",
) -> SatusehatSettings:
    """Create or change the organization's SATUSEHAT connection (administrators only, audited).

    A blank ``client_secret`` keeps the stored one (the page never shows it back). The
    secret is stored encrypted and never written to the audit trail.
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
        secret = client_secret.strip()
        if secret:
            row.client_secret_encrypted = secrets.encrypt(secret)
        elif created:
            raise ValidationError({"client_secret": _("Enter the client secret given by SATUSEHAT.")})
        if row.environment not in SatusehatEnvironment.values:
            raise ValidationError({"environment": _("Choose staging or production.")})
        row.full_clean(exclude=["organization"])
        row.save()
        changed = ["environment", "satusehat_organization_id", "client_id"] + (["client_secret"] if secret else [])
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
    enqueue_job(SEND_JOB, organization=scope.organization, arguments={"entry_id": entry.pk}, requested_by=acting_user)
    return entry


def send_outbox_entry(*, entry_id: int, client: SatusehatClient | None = None) -> str:
    """Send one outbox entry (the background job's body): "sent", "refused" or "skipped".

    ``Retryable`` failures are counted and raised again, so that the job is retried with
    back-off; a refusal is kept with SATUSEHAT's diagnostics and not retried.
    """
    entry = SatusehatOutboxEntry.objects.select_related("organization").filter(pk=entry_id).first()
    if entry is None or entry.status != OutboxStatus.PENDING:
        return "skipped"
    organization = entry.organization
    if client is None:
        connection = connection_for(organization)
        if connection is None:
            _finish(entry, status=OutboxStatus.REFUSED, error="SATUSEHAT is not set up for this organization.")
            return "refused"
        client = SatusehatClient(connection)
    try:
        sent = client.send(entry.payload, remote_id=entry.remote_id)
    except Refused as refusal:
        _finish(entry, status=OutboxStatus.REFUSED, error=refusal.diagnostics or str(refusal))
        return "refused"
    except Retryable as failure:
        SatusehatOutboxEntry.objects.filter(pk=entry.pk).update(
            attempts=entry.attempts + 1, last_error=failure.diagnostics or str(failure)
        )
        raise
    _finish(entry, status=OutboxStatus.SENT, remote_id=sent.remote_id)
    return "sent"


def _finish(entry: SatusehatOutboxEntry, *, status: str, error: str = "", remote_id: str = "") -> None:
    with transaction.atomic():
        entry.status = status
        entry.last_error = error
        if remote_id:
            entry.remote_id = remote_id
            entry.sent_at = timezone.now()
        entry.save(update_fields=["status", "last_error", "remote_id", "sent_at"])
        record_event(
            actor=None,
            action=AuditAction.EXPORT,
            outcome=AuditOutcome.SUCCESS if status == OutboxStatus.SENT else AuditOutcome.FAILURE,
            organization=entry.organization,
            patient_id=entry.patient_id,
            object_type=OUTBOX_OBJECT_TYPE,
            object_id=entry.pk,
            reason=f"SATUSEHAT {entry.resource_type}/{entry.remote_id}" if remote_id else f"SATUSEHAT: {error}"[:500],
            actor_label="satusehat",
        )
