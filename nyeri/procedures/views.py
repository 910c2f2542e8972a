"""Procedure pages: a patient's procedures, ordering, scheduling, performing, cancelling, amending,
marking entered in error, one procedure's history, the catalogue and a facility's worklist."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nyeri.clinical.access import access_patient, ensure_clinical_role
from nyeri.imaging.selectors import procedure_referrals, referral_result_history
from nyeri.lib.http import request_user
from nyeri.procedures import selectors, services
from nyeri.procedures.access import access_procedure
from nyeri.procedures.catalogue import catalogue, procedure
from nyeri.procedures.catalogue.schema import Procedure
from nyeri.procedures.forms import (
    AmendForm,
    CancelForm,
    EnteredInErrorForm,
    OrderForm,
    PerformForm,
    ScheduleForm,
)
from nyeri.procedures.kinds import ProcedureStatus
from nyeri.procedures.models import ProcedurePerformance, ProcedureRecord
from nyeri.procedures.refusals import ProcedureRefused
from nyeri.tenancy.access import access_facility
from nyeri.tenancy.clock import at_facility, input_value
from nyeri.tenancy.scope import Scope, request_scope
from nyeri.web.forms import add_service_errors
from nyeri.workforce.privileges import selectors as privilege_selectors
from nyeri.workforce.selectors import organization_person

if TYPE_CHECKING:
    from nyeri.clinical.models import Patient
    from nyeri.workforce.models import Person


def _label(record: ProcedureRecord | ProcedurePerformance) -> str:
    return selectors.procedure_label(record.procedure_code)


def _page(request: HttpRequest, template: str, context: dict[str, Any], refused: list[str]) -> HttpResponse:
    return render(request, template, {**context, "refused": refused}, status=403 if refused else 200)


def _patient_and_record(
    request: HttpRequest, patient_id: int, record_id: int, purpose: str
) -> tuple[Scope, Patient, ProcedureRecord]:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose=purpose)
    return scope, patient, access_procedure(scope, record_id, patient=patient)


@login_required
def patient_procedures(request: HttpRequest, patient_id: int) -> HttpResponse:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose="procedures")
    records = selectors.patient_procedures(scope, patient)
    return render(request, "procedures/patient_list.html", {"patient": patient, "records": records})


@login_required
def catalogue_page(request: HttpRequest) -> HttpResponse:
    ensure_clinical_role(request_scope(request), object_type="procedure")
    return render(request, "procedures/catalogue.html", {"catalogue": catalogue()})


@login_required
def order(request: HttpRequest, patient_id: int) -> HttpResponse:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose="procedure order")
    proc = procedure(request.POST.get("procedure") or request.GET.get("procedure", ""))
    if proc is None:
        # First choose the procedure: its rules make the form.
        return render(request, "procedures/choose.html", {"patient": patient, "catalogue": catalogue()})
    form = OrderForm(
        request.POST or None,
        scope=scope,
        patient=patient,
        proc=proc,
        initial={"facility": patient.registered_at_id},
    )
    refused: list[str] = []
    # "Check" re-reads the form for the chosen facility without ordering anything.
    ordering = request.method == "POST" and "check" not in request.POST
    if ordering and form.is_valid():
        try:
            record = services.order_procedure(
                scope=scope,
                acting_user=request_user(request),
                patient=patient,
                procedure_code=proc.code,
                body_site=form.cleaned_data["body_site"],
                laterality=form.cleaned_data["laterality"],
                guidance=form.cleaned_data["guidance"],
                anesthesia=form.cleaned_data["anesthesia"],
                facility=form.cleaned_data["facility"],
                encounter=form.cleaned_data["encounter"],
                indication=form.cleaned_data["indication"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except ProcedureRefused as denied:
            refused = denied.messages()
        else:
            messages.success(request, _("%(procedure)s is ordered.") % {"procedure": _label(record)})
            if request.POST.get("then") == "refer":
                return redirect("imaging:refer_procedure", patient.pk, record.pk)
            return redirect("procedures:detail", patient_id=patient.pk, record_id=record.pk)
    context = {"patient": patient, "form": form, "proc": proc, "check": _order_check(scope, form, proc)}
    return _page(request, "procedures/order_form.html", context, refused)


def _order_check(scope: Scope, form: OrderForm, proc: Procedure) -> selectors.PlanCheck | None:
    """What the chosen facility lacks for this procedure, said before ordering."""
    chosen = form.data.get("facility") if form.is_bound else form.initial.get("facility")
    facilities = form.fields["facility"].queryset  # type: ignore[attr-defined]
    facility = facilities.filter(pk=chosen).first() if str(chosen or "").isdigit() else None
    facility = facility or facilities.first()
    if facility is None:
        return None
    guidance = (form.data.get("guidance") if form.is_bound else "") or proc.guidance[0]
    anesthesia = (form.data.get("anesthesia") if form.is_bound else "") or proc.anesthesia
    if guidance not in proc.guidance or anesthesia not in proc.anesthesia_levels:
        return None
    return selectors.facility_check(scope, facility, proc, guidance=guidance, anesthesia=anesthesia)


def _detail_context(
    scope: Scope, patient: Patient, record: ProcedureRecord, error_form: EnteredInErrorForm | None = None
) -> dict[str, Any]:
    versions = selectors.procedure_history(scope, record)
    check = selectors.plan_check(scope, record)
    referrals = procedure_referrals(record)
    is_open = record.status in ("ordered", "scheduled")
    done = next((r for r in referrals if r.status == "done"), None)
    context = {
        "patient": patient,
        "record": record,
        "versions": versions,
        "current": versions[-1] if versions else None,
        "proc": procedure(record.procedure_code),
        "check": check,
        "open": is_open,
        "referrals": referrals,
        # The referral that closed the record as performed elsewhere (its result is the record's).
        "done_referral": done,
        "elsewhere_result": referral_result_history(done) if done is not None else None,
        # Refer: the guidance equipment is not in service here, and no referral is open.
        "may_refer": is_open
        and check is not None
        and bool(check.equipment_reasons)
        and not any(r.status in ("sent", "accepted") for r in referrals),
        # Marking it entered in error: a performed procedure, at the version shown.
        "error_form": error_form
        or (EnteredInErrorForm(initial={"version": versions[-1].version}) if versions else None),
        # Focused review (FPPE) of a privilege: the case waiting for, or signed off by, a proctor.
        "proctor_case": privilege_selectors.case_for_procedure(scope, record.pk) if versions else None,
    }
    return context


@login_required
def detail(request: HttpRequest, patient_id: int, record_id: int) -> HttpResponse:
    scope, patient, record = _patient_and_record(request, patient_id, record_id, "procedure")
    return render(request, "procedures/detail.html", _detail_context(scope, patient, record))


@login_required
@require_POST
def entered_in_error(request: HttpRequest, patient_id: int, record_id: int) -> HttpResponse:
    scope, patient, record = _patient_and_record(request, patient_id, record_id, "procedure entered in error")
    form = EnteredInErrorForm(request.POST)
    if form.is_valid():
        try:
            services.mark_performance_entered_in_error(
                scope=scope,
                acting_user=request_user(request),
                record=record,
                reason=form.cleaned_data["reason"],
                version=form.cleaned_data["version"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(procedure)s is marked entered in error; the record and every version are kept.")
                % {"procedure": _label(record)},
            )
            return redirect("procedures:detail", patient_id=patient.pk, record_id=record.pk)
    elif "version" in form.errors:
        # The hidden version is missing or not a number (a page not from here).
        form.errors["version"] = form.error_class([_("Open the procedure again and mark its current version.")])
    # The version is a hidden field: its refusal is shown above the form.
    for message in form.errors.pop("version", []):
        form.add_error(None, message)
    context = _detail_context(scope, patient, record, error_form=form)
    return render(request, "procedures/detail.html", context, status=422)


@login_required
def schedule(request: HttpRequest, patient_id: int, record_id: int) -> HttpResponse:
    scope, patient, record = _patient_and_record(request, patient_id, record_id, "procedure schedule")
    form = ScheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.schedule_procedure(
                scope=scope,
                acting_user=request_user(request),
                record=record,
                scheduled_for=form.cleaned_data["scheduled_for"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(procedure)s is scheduled.") % {"procedure": _label(record)})
            return redirect("procedures:detail", patient_id=patient.pk, record_id=record.pk)
    return render(request, "procedures/schedule.html", {"patient": patient, "record": record, "form": form})


@login_required
def cancel(request: HttpRequest, patient_id: int, record_id: int) -> HttpResponse:
    scope, patient, record = _patient_and_record(request, patient_id, record_id, "procedure cancel")
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.cancel_procedure(
                scope=scope, acting_user=request_user(request), record=record, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(procedure)s is cancelled.") % {"procedure": _label(record)})
            return redirect("procedures:detail", patient_id=patient.pk, record_id=record.pk)
    return render(request, "procedures/cancel.html", {"patient": patient, "record": record, "form": form})


def _person(scope: Scope, person_id: int | None) -> Person | None:
    if person_id is None:
        return None
    return organization_person(scope, person_id)


def _perform_form(
    request: HttpRequest, scope: Scope, record: ProcedureRecord, form_class: type[PerformForm], initial: dict[str, Any]
) -> tuple[PerformForm, Procedure | None]:
    proc = procedure(record.procedure_code)
    options = selectors.candidates(scope, record.facility, proc).options if proc is not None else ()
    level = request.POST.get("anesthesia") or initial.get("anesthesia") or record.anesthesia
    form = form_class(
        request.POST or None,
        proc=proc or catalogue().procedures[0],
        options=options,
        level=level,
        operators=selectors.c_arm_operators(scope, record.facility),
        nurses=selectors.monitoring_nurses(scope, record.facility),
        initial=initial,
    )
    return form, proc


def _performance_fields(scope: Scope, form: PerformForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "procedure_code": data["procedure_code"],
        "performed_at": data["performed_at"],
        "performer": _person(scope, form.person_id("performer")),
        "anesthesiologist": _person(scope, form.person_id("anesthesiologist")),
        "imaging_operator": _person(scope, form.person_id("imaging_operator")),
        "monitoring_nurse": _person(scope, form.person_id("monitoring_nurse")),
        "anesthesia": data["anesthesia"],
        "guidance": data["guidance"],
        "body_site": data["body_site"],
        "laterality": data["laterality"],
        "pain_before": data["pain_before"],
        "pain_after": data["pain_after"],
        "complications": data["complications"],
        "complication_note": data["complication_note"],
        "note": data["note"],
    }


@login_required
def perform(request: HttpRequest, patient_id: int, record_id: int) -> HttpResponse:
    scope, patient, record = _patient_and_record(request, patient_id, record_id, "procedure performance")
    initial = {
        "procedure_code": record.procedure_code,
        "body_site": record.body_site,
        "laterality": record.laterality,
        "guidance": record.guidance,
        "anesthesia": record.anesthesia,
        "performed_at": input_value(None, record.facility),
    }
    form, _proc = _perform_form(request, scope, record, PerformForm, initial)
    refused: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            services.record_performance(
                scope=scope, acting_user=request_user(request), record=record, **_performance_fields(scope, form)
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except ProcedureRefused as denied:
            refused = denied.messages()
        else:
            messages.success(request, _("%(procedure)s is recorded as performed.") % {"procedure": _label(record)})
            return redirect("procedures:detail", patient_id=patient.pk, record_id=record.pk)
    context = {"patient": patient, "record": record, "form": form, "amending": None}
    return _page(request, "procedures/perform_form.html", context, refused)


@login_required
def amend(request: HttpRequest, patient_id: int, record_id: int) -> HttpResponse:
    scope, patient, record = _patient_and_record(request, patient_id, record_id, "procedure amendment")
    versions = selectors.procedure_history(scope, record)
    if not versions:
        messages.error(request, _("Only a performed procedure is amended."))
        return redirect("procedures:detail", patient_id=patient.pk, record_id=record.pk)
    if record.status == ProcedureStatus.ENTERED_IN_ERROR:
        messages.error(
            request, _("This procedure was entered in error: it is kept as it was and not amended any more.")
        )
        return redirect("procedures:detail", patient_id=patient.pk, record_id=record.pk)
    current = versions[-1]
    initial = {
        "procedure_code": current.procedure_code,
        "performed_at": input_value(current.performed_at, record.facility),
        "performer": str(current.performer_id),
        "anesthesiologist": str(current.anesthesiologist_id or ""),
        "imaging_operator": str(current.imaging_operator_id or ""),
        "monitoring_nurse": str(current.monitoring_nurse_id or ""),
        "anesthesia": current.anesthesia,
        "guidance": current.guidance,
        "body_site": current.body_site,
        "laterality": current.laterality,
        "pain_before": current.pain_before,
        "pain_after": current.pain_after,
        "complications": [c.kind for c in current.complications.all()],
        "complication_note": current.complication_note,
        "note": current.note,
    }
    form, _proc = _perform_form(request, scope, record, AmendForm, initial)
    refused: list[str] = []
    if request.method == "POST" and form.is_valid():
        fields = _performance_fields(scope, form)
        # The form shows the time to the minute (on the facility's clock): the same minute is the same time.
        typed = at_facility(fields["performed_at"], record.facility)
        if typed == current.performed_at.replace(second=0, microsecond=0):
            fields["performed_at"] = current.performed_at
        try:
            services.amend_performance(
                scope=scope,
                acting_user=request_user(request),
                performance=current,
                reason=form.cleaned_data["reason"],
                **fields,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except ProcedureRefused as denied:
            refused = denied.messages()
        else:
            messages.success(request, _("%(procedure)s is amended.") % {"procedure": _label(record)})
            return redirect("procedures:detail", patient_id=patient.pk, record_id=record.pk)
    context = {"patient": patient, "record": record, "form": form, "amending": current}
    return _page(request, "procedures/perform_form.html", context, refused)


@login_required
def worklist(request: HttpRequest, facility_id: int) -> HttpResponse:
    scope = request_scope(request)
    facility = access_facility(scope, facility_id)
    work = selectors.facility_worklist(scope, facility)
    return render(request, "procedures/worklist.html", {"facility": facility, "work": work})
