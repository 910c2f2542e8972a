from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64
# The chain of events that belong to no organization (logins, failed logins, refusals
# before an organization is chosen). Every organization's chain is keyed by its id.
PLATFORM_CHAIN = 0


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
    # An object asked for by identifier that the caller's organization does not hold: the
    # answer is "not found" whether it exists elsewhere or nowhere (nyeri/audit/middleware.py).
    NOT_FOUND = "not_found", _("Not found")


# A denied attempt: a refusal (403, the door's no, a throttled login) or a "not found" on
# an object asked for by identifier. The report's "denied attempts" filter adds failed logins.
DENIED_OUTCOMES = (AuditOutcome.DENIED, AuditOutcome.NOT_FOUND)


class AuditEvent(models.Model):
    """One append-only, hash-chained entry of the audit trail.

    Each organization has its own chain (``chain`` = its id; events without an
    organization form the platform chain, 0), numbered 1, 2, 3, ... by ``seq``. ``hash``
    covers every field, the chain key and the previous row's hash, so altering, deleting
    or moving a row breaks its chain (``manage.py audit_verify``). On PostgreSQL a trigger
    refuses UPDATE and DELETE outright (migration 0002).
    """

    # Per organization, not global: appends of different organizations never wait for one
    # another, each tenant's trail verifies and exports alone, and the column is the
    # natural distribution key when tables are distributed by organization (Citus).
    chain = models.BigIntegerField(editable=False)
    seq = models.BigIntegerField()
    occurred_at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The actor's username at the time: kept so the row reads the same even if it changes.
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    # No index of its own: audit_org_time (organization, occurred_at) serves every lookup by
    # organization, and each index is paid for on every audited write.
    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
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
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        # seq is per chain: the id is the order of appends across chains.
        ordering = ["id"]
        indexes = [
            models.Index(fields=["organization", "occurred_at"], name="audit_org_time"),
            models.Index(fields=["organization", "actor", "occurred_at"], name="audit_org_actor_time"),
        ]
        constraints = [
            # Also the index audit_verify walks a chain by. It includes the chain key, as a
            # unique constraint of a table distributed by organization must. The hash has no
            # unique index (any more): it covers chain and seq, so this one already refuses a
            # duplicated row, and a 64-character index key is costly on every append.
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_chain_seq_unique"),
            # A row sits in its own organization's chain (or the platform chain), never another's.
            models.CheckConstraint(
                condition=Q(organization__isnull=True, chain=PLATFORM_CHAIN)
                | Q(organization__isnull=False, chain=F("organization")),
                name="audit_chain_is_organization",
            ),
            models.CheckConstraint(condition=Q(seq__gte=1), name="audit_seq_positive"),
            models.CheckConstraint(condition=Q(action__in=[a.value for a in AuditAction]), name="audit_action_valid"),
            models.CheckConstraint(
                condition=Q(outcome__in=[o.value for o in AuditOutcome]), name="audit_outcome_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.chain}:{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """One chain's last (seq, hash): one row per organization, plus the platform chain (0).

    Writers lock their chain's row to append one at a time (a chain is a sequence), so
    only writers of the same organization wait for one another; ``audit_verify`` compares
    it with the chain's last event so that cutting off the tail of a chain is detected too.
    Created by the chain's first append.
    """

    # A plain key, not a foreign key: the platform chain (0) has no organization.
    chain = models.BigIntegerField(primary_key=True)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)
    # The hash before the last append. On PostgreSQL one UPDATE moves the head and hands
    # the new row its prev_hash through RETURNING, which only sees the row's new values.
    prev_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"head {self.chain}:{self.seq} {self.hash[:12]}"
