"""Assessment pages: choose an instrument, record, detail with history, amend, entered in error."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from nyeri.clinical.access import access_patient
from nyeri.clinical.assessments import selectors, services
from nyeri.clinical.assessments.display import describe
from nyeri.clinical.assessments.forms import AssessmentForm, ReasonForm
from nyeri.clinical.encounters.selectors import access_encounter
from nyeri.clinical.instruments import all_instruments, instrument
from nyeri.clinical.models import Encounter
from nyeri.lib.http import request_user
from nyeri.tenancy.refusals import ActionRefused
from nyeri.tenancy.scope import request_scope


def _refused(request: HttpRequest, error: ActionRefused) -> HttpResponse:
    return render(request, "clinical/assessments/refused.html", {"reasons": error.reasons}, status=403)


def _encounter_of(request: HttpRequest, patient_id: int) -> Encounter | None:
    raw = request.GET.get("encounter") or request.POST.get("encounter") or ""
    if not raw.isdigit():
        return None
    encounter = access_encounter(request_scope(request), int(raw))
    if encounter.patient_id != patient_id:
        raise Http404("No such encounter")
    return encounter


@login_required
def record(request: HttpRequest, patient_id: int) -> HttpResponse:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose="record assessment")
    encounter = _encounter_of(request, patient.pk)
    code = request.GET.get("instrument", "")
    found = instrument(code) if code else None
    if found is None:
        return render(
            request,
            "clinical/assessments/choose.html",
            {
                "patient": patient,
                "encounter": encounter,
                "instruments": sorted(all_instruments().values(), key=lambda i: i.name(get_language())),
                "unknown": code,
            },
            status=404 if code else 200,
        )
    form = AssessmentForm(
        request.POST or None, instrument=found, scope=scope, with_facility=encounter is None, encounter=encounter
    )
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.record_assessment(
                scope=scope,
                acting_user=request_user(request),
                patient=patient,
                instrument_code=found.code,
                answers=form.answers(),
                encounter=encounter,
                facility=form.cleaned_data.get("facility"),
                recorded_at=form.cleaned_data.get("recorded_at"),
                source=form.cleaned_data["source"],
                body_sites=form.body_sites(),
                pain_character=form.cleaned_data.get("pain_character") or "",
            )
        except ValidationError as error:
            form.add_service_errors(error)
        except ActionRefused as error:
            return _refused(request, error)
        else:
            messages.success(request, _("The assessment is recorded; its scores are below."))
            return redirect("clinical:assessment_detail", assessment_id=assessment.pk)
    return render(
        request,
        "clinical/assessments/form.html",
        {
            "patient": patient,
            "encounter": encounter,
            "instrument": found,
            "instructions": found.instructions(get_language()),
            "form": form,
            "amending": None,
        },
    )


@login_required
def detail(request: HttpRequest, assessment_id: int) -> HttpResponse:
    history = selectors.assessment_detail(request_scope(request), assessment_id, purpose="assessment page")
    return render(
        request,
        "clinical/assessments/detail.html",
        {
            "history": history,
            "a": history.assessment,
            "view": describe(history.assessment),
            "versions": [describe(v) for v in reversed(history.versions)],
        },
    )


@login_required
def amend(request: HttpRequest, assessment_id: int) -> HttpResponse:
    scope = request_scope(request)
    assessment = selectors.access_assessment(scope, assessment_id)
    found = instrument(assessment.instrument_code)
    if found is None:
        # The instrument's file was removed: its assessments are read, no longer scored.
        raise Http404("No such instrument")
    form = AssessmentForm(request.POST or None, instrument=found, scope=scope, with_facility=False, amending=assessment)
    if request.method == "POST" and form.is_valid():
        try:
            amendment = services.amend_assessment(
                scope=scope,
                acting_user=request_user(request),
                assessment=assessment,
                reason=form.cleaned_data.get("reason") or "",
                answers=form.answers(),
                recorded_at=form.cleaned_data.get("recorded_at"),
                source=form.cleaned_data["source"],
                body_sites=form.body_sites(),
                pain_character=form.cleaned_data.get("pain_character") or "",
            )
        except ValidationError as error:
            form.add_service_errors(error)
        except ActionRefused as error:
            return _refused(request, error)
        else:
            messages.success(request, _("The amendment is recorded; the earlier version is kept in the history."))
            return redirect("clinical:assessment_detail", assessment_id=amendment.pk)
    return render(
        request,
        "clinical/assessments/form.html",
        {
            "patient": assessment.patient,
            "encounter": assessment.encounter,
            "instrument": found,
            "instructions": found.instructions(get_language()),
            "form": form,
            "amending": assessment,
        },
    )


@login_required
def entered_in_error(request: HttpRequest, assessment_id: int) -> HttpResponse:
    scope = request_scope(request)
    assessment = selectors.access_assessment(scope, assessment_id)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.mark_entered_in_error(
                scope=scope,
                acting_user=request_user(request),
                assessment=assessment,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        except ActionRefused as error:
            return _refused(request, error)
        else:
            messages.success(
                request, _("The assessment is marked entered in error; it is kept, and left out of trends.")
            )
            return redirect("clinical:assessment_detail", assessment_id=assessment.pk)
    return render(request, "clinical/assessments/entered_in_error.html", {"a": assessment, "form": form})
