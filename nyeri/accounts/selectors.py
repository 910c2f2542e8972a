"""Account reads: the user's API tokens and second-factor status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from nyeri.accounts.models import ApiToken, User
from nyeri.accounts.second_factor import must_have_second_factor
from nyeri.lib.rows import PageRows, page_of


def api_tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


def own_api_token(user: User, token_id: int) -> ApiToken:
    """One of ``user``'s tokens; another user's token is not found, like a missing one."""
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise Http404("No such token")
    return token


def api_token_status(token: ApiToken, now: datetime | None = None) -> str:
    """``active``, ``expired`` or ``revoked``."""
    return token_status(token.revoked_at, token.expires_at, now or timezone.now())


def token_status(revoked_at: datetime | None, expires_at: datetime, now: datetime) -> str:
    """``api_token_status`` from a token's plain row."""
    if revoked_at is not None:
        return "revoked"
    if expires_at <= now:
        return "expired"
    return "active"


TOKEN_COLUMNS = ("id", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at", "scopes")


def api_token_rows(user: User, *, offset: int = 0, limit: int = 50) -> PageRows:
    """``api_tokens_of`` for a list: one page of ``TOKEN_COLUMNS``, each row with its ``status`` (1 query)."""
    found = page_of(api_tokens_of(user), TOKEN_COLUMNS, offset=offset, limit=limit)
    now = timezone.now()
    for row in found.rows:
        row["status"] = token_status(row["revoked_at"], row["expires_at"], now)
    return found


@dataclass(frozen=True)
class SecondFactorStatus:
    enrolled: bool
    enrolled_at: datetime | None
    recovery_codes_left: int
    # Administrators must keep a second factor: they may replace it, not remove it.
    required: bool


def second_factor_status(user: User) -> SecondFactorStatus:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()
    codes = StaticDevice.objects.filter(user=user, confirmed=True).aggregate(n=Count("token_set"))["n"] or 0
    return SecondFactorStatus(
        enrolled=device is not None,
        enrolled_at=device.created_at if device is not None else None,
        recovery_codes_left=codes,
        required=must_have_second_factor(user),
    )


def pending_totp_device(user: User) -> TOTPDevice | None:
    """The authenticator being set up (created, not yet confirmed with a code), if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def holds_api_tokens(user: User, now: datetime | None = None) -> bool:
    """Whether ``user`` has a token that still works (the navigation shows the API to them only)."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=now or timezone.now()).exists()
