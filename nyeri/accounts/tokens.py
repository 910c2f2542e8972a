"""Personal API tokens: ``nyeri_<prefix>_<secret>``; only a SHA-256 digest is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.utils import timezone

from nyeri.accounts.models import ApiToken, User

TOKEN_PREFIX = "nyeri"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token_parts() -> tuple[str, str]:
    return secrets.token_hex(6), secrets.token_urlsafe(32)


def format_token(prefix: str, secret: str) -> str:
    return f"{TOKEN_PREFIX}_{prefix}_{secret}"


def user_for_token(raw: str) -> tuple[User, ApiToken] | None:
    """The active user a presented token belongs to, or None (revoked, expired, unknown)."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=parts[1]).first()
    if token is None or not hmac.compare_digest(token.digest, digest(parts[2])):
        return None
    now = timezone.now()
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if not token.user.is_active:
        return None
    return token.user, token
