from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who signs in. Their professional record lives in the workforce app."""

    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username


class ApiToken(models.Model):
    """A personal API token. Only a digest is stored; the secret is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    # The public part of the token, used to find it; the rest is only known by its digest.
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    # Every token expires (API_TOKEN_DEFAULT_DAYS, at most a year): a forgotten one dies.
    expires_at = models.DateTimeField(_("expires at"))
    # TokenScope values (nyeri.accounts.token_scopes), chosen at creation, never widened.
    scopes = models.JSONField(_("scopes"), default=list)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="api_token_expiry_after_creation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"


class UserSession(models.Model):
    """Which session keys belong to which user, recorded at login.

    Django's session table only holds an encoded blob, so finding a user's sessions would
    mean decoding every session (O(n) over all users); this index lets deactivation end
    exactly that user's sessions, with whichever SESSION_ENGINE is configured.
    """

    # Bookkeeping, not a record: it may go with the user (who is deactivated, not deleted).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"], name="user_session_user_time")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.session_key[:8]}"
