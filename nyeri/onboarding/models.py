"""Invitations: how a staff member joins an organization.

Only a SHA-256 digest of the invitation's secret is stored; the link in the e-mail is the
only copy of the secret. A resend replaces the digest (the old link stops working);
acceptance and revocation end the invitation for good.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from nyeri.tenancy.roles import Role
from nyeri.workforce.kinds import Citizenship


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    REVOKED = "revoked", _("Revoked")


class Invitation(models.Model):
    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    full_name = models.CharField(_("full name"), max_length=200)
    # Kept in lower case: one pending invitation per address and organization.
    email = models.EmailField(_("e-mail"))
    nik = models.CharField(_("NIK"), max_length=16, blank=True)
    citizenship = models.CharField(
        _("citizenship"), max_length=16, choices=Citizenship.choices, default=Citizenship.CITIZEN
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)
    status = models.CharField(
        _("status"), max_length=16, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    token_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"))
    expires_at = models.DateTimeField(_("expires at"))
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in InvitationStatus]), name="invitation_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(citizenship__in=[c.value for c in Citizenship]), name="invitation_citizenship_valid"
            ),
            models.CheckConstraint(condition=Q(expires_at__gt=F("sent_at")), name="invitation_expires_after_sending"),
            models.CheckConstraint(
                condition=~Q(status=InvitationStatus.ACCEPTED)
                | Q(accepted_at__isnull=False, accepted_user__isnull=False),
                name="invitation_accepted_has_user",
            ),
            models.CheckConstraint(
                condition=~Q(status=InvitationStatus.REVOKED) | Q(revoked_at__isnull=False),
                name="invitation_revoked_has_time",
            ),
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=Q(status=InvitationStatus.PENDING),
                name="invitation_one_pending_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"


class InvitationRole(models.Model):
    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=40, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invitation", "role"], name="invitation_role_unique"),
            models.CheckConstraint(condition=Q(role__in=[r.value for r in Role]), name="invitation_role_valid"),
        ]

    def __str__(self) -> str:
        return self.role


class InvitationFacility(models.Model):
    """A facility the invitee will be limited to (none: every facility of the organization)."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="facility_links")
    facility = models.ForeignKey("tenancy.Facility", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invitation", "facility"], name="invitation_facility_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.invitation_id} @ {self.facility_id}"
