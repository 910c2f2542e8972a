from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event

SESSION_LOGIN_AT = "nyeri_login_at"


class SessionLifetimeMiddleware:
    """Ends a session that has lived longer than SESSION_ABSOLUTE_LIFETIME since login.

    The inactivity time-out is Django's own sliding expiry (SESSION_COOKIE_AGE with
    SESSION_SAVE_EVERY_REQUEST); this adds the hard cap that activity cannot extend.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            login_at = request.session.get(SESSION_LOGIN_AT)
            now = timezone.now().timestamp()
            if login_at is None or now - float(login_at) > settings.SESSION_ABSOLUTE_LIFETIME.total_seconds():
                record_event(actor=user, action=AuditAction.SESSION_EXPIRED, reason="absolute lifetime")
                logout(request)
                return redirect(f"{reverse(settings.LOGIN_URL)}?next={request.path}")
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
        from nyeri.accounts.second_factor import second_factor_redirect

        target = second_factor_redirect(request)
        if target is not None:
            return redirect(target)
        return self.get_response(request)
