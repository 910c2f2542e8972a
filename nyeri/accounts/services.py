"""Account writes: logging in and out, second factor, API tokens, deactivation."""

from __future__ import annotations

from django.contrib.auth import login, logout
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.models import Device

from nyeri.accounts.middleware import SESSION_LOGIN_AT
from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditOutcome
from nyeri.audit.services import record_event


def log_in(request: HttpRequest, *, user: User) -> None:
    """Start a session (Django rotates the session key) and audit it."""
    with transaction.atomic():
        login(request, user)
        request.session[SESSION_LOGIN_AT] = timezone.now().timestamp()
        request.session["django_language"] = user.language
        record_event(actor=user, action=AuditAction.LOGIN)


def record_failed_login(*, username: str) -> None:
    # No actor: the name typed may not be a user. It is kept as typed for the compliance
    # officer (a burst of failures against one name is what they look for).
    record_event(actor=None, action=AuditAction.LOGIN_FAILED, outcome=AuditOutcome.FAILURE, actor_label=username)


def log_out(request: HttpRequest) -> None:
    user = request.user
    with transaction.atomic():
        if user.is_authenticated:
            record_event(actor=user, action=AuditAction.LOGOUT)
        logout(request)


def verify_second_factor(request: HttpRequest, *, user: User, device: Device | None) -> bool:
    with transaction.atomic():
        if device is None:
            record_event(actor=user, action=AuditAction.MFA_FAILED, outcome=AuditOutcome.FAILURE)
            return False
        otp_login(request, device)
        record_event(actor=user, action=AuditAction.MFA_VERIFIED, object_type="otp_device", object_id=device.persistent_id)
        return True
