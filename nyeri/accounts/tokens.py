"""Personal API tokens: ``nyeri_<prefix>_<secret>``; only a SHA-256 digest is stored.

The secret is 32 random bytes, so a fast unsalted digest is enough: there is nothing to
brute-force, unlike a password.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from nyeri.accounts.models import ApiToken, User
from nyeri.lib.sql import Prepared, columns, instance

TOKEN_PREFIX = "nyeri"  # noqa: S105 - the public marker of a token, not a secret
# last_used_at is only written when it is older than this: not one write per API call.
LAST_USED_PRECISION = timedelta(minutes=1)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token_parts() -> tuple[str, str]:
    return secrets.token_hex(6), secrets.token_urlsafe(32)


def format_token(prefix: str, secret: str) -> str:
    return f"{TOKEN_PREFIX}_{prefix}_{secret}"


def _token_by_prefix(prefix: str) -> QuerySet[ApiToken, dict[str, Any]]:
    return ApiToken.objects.filter(prefix=prefix).values(*columns(ApiToken), *columns(User, "user__"))


# Every API request starts here: the query is compiled once per connection (nyeri.lib.sql).
_TOKEN = Prepared("api_token", _token_by_prefix)


def user_for_token(raw: str) -> tuple[User, ApiToken] | None:
    """The active user a presented token belongs to, or None (revoked, expired, unknown)."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    found = _TOKEN.rows(parts[1])
    if not found or not hmac.compare_digest(found[0]["digest"], digest(parts[2])):
        return None
    token = instance(ApiToken, found[0])
    token.user = instance(User, found[0], "user__")
    now = timezone.now()
    if token.revoked_at is not None or token.expires_at <= now:
        return None
    if not token.user.is_active:
        return None
    return token.user, token


def note_token_used(token: ApiToken) -> None:
    """Record that ``token`` was just used, at most once per LAST_USED_PRECISION.

    Bookkeeping for the owner's token list, not a security event, so it is not audited.
    The conditional UPDATE keeps concurrent requests from writing it more than once.
    """
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_PRECISION:
        return
    stale_before = now - LAST_USED_PRECISION
    ApiToken.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale_before), pk=token.pk).update(
        last_used_at=now
    )
    token.last_used_at = now
