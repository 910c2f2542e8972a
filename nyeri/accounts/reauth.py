"""Re-authentication for sensitive actions.

A sensitive action (signing a controlled-drug prescription, approving an authorisation,
removing a second factor, creating an API token) needs the password, and the second factor
when the user has one, entered within ``settings.REAUTH_MAX_AGE``. Logging in counts: the
password typed at login and the code typed at the verification step are recorded too.

- Views: ``@reauthentication_required`` sends a stale session to
  ``/accounts/reauthenticate/?next=<this page>`` and back.
- Services and views: ``require_recent_authentication(request)`` raises
  ``ReauthenticationRequired``; the decorator and the API turn it into a redirect or a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp import user_has_device

from nyeri.accounts.session_keys import SESSION_PASSWORD_AT, SESSION_SECOND_FACTOR_AT


class ReauthenticationRequired(PermissionDenied):
    """The action needs a fresh password (and second factor). A PermissionDenied, so that
    code that forgets to handle it still refuses rather than lets the action through."""

    def __init__(self) -> None:
        super().__init__(_("Confirm your password to continue."))


def _is_fresh(request: HttpRequest, key: str) -> bool:
    value = request.session.get(key)
    if value is None:
        return False
    age = timezone.now().timestamp() - float(value)
    # A timestamp in the future (a clock set back) is not trusted either.
    return 0 <= age <= settings.REAUTH_MAX_AGE.total_seconds()


def has_recent_authentication(request: HttpRequest) -> bool:
    user = request.user
    if not user.is_authenticated:
        return False
    if not _is_fresh(request, SESSION_PASSWORD_AT):
        return False
    # The second factor counts only for those who have one.
    return _is_fresh(request, SESSION_SECOND_FACTOR_AT) or not user_has_device(user, confirmed=True)


def require_recent_authentication(request: HttpRequest) -> None:
    """Raise ``ReauthenticationRequired`` unless the user re-authenticated recently enough."""
    if not has_recent_authentication(request):
        raise ReauthenticationRequired


def reauthenticate_url(next_url: str) -> str:
    return f"{reverse('accounts:reauthenticate')}?{urlencode({'next': next_url})}"


def note_password_entered(request: HttpRequest) -> None:
    request.session[SESSION_PASSWORD_AT] = timezone.now().timestamp()


def note_second_factor_entered(request: HttpRequest) -> None:
    request.session[SESSION_SECOND_FACTOR_AT] = timezone.now().timestamp()


ViewFunc = Callable[..., HttpResponse]


def reauthentication_required(view: ViewFunc) -> ViewFunc:
    """Let the view run only after a recent re-authentication, else ask for one and come back.

    The user comes back with a GET to the same URL, so a protected action should show its
    confirmation page on GET and act on POST. A ``ReauthenticationRequired`` raised inside
    the view (by a service) is handled the same way; the service's transaction has rolled
    back by then.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            require_recent_authentication(request)
            return view(request, *args, **kwargs)
        except ReauthenticationRequired:
            return redirect(reauthenticate_url(request.get_full_path()))

    return wrapped
