"""Encounter pages: a patient's care timeline, a new encounter, the encounter with its participants."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nyeri.clinical.access import access_patient
from nyeri.clinical.assessments.display import describe, series_tables
from nyeri.clinical.assessments.selectors import assessment_series
from nyeri.clinical.encounters import selectors, services
from nyeri.clinical.encounters.forms import CancelForm, EncounterForm, FinishForm, ParticipantForm
from nyeri.clinical.models import EncounterStatus
from nyeri.lib.http import request_user
from nyeri.tenancy.scope import request_scope
from nyeri.web.forms import add_service_errors


@login_required
def timeline(request: HttpRequest, patient_id: int) -> HttpResponse:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose="care timeline")
    found = selectors.patient_timeline(scope, patient)
    return render(
        request,
        "clinical/encounters/timeline.html",
        {
            "patient": patient,
            "visits": [(e, [describe(a, brief=True) for a in e.assessments.all()]) for e in found.encounters],
            "unlinked": [describe(a, brief=True) for a in found.unlinked],
            "tables": series_tables(assessment_series(scope, patient)),
        },
    )


@login_required
def new(request: HttpRequest, patient_id: int) -> HttpResponse:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose="new encounter")
    form = EncounterForm(request.POST or None, scope=scope)
    if request.method == "POST" and form.is_valid():
        try:
            encounter = services.create_encounter(
                scope=scope,
                acting_user=request_user(request),
                patient=patient,
                facility=form.cleaned_data["facility"],
                kind=form.cleaned_data["kind"],
                starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data.get("ends_at"),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The encounter is recorded."))
            return redirect("clinical:encounter_detail", encounter_id=encounter.pk)
    return render(request, "clinical/encounters/new.html", {"patient": patient, "form": form})


def _detail_page(request: HttpRequest, encounter_id: int, status: int = 200, **forms: Any) -> HttpResponse:
    scope = request_scope(request)
    encounter = selectors.encounter_detail(scope, encounter_id, purpose="encounter page")
    is_open = encounter.status != EncounterStatus.CANCELLED
    participant_form = forms.get("participant_form") or (ParticipantForm(encounter=encounter) if is_open else None)
    context = {
        "encounter": encounter,
        "patient": encounter.patient,
        "assessments": [describe(a, brief=True) for a in encounter.assessments.all()],
        "participant_form": participant_form,
        "finish_form": forms.get("finish_form")
        or (FinishForm(facility=encounter.facility) if encounter.status == EncounterStatus.IN_PROGRESS else None),
        "cancel_form": forms.get("cancel_form") or (CancelForm() if is_open else None),
    }
    return render(request, "clinical/encounters/detail.html", context, status=status)


@login_required
def detail(request: HttpRequest, encounter_id: int) -> HttpResponse:
    return _detail_page(request, encounter_id)


@require_POST
@login_required
def add_participant(request: HttpRequest, encounter_id: int) -> HttpResponse:
    scope = request_scope(request)
    encounter = selectors.access_encounter(scope, encounter_id)
    form = ParticipantForm(request.POST, encounter=encounter)
    if form.is_valid():
        try:
            participant = services.add_participant(
                scope=scope,
                acting_user=request_user(request),
                encounter=encounter,
                person=form.cleaned_data["person"],
                role=form.cleaned_data["role"],
                minutes=form.cleaned_data["minutes"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(person)s is added to the encounter.") % {"person": participant.person.full_name},
            )
            return redirect("clinical:encounter_detail", encounter_id=encounter.pk)
    return _detail_page(request, encounter.pk, participant_form=form)


@require_POST
@login_required
def finish(request: HttpRequest, encounter_id: int) -> HttpResponse:
    scope = request_scope(request)
    encounter = selectors.access_encounter(scope, encounter_id)
    form = FinishForm(request.POST, facility=encounter.facility)
    if form.is_valid():
        try:
            services.finish_encounter(
                scope=scope,
                acting_user=request_user(request),
                encounter=encounter,
                ends_at=form.cleaned_data.get("ends_at"),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The encounter is finished."))
            return redirect("clinical:encounter_detail", encounter_id=encounter.pk)
    return _detail_page(request, encounter.pk, finish_form=form)


@require_POST
@login_required
def cancel(request: HttpRequest, encounter_id: int) -> HttpResponse:
    scope = request_scope(request)
    encounter = selectors.access_encounter(scope, encounter_id)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.cancel_encounter(
                scope=scope, acting_user=request_user(request), encounter=encounter, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The encounter is cancelled; it stays on record with the reason."))
            return redirect("clinical:encounter_detail", encounter_id=encounter.pk)
    return _detail_page(request, encounter.pk, cancel_form=form)
