"""Diary link tokens: ``<prefix>.<secret>.<signature>``, of which only a digest is stored.

- ``prefix`` (16 hex characters) is public: it finds the link's row.
- ``secret`` (32 URL-safe characters, 192 random bits) is stored as its SHA-256 digest only,
  like an API token's (nyeri.accounts.tokens): a copy of the database does not give the links.
- ``signature`` (Django's signer, keyed by SECRET_KEY with a salt of its own) makes a
  tampered or made-up token fail before any database query.

Every character is URL-safe, so the token is one path segment of the patient's link.
"""

from __future__ import annotations

import hmac
import secrets

from django.core.signing import BadSignature, Signer

from nyeri.accounts.tokens import digest

SALT = "nyeri.clinical.diary.link"
SEPARATOR = "."
# Longer than any token made here (16 + 1 + 32 + 1 + 43): anything longer is not looked at.
MAX_LENGTH = 128


def _signer() -> Signer:
    # Built per call: SECRET_KEY (and SECRET_KEY_FALLBACKS while rotating) is read then.
    return Signer(salt=SALT, sep=SEPARATOR)


def new_token() -> tuple[str, str, str]:
    """A fresh token: (prefix, digest of the secret, the token to give the patient)."""
    prefix = secrets.token_hex(8)
    secret = secrets.token_urlsafe(24)
    return prefix, digest(secret), _signer().sign(f"{prefix}{SEPARATOR}{secret}")


def read_token(token: str) -> tuple[str, str] | None:
    """(prefix, secret) of a well-signed token; None for a tampered, truncated or made-up one."""
    if not token or len(token) > MAX_LENGTH:
        return None
    try:
        value = _signer().unsign(token)
    except BadSignature:
        return None
    prefix, _sep, secret = value.partition(SEPARATOR)
    if not prefix or not secret:
        return None
    return prefix, secret


def secret_matches(secret: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_digest)
