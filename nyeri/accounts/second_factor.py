"""Who must present a second factor, and where to send them if they have not."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django_otp import user_has_device

from nyeri.tenancy.models import MembershipRole
from nyeri.tenancy.roles import Role

# Pages a user may reach before their second factor is settled.
_EXEMPT_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/healthz", "/api/")


def must_have_second_factor(user: object) -> bool:
    """Administrators (of any organization, or superusers) must enrol a second factor."""
    if getattr(user, "is_superuser", False):
        return True
    return MembershipRole.objects.filter(
        membership__user=user, membership__is_active=True, role=Role.ADMINISTRATOR
    ).exists()


def second_factor_redirect(request: HttpRequest) -> str | None:
    user = request.user
    if not user.is_authenticated or request.path.startswith(_EXEMPT_PREFIXES):
        return None
    if user.is_verified():  # type: ignore[union-attr]
        return None
    if user_has_device(user, confirmed=True):
        return f"{reverse('accounts:verify')}?next={request.path}"
    if must_have_second_factor(user):
        return f"{reverse('accounts:mfa_setup')}?next={request.path}"
    return None
