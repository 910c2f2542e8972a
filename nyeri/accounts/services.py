"""Account writes: logging in and out, second factor, re-authentication, API tokens,
language preference and deactivation. Each is audited in its own transaction."""

from __future__ import annotations

import enum
from collections.abc import Collection
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, authenticate, login, logout
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY, user_has_device
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from nyeri.accounts.models import ApiToken, User, UserSession
from nyeri.accounts.reauth import (
    note_password_entered,
    note_second_factor_entered,
    require_recent_authentication,
)
from nyeri.accounts.second_factor import (
    RECOVERY_CODE_COUNT,
    RECOVERY_DEVICE_NAME,
    TOTP_DEVICE_NAME,
    looks_like_totp,
    must_have_second_factor,
    normalise_code,
)
from nyeri.accounts.session_keys import SESSION_LOGIN_AT, SESSION_SECOND_FACTOR_AT
from nyeri.accounts.token_scopes import ALL_SCOPES
from nyeri.accounts.tokens import digest, format_token, new_token_parts
from nyeri.audit.models import AuditAction, AuditOutcome
from nyeri.audit.services import record_event
from nyeri.tenancy.models import Membership, MembershipRole, Organization
from nyeri.tenancy.roles import Role

API_TOKEN_MAX_DAYS = 365


class CodeCheck(enum.Enum):
    VALID = "valid"
    INVALID = "invalid"
    # django-otp's back-off after wrong codes (1 s, 2 s, 4 s, ...) refused to even check it.
    THROTTLED = "throttled"


class ReauthOutcome(enum.Enum):
    OK = "ok"
    WRONG_PASSWORD = "wrong_password"  # noqa: S105 - an outcome, not a password
    WRONG_CODE = "wrong_code"
    THROTTLED = "throttled"


# --- Logging in and out ---------------------------------------------------------------


def log_in(request: HttpRequest, *, user: User) -> None:
    """Start a session for ``user`` (who just gave their password) and audit it.

    ``django.contrib.auth.login`` rotates the session key, so a key planted before login
    (session fixation) is worthless afterwards. The caller sets the language cookie on the
    response (``user.language``): Django's LocaleMiddleware reads the cookie, not the session.
    """
    previous_key = request.session.session_key
    with transaction.atomic():
        login(request, user)
        now = timezone.now()
        request.session[SESSION_LOGIN_AT] = now.timestamp()
        note_password_entered(request)
        if request.session.session_key is None:
            request.session.save()
        if previous_key:
            UserSession.objects.filter(session_key=previous_key).delete()
        # Rows older than the absolute lifetime point at sessions that cannot be alive.
        UserSession.objects.filter(user=user, created_at__lt=now - settings.SESSION_ABSOLUTE_LIFETIME).delete()
        UserSession.objects.update_or_create(session_key=request.session.session_key, defaults={"user": user})
        record_event(actor=user, action=AuditAction.LOGIN)


def record_failed_login(*, username: str, locked_out: bool) -> None:
    """Audit a refused login. ``locked_out``: django-axes refused it (too many failures)."""
    # No actor, whether or not the name is a user: the row must not tell the two apart. The
    # name is kept as typed for the compliance officer (a burst of failures against one name
    # is what they look for).
    with transaction.atomic():
        record_event(
            actor=None,
            action=AuditAction.LOGIN_FAILED,
            outcome=AuditOutcome.FAILURE,
            actor_label=username,
            reason="throttled" if locked_out else "",
        )
        if locked_out:
            record_event(
                actor=None,
                action=AuditAction.LOGIN_LOCKED,
                outcome=AuditOutcome.DENIED,
                actor_label=username,
                reason=f"{settings.AXES_FAILURE_LIMIT} or more failures for this name from this address",
            )


def log_out(request: HttpRequest) -> None:
    user = request.user
    with transaction.atomic():
        if user.is_authenticated:
            record_event(actor=user, action=AuditAction.LOGOUT)
        _forget_session(request)
        logout(request)


def end_expired_session(request: HttpRequest, *, reason: str) -> None:
    """Log out a session that outlived its absolute lifetime."""
    with transaction.atomic():
        record_event(actor=request.user, action=AuditAction.SESSION_EXPIRED, reason=reason)
        _forget_session(request)
        logout(request)


def _forget_session(request: HttpRequest) -> None:
    if request.session.session_key:
        UserSession.objects.filter(session_key=request.session.session_key).delete()


# --- Second factor --------------------------------------------------------------------


def _check_code(user: User, code: str) -> tuple[Device | None, bool]:
    """The device that accepts ``code`` (consuming it), and whether throttling got in the way.

    Six digits are checked against the authenticator, anything else against the recovery
    codes; checking only the device the code is meant for keeps a typo from counting as a
    failure on both. Must run inside a transaction (the rows are locked).
    """
    model: type[TOTPDevice] | type[StaticDevice] = TOTPDevice if looks_like_totp(code) else StaticDevice
    throttled = False
    for device in model.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk"):
        allowed, _details = device.verify_is_allowed()
        if not allowed:
            throttled = True
            continue
        if device.verify_token(code):
            return device, False
    return None, throttled


def _use_device(request: HttpRequest, device: Device) -> None:
    otp_login(request, device)
    note_second_factor_entered(request)
    rotate_session_key(request)


def rotate_session_key(request: HttpRequest) -> None:
    """A new session key for the same session, at every change of what the session may do
    (a second factor entered, enrolled or removed; a password changed; emergency access).

    A key copied before the change (from a shared computer, a log, a proxy) then opens
    nothing more than it did: it opens nothing at all. The session's data moves to the new key,
    and the user's session register (``UserSession``, read to end sessions) follows it.
    """
    old_key = request.session.session_key
    if old_key is None:
        return  # an API token's request: no session to rotate (and none to create)
    request.session.cycle_key()
    UserSession.objects.filter(session_key=old_key).update(session_key=request.session.session_key)


def change_password(request: HttpRequest, *, acting_user: User, old_password: str, new_password: str) -> int:
    """Replace the acting user's password; returns how many of their other sessions ended.

    The current password is asked again (a session left open is not enough), the new one
    passes the installation's validators, every other session of the user ends (another
    device logged in with the old password is logged out), this session's key rotates, and
    the change is audited. API tokens are kept: they do not depend on the password.
    """
    errors: dict[str, list[str]] = {}
    # Through authenticate(), as for re-authentication: django-axes counts the wrong ones, so
    # a stolen session cannot be used to guess the password unthrottled.
    checked = authenticate(request, username=acting_user.get_username(), password=old_password)
    if checked is None or checked.pk != acting_user.pk:
        errors["old_password"] = [_("This is not your current password.")]
    try:
        validate_password(new_password, user=acting_user)
    except ValidationError as error:
        errors["new_password"] = list(error.messages)
    if errors:
        with transaction.atomic():
            if "old_password" in errors:
                record_event(
                    actor=acting_user,
                    action=AuditAction.UPDATE,
                    outcome=AuditOutcome.FAILURE,
                    object_type="password",
                    object_id=acting_user.pk,
                    reason="wrong current password",
                )
        raise ValidationError(errors)
    with transaction.atomic():
        acting_user.set_password(new_password)
        acting_user.save(update_fields=["password"])
        rotate_session_key(request)
        # Keeps this session valid under the new password hash (what update_session_auth_hash
        # adds to the key's rotation; called here, it would cycle the key a second time).
        request.session[HASH_SESSION_KEY] = acting_user.get_session_auth_hash()
        store = _session_store()
        others = list(
            UserSession.objects.filter(user=acting_user)
            .exclude(session_key=request.session.session_key)
            .values_list("session_key", flat=True)
        )
        for key in others:
            store().delete(key)
        UserSession.objects.filter(session_key__in=others).delete()
        note_password_entered(request)
        record_event(
            actor=acting_user,
            action=AuditAction.UPDATE,
            object_type="password",
            object_id=acting_user.pk,
            reason=f"other sessions ended: {len(others)}",
        )
    return len(others)


def verify_second_factor(request: HttpRequest, *, user: User, code: str) -> CodeCheck:
    """The verification step of login: a current TOTP code or an unused recovery code."""
    with transaction.atomic():
        device, throttled = _check_code(user, normalise_code(code))
        if device is None:
            record_event(
                actor=user,
                action=AuditAction.MFA_FAILED,
                outcome=AuditOutcome.FAILURE,
                reason="throttled" if throttled else "wrong code",
            )
            return CodeCheck.THROTTLED if throttled else CodeCheck.INVALID
        _use_device(request, device)
        record_event(
            actor=user,
            action=AuditAction.MFA_VERIFIED,
            object_type="otp_device",
            object_id=device.persistent_id,
            reason="recovery code" if isinstance(device, StaticDevice) else "",
        )
    return CodeCheck.VALID


def begin_totp_enrolment(*, acting_user: User) -> TOTPDevice:
    """A fresh, unconfirmed authenticator whose secret the user is about to scan."""
    # Not audited: an unconfirmed device is never accepted at login, so nothing about how
    # the account signs in changes until the user confirms it (MFA_ENROLLED).
    with transaction.atomic():
        TOTPDevice.objects.filter(user=acting_user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=acting_user, name=TOTP_DEVICE_NAME, confirmed=False)


def confirm_totp_enrolment(request: HttpRequest, *, acting_user: User, code: str) -> list[str] | None:
    """Confirm the pending authenticator with a current code.

    Returns the new recovery codes (to be shown once), or None when the code is wrong. A
    previously confirmed authenticator is replaced: that is how someone changes phones.
    """
    require_recent_authentication(request)
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update().filter(user=acting_user, confirmed=False).order_by("-pk").first()
        )
        if device is None:
            raise ValidationError({"token": _("Start the set-up again: no authenticator is waiting to be confirmed.")})
        if not device.verify_token(normalise_code(code)):
            record_event(
                actor=acting_user,
                action=AuditAction.MFA_FAILED,
                outcome=AuditOutcome.FAILURE,
                object_type="otp_device",
                object_id=device.persistent_id,
                reason="enrolment",
            )
            return None
        TOTPDevice.objects.filter(user=acting_user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _replace_recovery_codes(acting_user)
        _use_device(request, device)
        record_event(
            actor=acting_user, action=AuditAction.MFA_ENROLLED, object_type="otp_device", object_id=device.persistent_id
        )
    return codes


def _replace_recovery_codes(user: User) -> list[str]:
    device = StaticDevice.objects.filter(user=user, name=RECOVERY_DEVICE_NAME).first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.token_set.all().delete()
    codes: set[str] = set()
    while len(codes) < RECOVERY_CODE_COUNT:
        codes.add(StaticToken.random_token())
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    device.throttle_reset(commit=True)
    return sorted(codes)


def regenerate_recovery_codes(request: HttpRequest, *, acting_user: User) -> list[str]:
    """Replace every recovery code (the old ones stop working); returns the new ones."""
    require_recent_authentication(request)
    if not TOTPDevice.objects.filter(user=acting_user, confirmed=True).exists():
        raise ValidationError(_("Set up an authenticator app first."))
    with transaction.atomic():
        codes = _replace_recovery_codes(acting_user)
        # The audit catalogue has no dedicated action for this; UPDATE on the codes says it.
        record_event(actor=acting_user, action=AuditAction.UPDATE, object_type="otp_recovery_codes")
    return codes


def remove_second_factor(request: HttpRequest, *, acting_user: User) -> None:
    """Remove the authenticator and the recovery codes. Administrators must keep theirs."""
    require_recent_authentication(request)
    if must_have_second_factor(acting_user):
        raise PermissionDenied(_("Administrators must keep a second factor."))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=acting_user).delete()
        StaticDevice.objects.filter(user=acting_user).delete()
        request.session.pop(DEVICE_ID_SESSION_KEY, None)
        request.session.pop(SESSION_SECOND_FACTOR_AT, None)
        rotate_session_key(request)
        record_event(actor=acting_user, action=AuditAction.MFA_REMOVED, object_type="otp_device")


# --- Re-authentication ----------------------------------------------------------------


def reauthenticate(request: HttpRequest, *, acting_user: User, password: str, code: str) -> ReauthOutcome:
    """Check the password, and the second factor when the user has one, for a sensitive action."""
    with transaction.atomic():
        # Through authenticate(), so django-axes counts wrong passwords here as well: a
        # stolen session cannot be used to guess the password without being throttled.
        checked = authenticate(request, username=acting_user.get_username(), password=password)
        if checked is None or checked.pk != acting_user.pk:
            record_event(
                actor=acting_user,
                action=AuditAction.REAUTHENTICATED,
                outcome=AuditOutcome.FAILURE,
                reason="wrong password",
            )
            return ReauthOutcome.WRONG_PASSWORD
        if user_has_device(acting_user, confirmed=True):
            device, throttled = _check_code(acting_user, normalise_code(code))
            if device is None:
                record_event(
                    actor=acting_user,
                    action=AuditAction.MFA_FAILED,
                    outcome=AuditOutcome.FAILURE,
                    reason="reauthentication: " + ("throttled" if throttled else "wrong code"),
                )
                return ReauthOutcome.THROTTLED if throttled else ReauthOutcome.WRONG_CODE
            _use_device(request, device)
        note_password_entered(request)
        record_event(actor=acting_user, action=AuditAction.REAUTHENTICATED)
    return ReauthOutcome.OK


# --- Profile --------------------------------------------------------------------------


def set_language_preference(*, acting_user: User, language: str) -> None:
    """Save the language the user wants; the caller also sets the language cookie."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Choose one of the offered languages.")})
    with transaction.atomic():
        previous = acting_user.language
        acting_user.language = language
        acting_user.save(update_fields=["language"])
        record_event(
            actor=acting_user,
            action=AuditAction.UPDATE,
            object_type="user",
            object_id=acting_user.pk,
            reason=f"language: {previous} -> {language}",
        )


# --- API tokens -----------------------------------------------------------------------


def create_api_token(
    *,
    acting_user: User,
    name: str,
    expires_in_days: int | None,
    scopes: Collection[str] = ALL_SCOPES,
) -> tuple[ApiToken, str]:
    """Create a personal API token for ``acting_user``; returns it and its secret (shown once).

    ``expires_in_days`` None means ``settings.API_TOKEN_DEFAULT_DAYS``: every token expires.
    ``scopes`` (TokenScope values, at least one) limit what the token may reach
    (nyeri.accounts.token_scopes); the web page and the API make the creator choose them.
    Callers in a request check ``require_recent_authentication`` first: a token reaches the
    API without a second factor, so creating one is as sensitive as the password.
    """
    name = name.strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Give the token a name, such as the program that will use it.")
    elif len(name) > ApiToken._meta.get_field("name").max_length:  # type: ignore[operator]
        errors["name"] = _("The name is too long.")
    if expires_in_days is None:
        expires_in_days = settings.API_TOKEN_DEFAULT_DAYS
    if not 1 <= expires_in_days <= API_TOKEN_MAX_DAYS:
        errors["expires_in_days"] = _("Choose between 1 and %(max)d days.") % {"max": API_TOKEN_MAX_DAYS}
    chosen = sorted(set(scopes))
    if not chosen:
        errors["scopes"] = _("Choose at least one scope.")
    elif any(scope not in ALL_SCOPES for scope in chosen):
        errors["scopes"] = _("Unknown scope: choose among %(scopes)s.") % {"scopes": ", ".join(ALL_SCOPES)}
    if errors:
        raise ValidationError(errors)
    prefix, secret = new_token_parts()
    expires_at = timezone.now() + timedelta(days=expires_in_days)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=acting_user, name=name, prefix=prefix, digest=digest(secret), expires_at=expires_at, scopes=chosen
        )
        record_event(
            actor=acting_user,
            action=AuditAction.TOKEN_CREATED,
            object_type="api_token",
            object_id=token.pk,
            reason=f"{name} ({prefix}) scopes={','.join(chosen)} days={expires_in_days}",
        )
    return token, format_token(prefix, secret)


def revoke_api_token(*, acting_user: User, token: ApiToken) -> None:
    """Revoke one of ``acting_user``'s own tokens (revoking twice changes nothing)."""
    if token.user_id != acting_user.pk:
        raise PermissionDenied
    with transaction.atomic():
        now = timezone.now()
        if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now):
            token.revoked_at = now
            record_event(
                actor=acting_user,
                action=AuditAction.TOKEN_REVOKED,
                object_type="api_token",
                object_id=token.pk,
                reason=f"{token.name} ({token.prefix})",
            )


# --- Deactivation ---------------------------------------------------------------------


def _administered_organization(acting_user: User, user: User) -> Organization | None:
    """An organization ``acting_user`` administers and ``user`` belongs to, if any."""
    administered = MembershipRole.objects.filter(
        membership__user=acting_user, membership__is_active=True, role=Role.ADMINISTRATOR
    ).values("organization_id")
    membership = (
        Membership.objects.filter(user=user, organization_id__in=administered)
        .select_related("organization")
        .order_by("organization_id")
        .first()
    )
    return membership.organization if membership is not None else None


def _session_store() -> type[SessionBase]:
    return import_module(settings.SESSION_ENGINE).SessionStore


def deactivate_user(*, acting_user: User | None, user: User, reason: str) -> None:
    """Stop ``user`` from using Nyeri at once: no login, no live session, no API token.

    ``acting_user`` is a superuser or an administrator of one of the user's organizations;
    None is the system itself (a management command). The account is kept (audit rows and
    clinical records point at it), only switched off.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the account is deactivated.")})
    organization = None
    if acting_user is not None:
        if acting_user.pk == user.pk:
            raise PermissionDenied(_("You cannot deactivate your own account."))
        organization = _administered_organization(acting_user, user)
        if not acting_user.is_superuser and (organization is None or user.is_superuser):
            raise PermissionDenied
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        sessions, revoked = end_sessions_and_tokens(user)
        record_event(
            actor=acting_user,
            action=AuditAction.ACCOUNT_DEACTIVATED,
            organization=organization,
            object_type="user",
            object_id=user.pk,
            reason=f"{reason} (sessions ended: {sessions}, tokens revoked: {revoked})",
        )


def end_sessions_and_tokens(user: User) -> tuple[int, int]:
    """End every session of ``user`` and revoke their API tokens, at once.

    Returns (sessions ended, tokens revoked). The caller runs it in its own transaction and
    audits it there (account deactivation, a member's off-boarding).
    """
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    store = _session_store()
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    for key in keys:
        store().delete(key)
    UserSession.objects.filter(user=user).delete()
    return len(keys), revoked
