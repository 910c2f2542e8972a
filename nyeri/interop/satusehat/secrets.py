"""Encryption of the SATUSEHAT client secrets at rest (Fernet).

The key is ``SATUSEHAT_ENCRYPTION_KEY`` (a Fernet key, or any passphrase) or, when unset, one
derived from ``SECRET_KEY``. Changing the key makes the stored secrets unreadable: the
administrators enter them again.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    material = settings.SATUSEHAT_ENCRYPTION_KEY or settings.SECRET_KEY
    digest = hashlib.sha256(b"nyeri-satusehat-secret:" + material.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    """The plain secret, or "" when it was encrypted with another key."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""


def masked(plain: str) -> str:
    """What the pages show of a secret: its last four characters at most."""
    if not plain:
        return ""
    return "•" * 8 + (plain[-4:] if len(plain) >= 12 else "")
