"""Pages of the personal data rights: the patient's (for clinic staff, from the patient page),
the clinic's open requests, and a person's own data (from their profile)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from nyeri.accounts.reauth import reauthentication_required
from nyeri.candidates.access import candidate_of
from nyeri.lib.http import request_user
from nyeri.privacy import selectors, services
from nyeri.privacy.forms import AnswerForm, CorrectionForm, EraseAccountForm, ErasureForm, ExportForm
from nyeri.privacy.legal import legal_basis, retention_ends, right
from nyeri.privacy.pdf import render_export
from nyeri.privacy.selectors import Export
from nyeri.tenancy.scope import request_scope
from nyeri.web.forms import add_service_errors


def _download(export: Export, file_format: str, stem: str) -> HttpResponse:
    if file_format == "json":
        body = json.dumps(export.as_json(), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        extension = "json"
    else:
        response = HttpResponse(render_export(export), content_type="application/pdf")
        extension = "pdf"
    response["Content-Disposition"] = f'attachment; filename="{stem}.{extension}"'
    response["Cache-Control"] = "no-store"
    return response


def _export_form(request: HttpRequest) -> ExportForm:
    return ExportForm(request.GET or None, initial={"language": get_language()})


@login_required
@require_http_methods(["GET", "POST"])
def patient_page(request: HttpRequest, patient_id: int) -> HttpResponse:
    scope = request_scope(request)
    correction = CorrectionForm(request.POST if request.POST.get("kind") == "correction" else None, prefix="c")
    erasure = ErasureForm(
        request.POST if request.POST.get("kind") == "erasure" else None,
        prefix="e",
        initial={"language": get_language()},
    )
    status = 200
    if request.method == "POST":
        try:
            if correction.is_bound and correction.is_valid():
                services.request_correction(
                    scope=scope, acting_user=request_user(request), patient_id=patient_id, **correction.cleaned_data
                )
                messages.success(request, _("The correction request is recorded."))
                return redirect("privacy:patient", patient_id=patient_id)
            if erasure.is_bound and erasure.is_valid():
                row = services.request_erasure(
                    scope=scope,
                    acting_user=request_user(request),
                    patient_id=patient_id,
                    requested_by=erasure.cleaned_data["requested_by"],
                    what=erasure.cleaned_data["what"],
                    language=erasure.cleaned_data["language"],
                )
                if row.status == "refused":
                    messages.warning(
                        request, _("The erasure request is recorded and refused: see the legal basis below.")
                    )
                else:
                    messages.success(request, _("The erasure request is recorded."))
                return redirect("privacy:patient", patient_id=patient_id)
        except ValidationError as error:
            add_service_errors(correction if correction.is_bound else erasure, error)
        status = 400
    patient, rows = selectors.patient_requests(scope, patient_id)
    return render(
        request,
        "privacy/patient.html",
        {
            "patient": patient,
            # One answer form per open request, with ids of its own (labels stay unique).
            "requests": [(row, AnswerForm(auto_id=f"id_answer{row.pk}_%s")) for row in rows],
            "export_form": ExportForm(initial={"language": get_language()}),
            "correction_form": correction,
            "erasure_form": erasure,
            "retention": legal_basis().retention,
            "retention_ends": retention_ends(services.last_visit(patient)),
            "access": right("access"),
            "correction": right("correction"),
        },
        status=status,
    )


@login_required
@require_GET
def patient_export(request: HttpRequest, patient_id: int) -> HttpResponse:
    form = _export_form(request)
    if not form.is_valid():
        messages.error(request, _("Choose a format and a language."))
        return redirect("privacy:patient", patient_id=patient_id)
    file_format = form.cleaned_data["file_format"]
    export = selectors.patient_export(
        request_scope(request), patient_id, language=form.cleaned_data["language"], file_format=file_format
    )
    return _download(export, file_format, f"patient-{patient_id}-data")


@login_required
@require_GET
def open_requests(request: HttpRequest) -> HttpResponse:
    rows = list(selectors.open_requests(request_scope(request)))
    return render(request, "privacy/open_requests.html", {"requests": rows})


@login_required
@require_POST
def answer(request: HttpRequest, request_id: int) -> HttpResponse:
    scope = request_scope(request)
    row = selectors.organization_request(scope, request_id)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            services.answer_correction(
                scope=scope,
                acting_user=request_user(request),
                request_id=row.pk,
                accept=form.cleaned_data["decision"] == "accept",
                answer=form.cleaned_data["answer"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The request is answered."))
            return redirect("privacy:patient", patient_id=row.patient_id)
    for problems in form.errors.values():
        for problem in problems:
            messages.error(request, str(problem))
    return redirect("privacy:patient", patient_id=row.patient_id)


@login_required
@require_GET
def own_page(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    return render(
        request,
        "privacy/own.html",
        {
            "export_form": ExportForm(initial={"language": user.language or get_language()}),
            "is_candidate": candidate_of(user) is not None,
            "access": right("access"),
            "erasure": right("erasure"),
        },
    )


@login_required
@require_GET
def own_export(request: HttpRequest) -> HttpResponse:
    form = _export_form(request)
    if not form.is_valid():
        messages.error(request, _("Choose a format and a language."))
        return redirect("privacy:own")
    file_format = form.cleaned_data["file_format"]
    user = request_user(request)
    export = selectors.own_export(user, language=form.cleaned_data["language"], file_format=file_format)
    return _download(export, file_format, "my-data")


@login_required
@reauthentication_required
@require_http_methods(["GET", "POST"])
def erase_account(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if candidate_of(user) is None:
        raise PermissionDenied
    form = EraseAccountForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.erase_candidate(acting_user=user, confirmed=form.cleaned_data["confirm"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            logout(request)
            return redirect("privacy:erased")
    return render(request, "privacy/erase.html", {"form": form}, status=400 if form.errors else 200)


@require_GET
def erased(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/erased.html")
