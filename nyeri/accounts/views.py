from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import match_token

from nyeri.accounts import services
from nyeri.accounts.forms import LoginForm, TokenForm


def _next_url(request: HttpRequest, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_next_url(request))
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            services.log_in(request, user=form.get_user())
            return redirect(_next_url(request))
        services.record_failed_login(username=request.POST.get("username", "")[:150])
    return render(request, "accounts/login.html", {"form": form, "next": _next_url(request, "")})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    services.log_out(request)
    return redirect("accounts:login")


@login_required
@never_cache
def verify_view(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"].replace(" ", ""))
        if services.verify_second_factor(request, user=request.user, device=device):  # type: ignore[arg-type]
            return redirect(_next_url(request))
        form.add_error("token", _("That code is not valid. Check your authenticator app and try again."))
    return render(request, "accounts/verify.html", {"form": form, "next": _next_url(request, "")})


@login_required
def profile_view(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/profile.html", {})


@login_required
def mfa_setup_view(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/mfa_setup.html", {})
