from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from nyeri.accounts import services
from nyeri.accounts.second_factor import second_factor_redirect
from nyeri.accounts.session_keys import SESSION_LOGIN_AT

__all__ = ["SESSION_LOGIN_AT", "SecondFactorMiddleware", "SessionLifetimeMiddleware"]


class SessionLifetimeMiddleware:
    """Ends a session that has lived longer than SESSION_ABSOLUTE_LIFETIME since login.

    The inactivity time-out is Django's own sliding expiry (SESSION_COOKIE_AGE with
    SESSION_SAVE_EVERY_REQUEST); this adds the hard cap that activity cannot extend.

    The request then carries on as anonymous: pages send it to the login form (with
    ``next``) through ``login_required``, and the API answers 401 with its error envelope.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            login_at = request.session.get(SESSION_LOGIN_AT)
            if login_at is None:
                # Every login through services.log_in stamps the session; one without a
                # stamp was not made by Nyeri's login and is not trusted.
                services.end_expired_session(request, reason="no login time")
            elif timezone.now().timestamp() - float(login_at) > settings.SESSION_ABSOLUTE_LIFETIME.total_seconds():
                services.end_expired_session(request, reason="absolute lifetime")
        return self.get_response(request)


class SecondFactorMiddleware:
    """Sends users who must use a second factor to enrol or verify it first.

    - A user with a confirmed device whose session is not yet verified goes to the
      verification step of login.
    - An administrator without any device goes to enrolment: administrators must have one.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        target = second_factor_redirect(request)
        if target is not None:
            return redirect(target)
        return self.get_response(request)
