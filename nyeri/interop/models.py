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
