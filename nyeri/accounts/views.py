from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import user_has_device

from nyeri.accounts import selectors, services
from nyeri.accounts.forms import (
    ApiTokenForm,
    LanguageForm,
    LoginForm,
    PasswordChangeForm,
    ReauthenticationForm,
    TokenForm,
    TotpConfirmForm,
)
from nyeri.accounts.reauth import reauthentication_required
from nyeri.accounts.second_factor import (
    format_recovery_code,
    is_verified,
    must_have_second_factor,
    totp_qr_svg,
    totp_secret_base32,
)
from nyeri.accounts.token_scopes import scope_labels
from nyeri.lib.http import request_user
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import request_scope
from nyeri.web.forms import add_service_errors


def _next_url(request: HttpRequest, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def set_language_cookie(response: HttpResponse, language: str) -> None:
    """Set the cookie LocaleMiddleware reads, exactly as Django's own set_language view does."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


# --- Logging in and out ---------------------------------------------------------------


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_next_url(request))
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            user = form.get_user()
            services.log_in(request, user=user)
            target = _next_url(request)
            if user_has_device(user, confirmed=True):
                # Straight to the second step, rather than via the page's redirect.
                target = f"{reverse('accounts:verify')}?{urlencode({'next': target})}"
            response = redirect(target)
            set_language_cookie(response, user.language)
            return response
        # django-axes marks the request when it refused the attempt (too many failures);
        # its middleware then replaces this response with the lock-out page (HTTP 429).
        locked_out = bool(getattr(request, "axes_locked_out", False))
        services.record_failed_login(username=request.POST.get("username", "")[:150], locked_out=locked_out)
    return render(request, "accounts/login.html", {"form": form, "next": _next_url(request, "")})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    services.log_out(request)
    return redirect("accounts:login")


@login_required
@never_cache
def verify_view(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if is_verified(user) or not user_has_device(user, confirmed=True):
        return redirect(_next_url(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = services.verify_second_factor(request, user=user, code=form.cleaned_data["token"])
        if result is services.CodeCheck.VALID:
            return redirect(_next_url(request))
        form.add_error("token", _code_error(result))
    return render(request, "accounts/verify.html", {"form": form, "next": _next_url(request, "")})


def _code_error(result: services.CodeCheck | services.ReauthOutcome) -> str:
    if result in (services.CodeCheck.THROTTLED, services.ReauthOutcome.THROTTLED):
        return _("Too many wrong codes in a row. Wait a few seconds, then enter the newest code.")
    return _("That code is not valid. Check your authenticator app and try again.")


@login_required
@never_cache
@sensitive_post_parameters("password")
def reauthenticate_view(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    needs_code = user_has_device(user, confirmed=True)
    form = ReauthenticationForm(request.POST or None, needs_code=needs_code)
    if request.method == "POST" and form.is_valid():
        outcome = services.reauthenticate(
            request,
            acting_user=user,
            password=form.cleaned_data["password"],
            code=form.cleaned_data.get("token", ""),
        )
        if outcome is services.ReauthOutcome.OK:
            return redirect(_next_url(request, reverse("accounts:profile")))
        if outcome is services.ReauthOutcome.WRONG_PASSWORD:
            form.add_error("password", _("The password is not correct."))
        else:
            form.add_error("token", _code_error(outcome))
    return render(
        request,
        "accounts/reauthenticate.html",
        {"form": form, "next": _next_url(request, ""), "needs_code": needs_code},
    )


# --- Profile --------------------------------------------------------------------------


@login_required
@never_cache
def profile_view(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    try:
        scope = request_scope(request)
    except PermissionDenied:
        scope = None  # a user without any membership still has a profile
    tokens = list(selectors.api_tokens_of(user))
    return render(
        request,
        "accounts/profile.html",
        {
            "organization": scope.organization if scope is not None else None,
            "roles": sorted(str(Role(r).label) for r in scope.roles) if scope is not None else [],
            "language_form": LanguageForm(initial={"language": user.language}),
            "second_factor": selectors.second_factor_status(user),
            "tokens": [(token, selectors.api_token_status(token), scope_labels(token.scopes)) for token in tokens],
        },
    )


@require_POST
@login_required
def language_view(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = LanguageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the offered languages."))
        return redirect("accounts:profile")
    language = form.cleaned_data["language"]
    services.set_language_preference(acting_user=user, language=language)
    with translation.override(language):
        # Confirmed in the language just chosen.
        messages.success(request, _("Your language preference is saved."))
    response = redirect("accounts:profile")
    set_language_cookie(response, language)
    return response


# --- Second factor --------------------------------------------------------------------


@login_required
@reauthentication_required
@never_cache
def mfa_setup_view(request: HttpRequest) -> HttpResponse:
    """Set up (or replace) the authenticator app: start, scan, confirm with a code."""
    user = request_user(request)
    form = TotpConfirmForm()
    if request.method == "POST":
        if request.POST.get("action") == "start":
            services.begin_totp_enrolment(acting_user=user)
            next_url = _next_url(request, "")
            query = f"?{urlencode({'next': next_url})}" if next_url else ""
            return redirect(reverse("accounts:mfa_setup") + query)
        form = TotpConfirmForm(request.POST)
        if form.is_valid():
            try:
                codes = services.confirm_totp_enrolment(request, acting_user=user, code=form.cleaned_data["token"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                if codes is not None:
                    return _show_recovery_codes(request, codes, enrolled=True)
                form.add_error("token", _("That code is not valid. Check your authenticator app and try again."))
    device = selectors.pending_totp_device(user)
    return render(
        request,
        "accounts/mfa_setup.html",
        {
            "device": device,
            "qr_svg": totp_qr_svg(device, title=_("QR code for your authenticator app")) if device else None,
            "secret": totp_secret_base32(device) if device else "",
            "form": form,
            "status": selectors.second_factor_status(user),
            "next": _next_url(request, ""),
        },
    )


def _show_recovery_codes(request: HttpRequest, codes: list[str], *, enrolled: bool) -> HttpResponse:
    # Rendered straight from the POST, never stored anywhere readable: shown exactly once.
    return render(
        request,
        "accounts/recovery_codes.html",
        {
            "codes": [format_recovery_code(c) for c in codes],
            "enrolled": enrolled,
            "next": _next_url(request, reverse("accounts:profile")),
        },
    )


@login_required
@reauthentication_required
@never_cache
def recovery_codes_view(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    error = ""
    if request.method == "POST":
        try:
            codes = services.regenerate_recovery_codes(request, acting_user=user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return _show_recovery_codes(request, codes, enrolled=False)
    return render(
        request, "accounts/recovery_codes_new.html", {"status": selectors.second_factor_status(user), "error": error}
    )


@login_required
@reauthentication_required
@never_cache
def mfa_remove_view(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if request.method == "POST":
        try:
            services.remove_second_factor(request, acting_user=user)
        except PermissionDenied:
            messages.error(request, _("Administrators must keep a second factor."))
        else:
            messages.success(request, _("Your second factor is removed. Logging in now needs only your password."))
        return redirect("accounts:profile")
    return render(request, "accounts/mfa_remove.html", {"required": must_have_second_factor(user)})


@login_required
@sensitive_post_parameters("old_password", "new_password", "new_password_again")
@never_cache
def password_view(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ended = services.change_password(
                request,
                acting_user=user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Your password is changed. Sessions ended on other devices: %(count)s.") % {"count": ended},
            )
            return redirect("accounts:profile")
    return render(request, "accounts/password.html", {"form": form})


# --- API tokens -----------------------------------------------------------------------


@login_required
@reauthentication_required
@never_cache
def token_new_view(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = services.create_api_token(
                acting_user=user,
                name=form.cleaned_data["name"],
                expires_in_days=form.cleaned_data["expires_in_days"],
                scopes=form.cleaned_data["scopes"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            # Rendered straight from the POST: the secret is shown this once and only its
            # digest is stored.
            return render(request, "accounts/token_created.html", {"token": token, "secret": secret})
    return render(request, "accounts/token_new.html", {"form": form})


@require_POST
@login_required
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    user = request_user(request)
    token = selectors.own_api_token(user, token_id)
    services.revoke_api_token(acting_user=user, token=token)
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("accounts:profile")
