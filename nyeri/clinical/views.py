from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from nyeri.clinical import services
from nyeri.clinical.access import MERGE_ROLES, REGISTRATION_ROLES, access_patient, ensure_clinical_role
from nyeri.clinical.chart.views import patient_chart
from nyeri.clinical.forms import EditForm, MergeForm, RecordNumberFormatForm, RegisterForm
from nyeri.clinical.selectors import patient_by_mrn, patient_history, registration_facilities, search_patients
from nyeri.clinical.selectors import record_number_formats as record_number_formats_of
from nyeri.clinical.services import DuplicatePatient
from nyeri.lib.http import request_user
from nyeri.tenancy.roles import CLINICAL_ROLES
from nyeri.tenancy.scope import Scope, request_scope
from nyeri.web.forms import add_service_errors


def _after_save(scope: Scope, patient_id: int) -> HttpResponse:
    # Clinical staff land on the patient page; an administrator on the demographics page.
    if scope.roles & CLINICAL_ROLES:
        return redirect("clinical:patient_detail", patient_id)
    return redirect("clinical:patient_edit", patient_id)


@login_required
def patient_list(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    query = request.GET.get("q", "")[:100]
    patients = search_patients(scope, query)
    return render(
        request,
        "clinical/patient_list.html",
        {"patients": patients, "q": query, "can_register": bool(scope.roles & REGISTRATION_ROLES)},
    )


def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    # The patient page is the chart (nyeri/clinical/chart): one audited read of the record.
    return patient_chart(request, patient_id)


@login_required
def patient_register(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    ensure_clinical_role(scope, roles=REGISTRATION_ROLES)
    facilities = registration_facilities(scope)
    form = RegisterForm(request.POST or None, facilities=facilities)
    duplicates: list[Any] = []
    duplicate_code = ""
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.register_patient(scope=scope, acting_user=request_user(request), **form.details())
        except DuplicatePatient as error:
            add_service_errors(form, error)
            duplicates, duplicate_code = error.patients, error.duplicate_code
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            registered = {"name": patient.full_name, "mrn": patient.mrn}
            messages.success(request, _("%(name)s is registered with record number %(mrn)s.") % registered)
            return _after_save(scope, patient.pk)
    return render(
        request,
        "clinical/patient_register.html",
        {
            "form": form,
            "duplicates": duplicates,
            "duplicate_code": duplicate_code,
            "can_configure": bool(scope.roles & MERGE_ROLES),
        },
    )


@login_required
def patient_edit(request: HttpRequest, patient_id: int) -> HttpResponse:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose="demographics", roles=REGISTRATION_ROLES)
    form = EditForm(request.POST or None, initial=EditForm.initial_of(patient))
    duplicates: list[Any] = []
    duplicate_code = ""
    stale = False
    if request.method == "POST" and form.is_valid():
        try:
            services.update_patient(
                scope=scope,
                acting_user=request_user(request),
                patient_id=patient.pk,
                changes=form.changes(),
                version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
                confirm_possible_duplicate=form.cleaned_data["confirm_possible_duplicate"],
            )
        except DuplicatePatient as error:
            add_service_errors(form, error)
            duplicates, duplicate_code = error.patients, error.duplicate_code
        except services.StaleEdit as error:
            add_service_errors(form, error)
            stale = True
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The changes are saved; the history keeps the earlier values."))
            return redirect("clinical:patient_edit", patient.pk)
    return render(
        request,
        "clinical/patient_edit.html",
        {
            "patient": patient,
            "form": form,
            "history": patient_history(scope, patient),
            "duplicates": duplicates,
            "duplicate_code": duplicate_code,
            "stale": stale,
            "can_merge": bool(scope.roles & MERGE_ROLES),
        },
    )


@login_required
def patient_merge(request: HttpRequest, patient_id: int) -> HttpResponse:
    scope = request_scope(request)
    ensure_clinical_role(scope, object_type="patient_merge", roles=MERGE_ROLES)
    patient = access_patient(scope, patient_id, purpose="merge", roles=MERGE_ROLES)
    form = MergeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        survivor = patient_by_mrn(scope, form.cleaned_data["survivor_mrn"])
        if survivor is None:
            form.add_error("survivor_mrn", _("No patient of your organization has this record number."))
        else:
            try:
                services.merge_patients(
                    scope=scope,
                    acting_user=request_user(request),
                    survivor_id=survivor.pk,
                    merged_id=patient.pk,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                if hasattr(error, "error_dict") and "merged_id" in error.error_dict:
                    error = ValidationError({"survivor_mrn": error.error_dict.pop("merged_id"), **error.error_dict})
                if hasattr(error, "error_dict") and "survivor_id" in error.error_dict:
                    error = ValidationError({"survivor_mrn": error.error_dict.pop("survivor_id"), **error.error_dict})
                add_service_errors(form, error)
            else:
                done = {"merged": patient.mrn, "survivor": survivor.mrn}
                messages.success(request, _("Record %(merged)s is merged into %(survivor)s.") % done)
                return redirect("clinical:patient_edit", survivor.pk)
    return render(request, "clinical/patient_merge.html", {"patient": patient, "form": form})


@login_required
def record_number_formats(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    ensure_clinical_role(scope, object_type="record_number_format", roles=MERGE_ROLES)
    facilities = registration_facilities(scope)
    form = RecordNumberFormatForm(request.POST or None, facilities=facilities)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_record_number_format(
                scope=scope,
                acting_user=request_user(request),
                pattern=form.cleaned_data["pattern"],
                facility=form.facilities.get(form.cleaned_data["facility"] or 0),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The record number format is saved; the next registration uses it."))
            return redirect("clinical:record_number_formats")
    return render(
        request, "clinical/record_number_formats.html", {"form": form, "formats": record_number_formats_of(scope)}
    )
