"""Invitation links: 32 random bytes; only their SHA-256 digest is stored.

Like API tokens (nyeri.accounts.tokens), the secret has nothing to brute-force, so a fast
unsalted digest is enough; a resend draws a new secret and the old link stops working.
"""

from __future__ import annotations

import secrets

from nyeri.accounts.tokens import digest

__all__ = ["digest", "new_secret"]


def new_secret() -> str:
    return secrets.token_urlsafe(32)
