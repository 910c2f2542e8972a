"""The API's own rows: the answers to writes sent with an ``Idempotency-Key`` (see idempotency.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class IdempotentRequest(models.Model):
    """One write sent with an ``Idempotency-Key``, and the answer it got.

    Written in the write's own transaction, first (the unique constraint then makes a
    concurrent submission with the same key wait for this one and replay its answer).
    Keys belong to one user in one organization: another user's identical key is another
    request. Forgotten after ``expires_at`` (``IDEMPOTENCY_KEY_HOURS``).
    """

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    # SHA-256 of the method, the path and the body (JSON canonicalised): what "the same
    # request" means when the key comes again.
    fingerprint = models.CharField(max_length=64)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    status = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user", "key"], name="idempotent_request_key_once"),
            models.CheckConstraint(condition=~Q(key=""), name="idempotent_request_has_key"),
            models.CheckConstraint(
                condition=Q(status__gte=200, status__lt=300), name="idempotent_request_success_only"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"
