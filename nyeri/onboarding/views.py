"""People administration pages (administrators) and the public invitation acceptance page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from nyeri.accounts import services as account_services
from nyeri.accounts.models import User
from nyeri.accounts.views import set_language_cookie
from nyeri.lib.http import request_user
from nyeri.onboarding import selectors, services
from nyeri.onboarding.access import access_invitation, access_member, require_people_administrator
from nyeri.onboarding.forms import AcceptForm, AccessForm, DeactivateForm, InviteForm
from nyeri.onboarding.services import InvitationProblem, InvitationUnavailable
from nyeri.tenancy.scope import Scope, request_scope
from nyeri.web.forms import add_service_errors


def _people_page(request: HttpRequest, scope: Scope, form: InviteForm, status: int = 200) -> HttpResponse:
    return render(
        request,
        "onboarding/people.html",
        {"members": selectors.members(scope), "invitations": selectors.pending_invitations(scope), "form": form},
        status=status,
    )


@login_required
def people(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    require_people_administrator(scope, reason="open the people page")
    form = InviteForm(
        facilities=selectors.organization_facilities(scope), initial={"language": request_user(request).language}
    )
    return _people_page(request, scope, form)


@login_required
@require_POST
def invite(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    require_people_administrator(scope, object_type="invitation", reason="invite a member")
    form = InviteForm(request.POST, facilities=selectors.organization_facilities(scope))
    if form.is_valid():
        data = form.cleaned_data
        try:
            invitation = services.invite_member(
                scope=scope,
                acting_user=request_user(request),
                full_name=data["full_name"],
                email=data["email"],
                roles=data["roles"],
                facilities=list(data["facilities"]),
                nik=data["nik"],
                citizenship=data["citizenship"],
                language=data["language"],
                site_url=request.build_absolute_uri("/"),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("An invitation was sent to %(email)s.") % {"email": invitation.email}, fail_silently=True
            )
            return redirect("onboarding:people")
    return _people_page(request, scope, form, status=400)


def _invitation_action(request: HttpRequest, invitation_id: int, *, resend: bool) -> HttpResponse:
    scope = request_scope(request)
    invitation = access_invitation(scope, invitation_id)
    try:
        if resend:
            services.resend_invitation(
                scope=scope,
                acting_user=request_user(request),
                invitation=invitation,
                site_url=request.build_absolute_uri("/"),
            )
            messages.success(request, _("The invitation was sent again with a new link."), fail_silently=True)
        else:
            services.revoke_invitation(scope=scope, acting_user=request_user(request), invitation=invitation)
            messages.success(request, _("The invitation was withdrawn."), fail_silently=True)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message, fail_silently=True)
    return redirect("onboarding:people")


@login_required
@require_POST
def invitation_resend(request: HttpRequest, invitation_id: int) -> HttpResponse:
    return _invitation_action(request, invitation_id, resend=True)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    return _invitation_action(request, invitation_id, resend=False)


@login_required
def member_edit(request: HttpRequest, membership_id: int) -> HttpResponse:
    scope = request_scope(request)
    membership = access_member(scope, membership_id)
    row = selectors.member_row(scope, membership)
    facilities = selectors.organization_facilities(scope)
    if request.method == "POST":
        form = AccessForm(request.POST, facilities=facilities)
        if form.is_valid():
            try:
                services.change_access(
                    scope=scope,
                    acting_user=request_user(request),
                    membership=membership,
                    roles=form.cleaned_data["roles"],
                    facilities=list(form.cleaned_data["facilities"]),
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("The roles and facilities of %(name)s were saved.") % {"name": row.full_name},
                    fail_silently=True,
                )
                return redirect("onboarding:people")
        status = 400
    else:
        form = AccessForm(
            facilities=facilities, initial={"roles": list(row.roles), "facilities": [f.id for f in row.facilities]}
        )
        status = 200
    return render(request, "onboarding/member_edit.html", {"member": row, "form": form}, status=status)


def _status_change(request: HttpRequest, membership_id: int, *, deactivate: bool) -> HttpResponse:
    scope = request_scope(request)
    membership = access_member(scope, membership_id)
    row = selectors.member_row(scope, membership)
    form = DeactivateForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            if deactivate:
                services.deactivate_member(
                    scope=scope,
                    acting_user=request_user(request),
                    membership=membership,
                    reason=form.cleaned_data["reason"],
                )
                message = _("%(name)s was deactivated: their sessions and API tokens have ended.")
            else:
                services.reactivate_member(scope=scope, acting_user=request_user(request), membership=membership)
                message = _("%(name)s was reactivated and can log in again.")
        except ValidationError as error:
            add_service_errors(form, error)
            status = 400
        else:
            messages.success(request, message % {"name": row.full_name}, fail_silently=True)
            return redirect("onboarding:people")
    return render(
        request,
        "onboarding/member_status.html",
        {"member": row, "form": form, "deactivate": deactivate},
        status=status,
    )


@login_required
def member_deactivate(request: HttpRequest, membership_id: int) -> HttpResponse:
    return _status_change(request, membership_id, deactivate=True)


@login_required
def member_reactivate(request: HttpRequest, membership_id: int) -> HttpResponse:
    return _status_change(request, membership_id, deactivate=False)


# --- Public: accepting an invitation --------------------------------------------------


def _unavailable(request: HttpRequest, problem: InvitationProblem) -> HttpResponse:
    return render(
        request,
        "onboarding/accept_unavailable.html",
        {"message": services.problem_message(problem), "problem": problem.value},
        status=404 if problem is InvitationProblem.INVALID else 410,
    )


@sensitive_post_parameters("password", "password_again")
@never_cache
def accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.open_invitation(token)
    except InvitationUnavailable as exc:
        return _unavailable(request, exc.problem)
    form = AcceptForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                user = services.accept_invitation(
                    secret=token, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
                )
            except InvitationUnavailable as exc:
                return _unavailable(request, exc.problem)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                checked = authenticate(request, username=user.username, password=form.cleaned_data["password"])
                if checked is None:
                    return redirect("accounts:login")
                assert isinstance(checked, User)
                account_services.log_in(request, user=checked)
                # An administrator is sent on to enrol a second factor by the middleware.
                response = redirect("web:home")
                set_language_cookie(response, checked.language)
                return response
    return render(
        request,
        "onboarding/accept.html",
        {"invitation": invitation, "organization": invitation.organization, "form": form},
        status=status,
    )
