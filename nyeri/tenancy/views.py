"""The set-up page of a new installation and the organization settings (administrators)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from nyeri.accounts import services as accounts_services
from nyeri.accounts.views import set_language_cookie
from nyeri.lib.http import request_user
from nyeri.tenancy import selectors, services
from nyeri.tenancy.access import access_facility, require_organization_administrator
from nyeri.tenancy.forms import FacilityForm, OrganizationForm, ReasonForm, SetupForm, regency_choices
from nyeri.tenancy.scope import Scope, request_scope
from nyeri.tenancy.setup import ensure_setup_code, has_organization, start_organization
from nyeri.web.forms import add_service_errors

# --- A new installation ---------------------------------------------------------------------


@never_cache
@sensitive_post_parameters("setup_code", "admin_password", "admin_password_again")
def setup(request: HttpRequest) -> HttpResponse:
    """The first organization, facility and administrator; 404 once any organization exists."""
    if has_organization():
        raise Http404("This installation is set up")
    ensure_setup_code()
    form = SetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            installation = start_organization(acting_user=None, via="browser", **form.service_arguments())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            admin = installation.administrator
            admin.backend = settings.AUTHENTICATION_BACKENDS[-1]  # type: ignore[attr-defined]
            accounts_services.log_in(request, user=admin)
            # Administrators enrol a second factor before anything else.
            target = f"{reverse('accounts:mfa_setup')}?{urlencode({'next': reverse('web:home')})}"
            response = redirect(target)
            set_language_cookie(response, admin.language)
            return response
    return render(request, "tenancy/setup.html", {"form": form}, status=400 if form.errors else 200)


@require_GET
def regency_options(request: HttpRequest) -> HttpResponse:
    """The regency select for a province (htmx swaps it in when the province changes)."""
    return render(
        request, "tenancy/_regency_select.html", {"choices": regency_choices(request.GET.get("province", "").strip())}
    )


# --- The organization settings --------------------------------------------------------------


def _admin_scope(request: HttpRequest, reason: str) -> Scope:
    scope = request_scope(request)
    require_organization_administrator(
        scope, object_type="organization", object_id=scope.organization.pk, reason=reason
    )
    return scope


@login_required
def organization(request: HttpRequest) -> HttpResponse:
    scope = _admin_scope(request, "organization settings")
    return render(
        request,
        "tenancy/organization.html",
        {"organization": scope.organization, "facilities": selectors.organization_facilities(scope)},
    )


@login_required
def organization_edit(request: HttpRequest) -> HttpResponse:
    scope = _admin_scope(request, "edit organization")
    org = scope.organization
    form = OrganizationForm(request.POST or None, initial={"name": org.name, "kind": org.kind})
    if request.method == "POST" and form.is_valid():
        try:
            services.update_organization(scope=scope, acting_user=request_user(request), **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The organization is saved."))
            return redirect("tenancy:organization")
    return render(
        request,
        "tenancy/organization_form.html",
        {"organization": org, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def facility_new(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    require_organization_administrator(scope, object_type="facility", reason="add facility")
    form = FacilityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            facility = services.add_facility(scope=scope, acting_user=request_user(request), fields=form.fields_value())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(facility)s is added.") % {"facility": facility.name})
            return redirect("tenancy:organization")
    return render(
        request, "tenancy/facility_form.html", {"form": form, "edited": None}, status=400 if form.errors else 200
    )


@login_required
def facility_edit(request: HttpRequest, facility_id: int) -> HttpResponse:
    scope = request_scope(request)
    facility = access_facility(scope, facility_id)
    require_organization_administrator(
        scope, object_type="facility", object_id=facility.pk, reason="edit facility", facility=facility
    )
    current = selectors.facility_settings(scope, facility)
    form = FacilityForm(
        request.POST or None, initial=FacilityForm.initial_of(current), current_time_zone=facility.time_zone
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_facility(
                scope=scope, acting_user=request_user(request), facility=facility, fields=form.fields_value()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(facility)s is saved.") % {"facility": facility.name})
            return redirect("tenancy:organization")
    return render(
        request,
        "tenancy/facility_form.html",
        {"form": form, "edited": facility},
        status=400 if form.errors else 200,
    )


def _set_active(request: HttpRequest, facility_id: int, *, active: bool) -> HttpResponse:
    scope = request_scope(request)
    facility = access_facility(scope, facility_id)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    change = services.reactivate_facility if active else services.deactivate_facility
    try:
        change(scope=scope, acting_user=request_user(request), facility=facility, reason=reason)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if active:
            messages.success(request, _("%(facility)s is active again.") % {"facility": facility.name})
        else:
            messages.success(
                request,
                _("%(facility)s is deactivated: it is no longer offered for new work; its records stay.")
                % {"facility": facility.name},
            )
    return redirect("tenancy:organization")


@require_POST
@login_required
def facility_deactivate(request: HttpRequest, facility_id: int) -> HttpResponse:
    return _set_active(request, facility_id, active=False)


@require_POST
@login_required
def facility_reactivate(request: HttpRequest, facility_id: int) -> HttpResponse:
    return _set_active(request, facility_id, active=True)
