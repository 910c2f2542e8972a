"""Credential pages: the credentialing queue, submission, a credential, decisions, evidence."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_otp import user_has_device

from nyeri.accounts.reauth import ReauthenticationRequired, has_recent_authentication, reauthenticate_url
from nyeri.lib.http import private_download, request_user
from nyeri.tenancy.refusals import ActionRefused
from nyeri.tenancy.scope import Scope, request_scope
from nyeri.web.forms import add_service_errors
from nyeri.workforce.access import access_person
from nyeri.workforce.credentials import selectors, services
from nyeri.workforce.credentials.evidence import download_name
from nyeri.workforce.credentials.forms import CredentialForm, EvidenceForm, ReasonForm, SourceCheckForm
from nyeri.workforce.kinds import CredentialKind, CredentialStatus
from nyeri.workforce.models import Credential

QUEUE = "workforce:credential_queue"


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _refused(request: HttpRequest, error: ActionRefused) -> HttpResponse:
    return render(request, "403.html", {"detail": error.message}, status=403)


def _abilities(scope: Scope) -> dict[str, bool]:
    # Which forms to show; the services decide again, with the engine, on every write.
    return {
        "can_verify": scope.has_role(*services.action_roles(scope, services.VERIFY)),
        "can_approve": scope.has_role(*services.action_roles(scope, services.APPROVE)),
    }


@login_required
@never_cache
def queue(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    return render(
        request,
        "workforce/credentials/queue.html",
        {"queue": selectors.credentialing_queue(scope), **_abilities(scope)},
    )


@login_required
def submit(request: HttpRequest, person_id: int) -> HttpResponse:
    scope = request_scope(request)
    person = access_person(scope, person_id)
    if not services.may_submit_for(scope, person):
        selectors.deny(
            scope, object_type="credential", object_id="", reason=f"submit form for person {person.pk}: not allowed"
        )
    form = CredentialForm(request.POST or None, request.FILES or None, scope=scope)
    if request.method == "POST" and form.is_valid():
        try:
            credential = services.submit_credential(
                scope=scope,
                acting_user=request_user(request),
                person=person,
                kind=form.cleaned_data["kind"],
                evidence=form.cleaned_data["evidence"],
                **form.service_fields(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except ActionRefused as error:
            return _refused(request, error)
        else:
            messages.success(request, _("The credential is submitted and waits for verification."))
            return redirect("workforce:credential_detail", credential_id=credential.pk)
    return render(
        request,
        "workforce/credentials/submit.html",
        {"person": person, "form": form, "credentials": selectors.person_credentials(scope, person)},
    )


def _render_detail(
    request: HttpRequest, scope: Scope, credential: Credential, evidence_form: EvidenceForm | None = None
) -> HttpResponse:
    own = credential.person.user_id is not None and credential.person.user_id == scope.user.pk
    waiting = credential.status == CredentialStatus.SUBMITTED
    abilities = _abilities(scope)
    controlled = credential.kind == CredentialKind.CONTROLLED_AUTHORISATION
    may_add = waiting and services.may_submit_for(scope, credential.person)
    return render(
        request,
        "workforce/credentials/detail.html",
        {
            "credential": credential,
            "own": own,
            "show_verify": waiting
            and not own
            and not controlled
            and abilities["can_verify"]
            and credential.submitted_by_id != scope.user.pk,
            "show_approve": waiting and not own and controlled and abilities["can_approve"],
            "show_reject": waiting
            and not own
            and (abilities["can_approve"] if controlled else abilities["can_verify"]),
            "show_revoke": credential.status == CredentialStatus.VERIFIED
            and not own
            and (abilities["can_approve"] if controlled else abilities["can_verify"]),
            "evidence_form": (evidence_form or EvidenceForm()) if may_add else None,
            "at_source": selectors.source_verification_of(scope, credential),
        },
    )


@login_required
def detail(request: HttpRequest, credential_id: int) -> HttpResponse:
    scope = request_scope(request)
    return _render_detail(request, scope, selectors.credential_detail(scope, credential_id))


@login_required
@never_cache
def verify(request: HttpRequest, credential_id: int) -> HttpResponse:
    """Verification at the source: a page that records where, how and on what the credential
    was checked, and asks the verifier to confirm (GET shows it, POST verifies)."""
    scope = request_scope(request)
    credential = selectors.credential_detail(scope, credential_id)
    if not _abilities(scope)["can_verify"]:
        selectors.deny(scope, object_type="credential", object_id=credential.pk, reason="verify page: no verifier role")
    form = SourceCheckForm(
        request.POST or None,
        request.FILES or None,
        jurisdiction=scope.organization.jurisdiction,
        kind=credential.kind,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.verify_credential(
                scope=scope, acting_user=request_user(request), credential=credential, check=form.source_check()
            )
        except ActionRefused as error:
            return _refused(request, error)
        except ValidationError as error:
            if "status" in getattr(error, "error_dict", {}):
                # Decided meanwhile (by another officer, or a second click): nothing to fill in.
                messages.error(request, " ".join(error.messages))
                return redirect("workforce:credential_detail", credential_id=credential.pk)
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("%(person)s: the credential is verified.") % {"person": credential.person.full_name}
            )
            return redirect(_next_url(request, reverse(QUEUE)))
    return render(
        request,
        "workforce/credentials/verify.html",
        {"credential": credential, "form": form, "next": _next_url(request, "")},
    )


def _reason_page(request: HttpRequest, credential_id: int, *, revoke: bool) -> HttpResponse:
    scope = request_scope(request)
    credential = selectors.credential_detail(scope, credential_id)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        act = services.revoke_credential if revoke else services.reject_credential
        try:
            act(
                scope=scope,
                acting_user=request_user(request),
                credential=credential,
                reason=form.cleaned_data["reason"],
            )
        except ActionRefused as error:
            return _refused(request, error)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            name = {"person": credential.person.full_name}
            if revoke:
                messages.success(request, _("%(person)s: the credential is revoked.") % name)
            else:
                messages.success(request, _("%(person)s: the credential is rejected.") % name)
            return redirect(_next_url(request, reverse(QUEUE)))
    return render(
        request,
        "workforce/credentials/reason.html",
        {"credential": credential, "form": form, "revoke": revoke, "next": _next_url(request, "")},
    )


@login_required
def reject(request: HttpRequest, credential_id: int) -> HttpResponse:
    return _reason_page(request, credential_id, revoke=False)


@login_required
def revoke(request: HttpRequest, credential_id: int) -> HttpResponse:
    return _reason_page(request, credential_id, revoke=True)


@login_required
@never_cache
def approve(request: HttpRequest, credential_id: int) -> HttpResponse:
    """The second person's approval: a confirmation page (GET) and the approval (POST).

    A session whose password (and second factor) were not entered within REAUTH_MAX_AGE
    is sent to re-authenticate and comes back here, to the confirmation page.
    """
    scope = request_scope(request)
    credential = selectors.credential_detail(scope, credential_id)
    if not _abilities(scope)["can_approve"]:
        selectors.deny(
            scope, object_type="credential", object_id=credential.pk, reason="approve page: no approver role"
        )
    awaiting = (
        credential.kind == CredentialKind.CONTROLLED_AUTHORISATION and credential.status == CredentialStatus.SUBMITTED
    )
    if not awaiting:
        # Nothing to approve here (another kind, or already decided): show the credential as it is.
        messages.error(request, _("This credential is not a controlled-substance authorisation awaiting approval."))
        return redirect("workforce:credential_detail", credential_id=credential.pk)
    here = reverse("workforce:credential_approve", kwargs={"credential_id": credential.pk})
    user = request_user(request)
    has_second_factor = user_has_device(user, confirmed=True)
    if has_second_factor and not has_recent_authentication(request):
        return redirect(reauthenticate_url(here))
    if request.method == "POST":
        try:
            services.approve_controlled_authorisation(
                scope=scope, acting_user=user, credential=credential, request=request
            )
        except ReauthenticationRequired:
            return redirect(reauthenticate_url(here))
        except ActionRefused as error:
            return _refused(request, error)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("workforce:credential_detail", credential_id=credential.pk)
        messages.success(
            request,
            _("%(person)s: the controlled-substance authorisation is approved.")
            % {"person": credential.person.full_name},
        )
        return redirect(QUEUE)
    return render(
        request,
        "workforce/credentials/approve.html",
        {"credential": credential, "has_second_factor": has_second_factor},
    )


@require_POST
@login_required
def evidence_add(request: HttpRequest, credential_id: int) -> HttpResponse:
    scope = request_scope(request)
    credential = selectors.credential_detail(scope, credential_id)
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.attach_evidence(
                scope=scope,
                acting_user=request_user(request),
                credential=credential,
                uploads=form.cleaned_data["evidence"],
            )
        except ActionRefused as error:
            return _refused(request, error)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The evidence is added."))
            return redirect("workforce:credential_detail", credential_id=credential.pk)
    return _render_detail(request, scope, credential, evidence_form=form)


@require_GET
@login_required
def evidence_download(request: HttpRequest, evidence_id: int) -> FileResponse:
    scope = request_scope(request)
    evidence, handle = selectors.read_evidence(scope, evidence_id)
    return private_download(handle, filename=download_name(evidence), content_type=evidence.content_type)
