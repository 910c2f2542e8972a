"""The administrators' SATUSEHAT pages: the settings (secret masked, test connection), the outbox
(waiting, sent, refused; fix and resend), and the IHS-number lookup from the patient's page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nyeri.interop.models import OutboxStatus
from nyeri.interop.satusehat import selectors, services
from nyeri.interop.satusehat.client import SatusehatError
from nyeri.interop.satusehat.forms import SatusehatSettingsForm
from nyeri.lib.http import request_user
from nyeri.tenancy.scope import request_scope
from nyeri.web.forms import add_service_errors


@login_required
def outbox(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    status = request.GET.get("status", "")
    rows = selectors.outbox_entries(scope, status=status)
    return render(
        request,
        "interop/satusehat_outbox.html",
        {
            "rows": rows,
            "connection": selectors.satusehat_settings(scope),
            "statuses": OutboxStatus.choices,
            "status": status if status in OutboxStatus.values else "",
            "resendable": (OutboxStatus.REFUSED.value, OutboxStatus.PENDING.value),
        },
    )


@login_required
@require_POST
def resend(request: HttpRequest, entry_id: int) -> HttpResponse:
    scope = request_scope(request)
    try:
        entry = services.resend_outbox_entry(scope=scope, acting_user=request_user(request), entry_id=entry_id)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message, fail_silently=True)
    else:
        messages.success(
            request, _("%(record)s was queued again for SATUSEHAT.") % {"record": entry.local_key}, fail_silently=True
        )
    return redirect("satusehat:outbox")


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    current = selectors.satusehat_settings(scope)  # administrators only (a refusal is audited)
    initial = {}
    if current is not None:
        initial = {
            "environment": current.environment,
            "satusehat_organization_id": current.satusehat_organization_id,
            "client_id": current.client_id,
            "send_visits_from": current.send_visits_from,
        }
    form = SatusehatSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_satusehat_settings(scope=scope, acting_user=request_user(request), **form.values())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The SATUSEHAT settings are saved."), fail_silently=True)
            return redirect("satusehat:settings")
    context = {"form": form, "connection": current}
    return render(request, "interop/satusehat_settings.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def test_connection(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    try:
        problem = services.check_connection(scope=scope, acting_user=request_user(request))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message, fail_silently=True)
    else:
        if problem:
            messages.error(request, problem, fail_silently=True)
        else:
            messages.success(request, _("SATUSEHAT accepted the client ID and secret."), fail_silently=True)
    return redirect("satusehat:settings")


@login_required
@require_POST
def lookup_ihs(request: HttpRequest, patient_id: int) -> HttpResponse:
    scope = request_scope(request)
    try:
        ihs = services.link_patient_ihs_number(scope=scope, acting_user=request_user(request), patient_id=patient_id)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message, fail_silently=True)
    except SatusehatError as failure:
        messages.error(request, str(failure), fail_silently=True)
    else:
        if ihs is None:
            messages.warning(request, _("SATUSEHAT knows no patient with this NIK."), fail_silently=True)
        else:
            messages.success(request, _("SATUSEHAT patient identifier: %(ihs)s.") % {"ihs": ihs}, fail_silently=True)
    return redirect("clinical:patient_detail", patient_id)
