"""The consents page of a patient: the state per kind, the history, recording and withdrawing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from nyeri.clinical.access import access_patient
from nyeri.clinical.consents import selectors, services
from nyeri.clinical.consents.forms import RecordConsentForm, WithdrawConsentForm
from nyeri.clinical.models import Patient
from nyeri.lib.http import request_user
from nyeri.tenancy.scope import Scope, request_scope
from nyeri.web.forms import add_service_errors

BADGES = {"given": "ok", "withdrawn": "bad", "none": ""}


def _page(
    request: HttpRequest,
    scope: Scope,
    patient: Patient,
    form: RecordConsentForm,
    *,
    withdraw_form: Form | None = None,
    withdraw_id: int | None = None,
    status: int = 200,
) -> HttpResponse:
    found = selectors.patient_consents(scope, patient)
    return render(
        request,
        "clinical/consents/list.html",
        {
            "patient": patient,
            "states": [(state, BADGES[state.status]) for state in found.states],
            "history": found.history,
            "form": form,
            "withdraw_form": withdraw_form,
            "withdraw_id": withdraw_id,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def consents(request: HttpRequest, patient_id: int) -> HttpResponse:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose="consents")
    form = RecordConsentForm(request.POST or None, scope=scope, patient=patient)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_consent(
                scope=scope,
                acting_user=request_user(request),
                patient=patient,
                kind=form.cleaned_data["kind"],
                how=form.cleaned_data["how"],
                given_at=form.cleaned_data.get("given_at"),
                witness=form.cleaned_data.get("witness") or "",
                scope_note=form.cleaned_data.get("scope_note") or "",
                facility=form.cleaned_data["facility"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The consent is recorded."))
            return redirect("clinical:patient_consents", patient_id=patient.pk)
    return _page(request, scope, patient, form)


@login_required
@require_POST
def withdraw(request: HttpRequest, consent_id: int) -> HttpResponse:
    scope = request_scope(request)
    consent = selectors.access_consent(scope, consent_id)
    form = WithdrawConsentForm(request.POST)
    if form.is_valid():
        try:
            services.withdraw_consent(
                scope=scope, acting_user=request_user(request), consent=consent, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The consent is withdrawn. It is kept in the history."))
            return redirect("clinical:patient_consents", patient_id=consent.patient_id)
    # The page again, with the error under the consent's withdrawal form (and the READ audit row).
    patient = access_patient(scope, consent.patient_id, purpose="consents")
    record_form = RecordConsentForm(scope=scope, patient=patient)
    return _page(request, scope, patient, record_form, withdraw_form=form, withdraw_id=consent.pk)
