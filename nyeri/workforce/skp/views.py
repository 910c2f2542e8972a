"""SKP pages: a professional's ledger with progress, recording an activity, evidence downloads."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from nyeri.lib.http import private_download, request_user
from nyeri.tenancy.refusals import ActionRefused
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import request_scope
from nyeri.web.forms import add_service_errors
from nyeri.workforce.credentials.evidence import download_name
from nyeri.workforce.credentials.services import may_submit_for
from nyeri.workforce.people.selectors import access_person_record
from nyeri.workforce.skp import selectors, services
from nyeri.workforce.skp.forms import SkpActivityForm, SkpSettingsForm
from nyeri.workforce.skp.policy import skp_policy

PAGE_SIZE = 50


@login_required
def ledger(request: HttpRequest, person_id: int) -> HttpResponse:
    scope = request_scope(request)
    person = access_person_record(scope, person_id)
    progress = selectors.person_progress(scope, person)
    policy = skp_policy(scope.organization.jurisdiction)
    page = Paginator(selectors.ledger(scope, person), PAGE_SIZE).get_page(request.GET.get("page", 1))
    can_add = policy is not None and may_submit_for(scope, person)
    form = SkpActivityForm(request.POST or None, request.FILES or None, policy=policy) if can_add and policy else None
    if request.method == "POST":
        if form is None:
            raise Http404("No SKP form here")
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.record_activity(
                    scope=scope,
                    acting_user=request_user(request),
                    person=person,
                    category=data["category"],
                    title=data["title"],
                    credits=data["credits"],
                    done_on=data["done_on"],
                    provider=data["provider"],
                    certificate_number=data["certificate_number"],
                    evidence=data.get("evidence"),
                )
            except ActionRefused as error:
                return render(request, "403.html", {"detail": error.message}, status=403)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The activity is recorded in the SKP ledger."))
                return redirect("workforce:skp_ledger", person_id=person.pk)
    selectors.audit_ledger_read(scope, person, purpose="ledger page")
    labels = {c.code: c.label() for c in policy.categories} if policy else {}
    return render(
        request,
        "workforce/skp/ledger.html",
        {
            "person": person,
            "progress": progress,
            "policy": policy,
            "page": page,
            "labels": labels,
            "form": form,
            "can_set": policy is not None and scope.has_role(Role.ADMINISTRATOR),
        },
    )


@login_required
def skp_settings(request: HttpRequest) -> HttpResponse:
    """The organization's own SKP figures (totals per profession, hours per credit): administrators."""
    scope = request_scope(request)
    found = selectors.settings_rows(scope)
    if found is None:
        raise Http404("No SKP policy here")
    policy, rows = found
    form = SkpSettingsForm(request.POST or None, rows=rows)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_skp_settings(scope=scope, acting_user=request_user(request), values=form.cleaned_data)
        except ActionRefused as error:
            return render(request, "403.html", {"detail": error.message}, status=403)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The organization's SKP figures are saved."))
            return redirect("workforce:skp_settings")
    return render(request, "workforce/skp/settings.html", {"policy": policy, "rows": rows, "form": form})


@require_GET
@login_required
def evidence_download(request: HttpRequest, activity_id: int) -> FileResponse:
    scope = request_scope(request)
    activity, handle = selectors.read_evidence(scope, activity_id)
    return private_download(handle, filename=download_name(activity), content_type=activity.content_type)
