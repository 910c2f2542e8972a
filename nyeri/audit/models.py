from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AuditAction(models.TextChoices):
    CREATE = "create", _("Create")
    READ = "read", _("Read")
    UPDATE = "update", _("Update")
    AMEND = "amend", _("Amend")
    CANCEL = "cancel", _("Cancel")
    EXPORT = "export", _("Export")
    SEARCH = "search", _("Search")
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Login failed")
    LOGIN_LOCKED = "login_locked", _("Login throttled")
    LOGOUT = "logout", _("Logout")
    SESSION_EXPIRED = "session_expired", _("Session expired")
    PERMISSION_DENIED = "permission_denied", _("Permission denied")
    BREAK_GLASS = "break_glass", _("Emergency access")
    MFA_ENROLLED = "mfa_enrolled", _("Second factor enrolled")
    MFA_REMOVED = "mfa_removed", _("Second factor removed")
    MFA_VERIFIED = "mfa_verified", _("Second factor verified")
    MFA_FAILED = "mfa_failed", _("Second factor failed")
    REAUTHENTICATED = "reauthenticated", _("Re-authenticated")
    TOKEN_CREATED = "token_created", _("API token created")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")
    ACCOUNT_DEACTIVATED = "account_deactivated", _("Account deactivated")
    ACCESS_CHANGED = "access_changed", _("Access changed")


class AuditOutcome(models.TextChoices):
    SUCCESS = "success", _("Success")
    FAILURE = "failure", _("Failure")
    DENIED = "denied", _("Denied")


class AuditEvent(models.Model):
    """One append-only, hash-chained entry of the audit trail.

    ``hash`` covers every field and the previous row's hash, so altering or deleting a
    row breaks the chain (``manage.py audit_verify``). On PostgreSQL a trigger refuses
    UPDATE and DELETE outright (migration 0002).
    """

    seq = models.BigIntegerField(unique=True)
    occurred_at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The actor's username at the time: kept so the row reads the same even if it changes.
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    facility = models.ForeignKey("tenancy.Facility", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The patient concerned, when there is one (plain id: the clinical app points here).
    patient_id = models.BigIntegerField(_("patient"), null=True, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=AuditOutcome.choices)
    reason = models.TextField(_("reason"), blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    client_address = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["organization", "occurred_at"], name="audit_org_time"),
            models.Index(fields=["organization", "actor", "occurred_at"], name="audit_org_actor_time"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(seq__gte=1), name="audit_seq_positive"),
            models.CheckConstraint(condition=Q(action__in=[a.value for a in AuditAction]), name="audit_action_valid"),
            models.CheckConstraint(
                condition=Q(outcome__in=[o.value for o in AuditOutcome]), name="audit_outcome_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """The chain's last (seq, hash), in a single row.

    Writers lock this row to append one at a time (the chain is a sequence), and
    ``audit_verify`` compares it with the last event so that cutting off the tail of the
    trail is detected too.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)
    # The hash before the last append. On PostgreSQL one UPDATE moves the head and hands
    # the new row its prev_hash through RETURNING, which only sees the row's new values.
    prev_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="audit_head_single_row")]

    def __str__(self) -> str:
        return f"head #{self.seq} {self.hash[:12]}"
