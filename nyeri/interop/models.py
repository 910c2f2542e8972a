from __future__ import annotations

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
