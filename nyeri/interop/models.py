from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SatusehatEnvironment(models.TextChoices):
    STAGING = "staging", _("Staging (testing)")
    PRODUCTION = "production", _("Production")


class SatusehatSettings(models.Model):
    """One organization's connection to SATUSEHAT (written by interop.satusehat.services).

    The client secret is stored encrypted (``interop.satusehat.secrets``), never in clear
    and never shown back in full.
    """

    organization = models.OneToOneField(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="+", verbose_name=_("organization")
    )
    environment = models.CharField(
        _("environment"), max_length=16, choices=SatusehatEnvironment.choices, default=SatusehatEnvironment.STAGING
    )
    satusehat_organization_id = models.CharField(_("SATUSEHAT organization ID"), max_length=64)
    client_id = models.CharField(_("client ID"), max_length=200)
    client_secret_encrypted = models.TextField(_("client secret (encrypted)"), editable=False)
    # Finished visits that ended before this day are not sent (an organization connecting
    # with years of history decides how far back SATUSEHAT gets it). None: all of them.
    send_visits_from = models.DateField(_("send visits from"), null=True, blank=True)
    # Set when SATUSEHAT refuses the client ID or secret: the organization's outbox waits
    # (no retry storm) until an administrator saves corrected settings.
    paused_reason = models.TextField(_("sending paused because"), blank=True)
    paused_at = models.DateTimeField(_("paused"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("SATUSEHAT settings")
        verbose_name_plural = _("SATUSEHAT settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(environment__in=[e.value for e in SatusehatEnvironment]),
                name="satusehat_environment_valid",
            ),
            models.CheckConstraint(condition=~Q(client_secret_encrypted=""), name="satusehat_secret_present"),
        ]

    def __str__(self) -> str:
        return f"SATUSEHAT {self.environment} ({self.organization_id})"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    REFUSED = "refused", _("Refused by SATUSEHAT")


class SatusehatOutboxEntry(models.Model):
    """One record to send to SATUSEHAT (written by interop.satusehat.services).

    ``local_key`` names the Nyeri record (``encounter:12``): queuing it again replaces the
    payload and, once ``remote_id`` is known, sends an update (PUT), never a duplicate.
    """

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    local_key = models.CharField(_("record"), max_length=80)
    resource_type = models.CharField(_("resource type"), max_length=40)
    # The patient concerned, when there is one (plain id, like the audit trail's).
    patient_id = models.BigIntegerField(_("patient"), null=True, blank=True)
    payload = models.JSONField(_("resource"))
    remote_id = models.CharField(_("SATUSEHAT ID"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    queued_at = models.DateTimeField(_("queued"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # The visit the record belongs to (its Encounter entry is sent first; the others name
    # its SATUSEHAT id). Plain ids: the outbox outlives nothing, it only points.
    encounter_id = models.BigIntegerField(_("visit"), null=True, blank=True)
    depends_on = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("sent after")
    )
    # Not before this moment: the back-off after a failed attempt, or a wait (licence).
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # Why a pending entry waits on our side (a practitioner's licence): shown on the page.
    waiting_reason = models.TextField(_("waiting because"), blank=True)
    # A worker's claim while it sends (several workers drain at once; a claim lapses so that
    # a record whose worker died is sent by another).
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("SATUSEHAT outbox entry")
        verbose_name_plural = _("SATUSEHAT outbox")
        constraints = [
            models.UniqueConstraint(fields=["organization", "local_key"], name="satusehat_outbox_once_per_record"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in OutboxStatus]), name="satusehat_outbox_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=OutboxStatus.SENT) | ~Q(remote_id=""), name="satusehat_outbox_sent_has_id"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status", "queued_at"], name="satusehat_outbox_status"),
            # The claim walks the waiting entries in order: only those are in it (the sent
            # ones, soon the great majority, are never scanned again).
            models.Index(fields=["organization", "id"], condition=Q(status="pending"), name="satusehat_outbox_waiting"),
            models.Index(fields=["organization", "encounter_id"], name="satusehat_outbox_encounter"),
        ]

    def __str__(self) -> str:
        return f"{self.local_key} -> {self.resource_type}/{self.remote_id or '?'}"


class ExportLevel(models.TextChoices):
    SYSTEM = "system", _("The whole organization")
    PATIENT = "patient", _("The patients' records")


class ExportStatus(models.TextChoices):
    ACCEPTED = "accepted", _("Waiting to run")
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")


class FhirExport(models.Model):
    """One FHIR Bulk Data export ($export), written by interop.fhir.export.

    Its NDJSON files live under ``PRIVATE_STORAGE_ROOT/fhir-export/<organization>/<id>/``;
    only the member who asked downloads them, and the export (row and files) is deleted
    ``FHIR_EXPORT_KEEP_HOURS`` after it finished, or when its client cancels it.
    """

    # Unguessable: the id is in the status and file URLs the client is given.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(_("level"), max_length=16, choices=ExportLevel.choices)
    types = models.JSONField(_("resource types"))
    since = models.DateTimeField(_("changed since"), null=True, blank=True)
    request_url = models.TextField(_("request"))
    status = models.CharField(_("status"), max_length=16, choices=ExportStatus.choices, default=ExportStatus.ACCEPTED)
    requested_at = models.DateTimeField(_("requested at"))
    # When the export began reading: what changed later may or may not be in the files.
    transaction_time = models.DateTimeField(_("transaction time"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    progress = models.CharField(_("progress"), max_length=200, blank=True)
    # One item per file written: {"type": "Observation", "count": 123}.
    output = models.JSONField(_("files"), default=list, blank=True)
    job_run = models.ForeignKey("background.JobRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("FHIR export")
        verbose_name_plural = _("FHIR exports")
        constraints = [
            models.CheckConstraint(condition=Q(level__in=ExportLevel.values), name="fhir_export_level_valid"),
            models.CheckConstraint(condition=Q(status__in=ExportStatus.values), name="fhir_export_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=ExportStatus.COMPLETED)
                | Q(finished_at__isnull=False, transaction_time__isnull=False),
                name="fhir_export_completed_has_times",
            ),
        ]
        indexes = [models.Index(fields=["finished_at"], name="fhir_export_finished")]

    def __str__(self) -> str:
        return f"$export {self.pk} ({self.status})"


class SatusehatIdentity(models.Model):
    """A Nyeri record's id in SATUSEHAT, learned once and kept (written by interop.satusehat.outbox).

    Patients' and practitioners' IHS numbers looked up by NIK, facilities registered as
    Locations. Kept here rather than on the records of other apps: it is SATUSEHAT's
    knowledge, per organization and environment of connection.
    """

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    # Staging and production are two platforms: what one knows, the other does not.
    environment = models.CharField(_("environment"), max_length=16, choices=SatusehatEnvironment.choices)
    resource_type = models.CharField(_("resource type"), max_length=40)
    local_id = models.BigIntegerField(_("record"))
    remote_id = models.CharField(_("SATUSEHAT ID"), max_length=64)
    learned_at = models.DateTimeField(_("learned"), auto_now_add=True)

    class Meta:
        verbose_name = _("SATUSEHAT identity")
        verbose_name_plural = _("SATUSEHAT identities")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "environment", "resource_type", "local_id"], name="satusehat_identity_once"
            ),
            models.CheckConstraint(condition=~Q(remote_id=""), name="satusehat_identity_has_id"),
        ]

    def __str__(self) -> str:
        return f"{self.resource_type}/{self.local_id} = {self.remote_id}"
