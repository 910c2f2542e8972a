from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    CREDENTIAL_EXPIRING = "credential_expiring", _("Credential expiring")
    CREDENTIAL_EXPIRED = "credential_expired", _("Credential expired")
    BREAK_GLASS = "break_glass", _("Emergency access")
    APPLICATION_RECEIVED = "application_received", _("New job application")
    SATUSEHAT_CREDENTIALS = "satusehat_credentials", _("SATUSEHAT refused the credentials")
    PRIVILEGE_RECREDENTIALING = "privilege_recredentialing", _("Clinical privilege due for re-credentialing")
    PROBING = "probing", _("Repeated denied attempts")
    SOURCE_REVERIFICATION_DUE = "source_reverification_due", _("Check at the source due")
    SKP_BEHIND = "skp_behind", _("Continuing-education credits behind")


class Notification(models.Model):
    """A message to one user, stored as facts and worded when shown, in the reader's language.

    The facts are typed columns rather than a JSON blob: what it is about (a generic
    ``object_type``/``object_id`` pointer, so that any app can notify without a foreign key
    to it), the subject's kind (``subject_key``, e.g. a credential kind, translated at
    display time), its reference number, the person concerned, a date and the days left.
    """

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=40, choices=NotificationKind.choices)
    object_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField(null=True, blank=True)
    subject_key = models.CharField(max_length=40, blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    # The person the notice is about; empty when it is about the recipient themselves.
    about = models.CharField(_("about"), max_length=200, blank=True)
    due_on = models.DateField(_("date"), null=True, blank=True)
    days_left = models.IntegerField(_("days left"), null=True, blank=True)
    # Where to act on it: a path inside Nyeri.
    link = models.CharField(max_length=300, blank=True)
    # One notice per fact per recipient, whoever sends it and however often.
    dedupe_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # When the e-mail copy went out (delivery bookkeeping; empty: not sent, or no address).
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "organization", "read_at"], name="notification_inbox"),
            models.Index(fields=["emailed_at", "created_at"], name="notification_email_queue"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in NotificationKind]), name="notification_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"

    def message(self, language: str | None = None) -> str:
        """The text in ``language`` (default: the active one, i.e. the reader's)."""
        from nyeri.notifications.messages import render_message

        return render_message(self, language)
