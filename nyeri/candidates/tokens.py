"""The e-mail confirmation link: signed (Django's signing), expiring, bound to the address."""

from __future__ import annotations

from enum import StrEnum

from django.conf import settings
from django.core import signing

from nyeri.accounts.models import User

SALT = "nyeri.candidates.confirm-email"


def max_age_seconds() -> int:
    return int(getattr(settings, "CANDIDATE_CONFIRMATION_HOURS", 72)) * 3600


def make_token(user: User) -> str:
    return signing.dumps({"u": user.pk, "e": user.email}, salt=SALT, compress=True)


class TokenProblem(StrEnum):
    EXPIRED = "expired"
    INVALID = "invalid"


def read_token(token: str) -> tuple[int, str] | TokenProblem:
    """(user id, e-mail) of a valid link, or why it is not valid."""
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age_seconds())
    except signing.SignatureExpired:
        return TokenProblem.EXPIRED
    except signing.BadSignature:
        return TokenProblem.INVALID
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("e"), str):
        return TokenProblem.INVALID
    return data["u"], data["e"]
