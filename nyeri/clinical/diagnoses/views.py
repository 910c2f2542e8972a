"""Diagnosis pages: the problem list, recording, amending, entered in error, history, code search."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from nyeri.clinical.access import access_patient
from nyeri.clinical.diagnoses import catalogue, selectors, services
from nyeri.clinical.diagnoses.access import access_diagnosis
from nyeri.clinical.diagnoses.forms import AmendDiagnosisForm, DiagnosisForm, EnteredInErrorForm
from nyeri.clinical.diagnoses.models import Diagnosis
from nyeri.clinical.models import Patient
from nyeri.lib.http import request_user
from nyeri.tenancy.refusals import ActionRefused
from nyeri.tenancy.scope import request_scope
from nyeri.web.forms import add_service_errors


def _query(request: HttpRequest) -> str:
    return request.GET.get("q", "").strip()[: catalogue.QUERY_MAX_LENGTH]


def _code_search(request: HttpRequest) -> dict[str, Any]:
    query = _query(request)
    return {"q": query, "results": selectors.search_codes(query) if query else [], "pickable": True}


def _label(diagnosis: Diagnosis) -> str:
    return f"{diagnosis.icd10_code} {catalogue.icd10_title(diagnosis.icd10_code) or diagnosis.icd10_title}"


@login_required
def problem_list(request: HttpRequest, patient_id: int) -> HttpResponse:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose="diagnoses")
    problems = selectors.problem_list(scope, patient)
    # Where the patient is registered (the default place of recording), else where the user works.
    may = services.privilege_anywhere(scope, patient.registered_at)
    return render(request, "diagnoses/problem_list.html", {"patient": patient, "problems": problems, "may": may})


def _form_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    refused: tuple[str, ...],
) -> HttpResponse:
    context = {**context, **_code_search(request), "refused": refused}
    return render(request, template, context, status=403 if refused else 200)


@login_required
def add(request: HttpRequest, patient_id: int) -> HttpResponse:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose="diagnosis form")
    # The form starts at a facility where the user may record (the patient's, if allowed there).
    place = services.privilege_anywhere(scope, patient.registered_at).facility if request.method == "GET" else None
    initial = {
        "facility": (place or patient.registered_at).pk,
        "icd10_code": catalogue.normalise_code(request.GET.get("code", "")),
    }
    form = DiagnosisForm(request.POST or None, scope=scope, initial=initial)
    refused: tuple[str, ...] = ()
    if request.method == "POST" and form.is_valid():
        try:
            diagnosis = services.record_diagnosis(
                scope=scope,
                acting_user=request_user(request),
                patient=patient,
                facility=form.cleaned_data["facility"],
                **form.content(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except ActionRefused as denied:
            refused = denied.reasons
        else:
            messages.success(request, _("%(diagnosis)s is recorded.") % {"diagnosis": _label(diagnosis)})
            return redirect("diagnoses:problem_list", patient_id=patient.pk)
    return _form_page(request, "diagnoses/diagnosis_form.html", {"patient": patient, "form": form}, refused)


def _patient_and_diagnosis(
    request: HttpRequest, patient_id: int, diagnosis_id: int, purpose: str
) -> tuple[Patient, Diagnosis]:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose=purpose)
    return patient, access_diagnosis(scope, diagnosis_id, patient=patient)


@login_required
def amend(request: HttpRequest, patient_id: int, diagnosis_id: int) -> HttpResponse:
    scope = request_scope(request)
    patient, diagnosis = _patient_and_diagnosis(request, patient_id, diagnosis_id, "diagnosis amendment")
    initial = AmendDiagnosisForm.initial_of(diagnosis)
    if request.GET.get("code"):
        initial["icd10_code"] = catalogue.normalise_code(request.GET["code"])
    form = AmendDiagnosisForm(request.POST or None, scope=scope, initial=initial)
    refused: tuple[str, ...] = ()
    if request.method == "POST" and form.is_valid():
        try:
            successor = services.amend_diagnosis(
                scope=scope,
                acting_user=request_user(request),
                diagnosis=diagnosis,
                reason=form.cleaned_data["reason"],
                facility=form.cleaned_data["facility"],
                **form.content(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except ActionRefused as denied:
            refused = denied.reasons
        else:
            messages.success(request, _("%(diagnosis)s is amended.") % {"diagnosis": _label(successor)})
            return redirect("diagnoses:problem_list", patient_id=patient.pk)
    context = {"patient": patient, "form": form, "diagnosis": diagnosis}
    return _form_page(request, "diagnoses/diagnosis_form.html", context, refused)


@login_required
def entered_in_error(request: HttpRequest, patient_id: int, diagnosis_id: int) -> HttpResponse:
    scope = request_scope(request)
    patient, diagnosis = _patient_and_diagnosis(request, patient_id, diagnosis_id, "diagnosis entered in error")
    form = EnteredInErrorForm(request.POST or None)
    refused: tuple[str, ...] = ()
    if request.method == "POST" and form.is_valid():
        try:
            services.mark_entered_in_error(
                scope=scope, acting_user=request_user(request), diagnosis=diagnosis, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except ActionRefused as denied:
            refused = denied.reasons
        else:
            messages.success(
                request,
                _("%(diagnosis)s is marked as entered in error; it stays in the history.")
                % {"diagnosis": _label(diagnosis)},
            )
            return redirect("diagnoses:problem_list", patient_id=patient.pk)
    return render(
        request,
        "diagnoses/entered_in_error.html",
        {"patient": patient, "diagnosis": diagnosis, "form": form, "refused": refused},
        status=403 if refused else 200,
    )


@login_required
def history(request: HttpRequest, patient_id: int, diagnosis_id: int) -> HttpResponse:
    scope = request_scope(request)
    patient, diagnosis = _patient_and_diagnosis(request, patient_id, diagnosis_id, "diagnosis history")
    versions = selectors.diagnosis_history(scope, diagnosis)
    return render(
        request,
        "diagnoses/history.html",
        {"patient": patient, "versions": versions, "current": versions[-1] if versions else diagnosis},
    )


@login_required
def code_search(request: HttpRequest) -> HttpResponse:
    """The code catalogue: a page, or (for htmx's live search) just the list of results."""
    context = {
        **_code_search(request),
        "pickable": bool(getattr(request, "htmx", False)),
        "edition": catalogue.icd10_edition(),
    }
    template = "diagnoses/_code_results.html" if getattr(request, "htmx", False) else "diagnoses/code_search.html"
    return render(request, template, context)
