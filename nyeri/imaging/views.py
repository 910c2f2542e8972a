"""Imaging pages: a patient's orders and ordering, an order (in-house or referral), a referral,
referring a waiting procedure, and a facility's referral worklists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nyeri.accounts.models import User
from nyeri.clinical.access import access_patient
from nyeri.imaging import selectors, services
from nyeri.imaging.access import access_order, access_referral
from nyeri.imaging.forms import (
    AmendReportForm,
    AmendResultForm,
    CompleteForm,
    EnteredInErrorForm,
    OrderForm,
    ReasonForm,
    ReferForm,
    ResultForm,
)
from nyeri.imaging.models import ImagingOrder, ImagingResult, Referral
from nyeri.imaging.services import ImagingRefused
from nyeri.lib.bodysites import site_label
from nyeri.lib.http import request_user
from nyeri.procedures.access import access_procedure
from nyeri.tenancy.access import access_facility
from nyeri.tenancy.scope import Scope, request_scope
from nyeri.web.forms import add_service_errors
from nyeri.workforce.credentials.evidence import EXTENSIONS, path_of


def _language() -> str:
    return (translation.get_language() or "id").split("-")[0]


@login_required
def patient_imaging(request: HttpRequest, patient_id: int) -> HttpResponse:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose="imaging")
    form = OrderForm(
        request.POST or None, scope=scope, language=_language(), initial={"facility": patient.registered_at_id}
    )
    if request.method == "POST" and form.is_valid():
        try:
            order = services.order_imaging(
                scope=scope,
                acting_user=request_user(request),
                patient=patient,
                modality=form.cleaned_data["modality"],
                body_region=form.cleaned_data["body_region"],
                clinical_question=form.cleaned_data["clinical_question"],
                facility=form.cleaned_data["facility"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The examination is ordered."))
            return redirect("imaging:order", patient_id=patient.pk, order_id=order.pk)
    orders = selectors.patient_orders(scope, patient)
    for o in orders:
        o.region = site_label(o.body_region)  # type: ignore[attr-defined]
    waiting = selectors.procedures_waiting_for_equipment(scope, patient)
    status = 422 if request.method == "POST" else 200
    context = {"patient": patient, "orders": orders, "form": form, "waiting": waiting}
    return render(request, "imaging/patient.html", context, status=status)


def _correction_initial(history: selectors.ResultHistory | None) -> dict[str, Any]:
    if history is None:
        return {}
    latest = history.latest
    return {
        "version": latest.version,
        "findings": latest.findings,
        "impression": latest.impression,
        "report": latest.report,
    }


def _order_context(request: HttpRequest, scope: Scope, order: ImagingOrder, **forms: Any) -> dict[str, Any]:
    page = selectors.order_page(scope, order, request_user(request))
    initial = _correction_initial(page.history)
    return {
        "amend_form": forms.get("amend_form") or AmendResultForm(initial=initial),
        "error_form": forms.get("error_form") or EnteredInErrorForm(initial={"version": initial.get("version")}),
        "refused_title": forms.get("refused_title") or "",
        "patient": order.patient,
        "order": order,
        "page": page,
        "region": site_label(order.body_region),
        "equipment": services.equipment_label(page.kind),
        "result_form": forms.get("result_form") or ResultForm(),
        "refer_form": forms.get("refer_form") or ReferForm(destinations=page.network),
        "cancel_form": forms.get("cancel_form") or ReasonForm(),
        "refused": forms.get("refused") or [],
    }


def _patient_order(request: HttpRequest, patient_id: int, order_id: int) -> tuple[Scope, ImagingOrder]:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose="imaging")
    return scope, access_order(scope, order_id, patient=patient)


@login_required
def order_detail(request: HttpRequest, patient_id: int, order_id: int) -> HttpResponse:
    scope, order = _patient_order(request, patient_id, order_id)
    return render(request, "imaging/order.html", _order_context(request, scope, order))


@login_required
@require_POST
def record_result(request: HttpRequest, patient_id: int, order_id: int) -> HttpResponse:
    scope, order = _patient_order(request, patient_id, order_id)
    form = ResultForm(request.POST)
    if form.is_valid():
        try:
            services.record_imaging_result(
                scope=scope,
                acting_user=request_user(request),
                order=order,
                findings=form.cleaned_data["findings"],
                impression=form.cleaned_data["impression"],
                performed_at=form.cleaned_data["performed_at"],
            )
        except ImagingRefused as denied:
            context = _order_context(request, scope, order, result_form=form, refused=denied.messages())
            return render(request, "imaging/order.html", context, status=403)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The result is recorded."))
            return redirect("imaging:order", patient_id=order.patient_id, order_id=order.pk)
    return render(request, "imaging/order.html", _order_context(request, scope, order, result_form=form), status=422)


@login_required
@require_POST
def refer_order(request: HttpRequest, patient_id: int, order_id: int) -> HttpResponse:
    scope, order = _patient_order(request, patient_id, order_id)
    destinations = services.referral_destinations(order.facility, services.referral_kind(order=order))
    form = ReferForm(request.POST, destinations=destinations)
    if form.is_valid():
        try:
            referral = services.refer(
                scope=scope,
                acting_user=request_user(request),
                order=order,
                to_facility=form.cleaned_data["to_facility"],
                outside_name=form.cleaned_data["outside_name"],
                outside_address=form.cleaned_data["outside_address"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The referral is sent to %(place)s.") % {"place": referral.destination})
            return redirect("imaging:referral", referral_id=referral.pk)
    return render(request, "imaging/order.html", _order_context(request, scope, order, refer_form=form), status=422)


@login_required
@require_POST
def cancel_order(request: HttpRequest, patient_id: int, order_id: int) -> HttpResponse:
    scope, order = _patient_order(request, patient_id, order_id)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.cancel_imaging_order(
                scope=scope, acting_user=request_user(request), order=order, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The order is cancelled."))
            return redirect("imaging:order", patient_id=order.patient_id, order_id=order.pk)
    return render(request, "imaging/order.html", _order_context(request, scope, order, cancel_form=form), status=422)


@login_required
def refer_procedure(request: HttpRequest, patient_id: int, record_id: int) -> HttpResponse:
    """Refer a procedure waiting at a facility without its guidance equipment."""
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose="referral")
    record = access_procedure(scope, record_id, patient=patient)
    try:
        kind = services.referral_kind(procedure=record)
    except ValidationError:
        raise Http404("Nothing to refer") from None
    destinations = services.referral_destinations(record.facility, kind)
    form = ReferForm(request.POST or None, destinations=destinations)
    if request.method == "POST" and form.is_valid():
        try:
            referral = services.refer(
                scope=scope,
                acting_user=request_user(request),
                procedure=record,
                to_facility=form.cleaned_data["to_facility"],
                outside_name=form.cleaned_data["outside_name"],
                outside_address=form.cleaned_data["outside_address"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The referral is sent to %(place)s.") % {"place": referral.destination})
            return redirect("imaging:referral", referral_id=referral.pk)
    context = {
        "patient": patient,
        "record": record,
        "equipment": services.equipment_label(kind),
        "in_service_here": services.equipment_in_service(record.facility, kind),
        "network": destinations,
        "referrals": selectors.procedure_referrals(record),
        "form": form,
    }
    return render(request, "imaging/refer_procedure.html", context, status=422 if request.method == "POST" else 200)


def _referral_context(request: HttpRequest, scope: Scope, referral: Referral, **forms: Any) -> dict[str, Any]:
    history = selectors.referral_result_history(referral)
    initial = _correction_initial(history)
    return {
        "history": history,
        "amend_form": forms.get("amend_form") or AmendReportForm(initial=initial),
        "error_form": forms.get("error_form") or EnteredInErrorForm(initial={"version": initial.get("version")}),
        "referral": referral,
        "patient": referral.patient,
        "equipment": services.equipment_label(referral.equipment_kind),
        "region": site_label(referral.imaging_order.body_region) if referral.imaging_order else "",
        "may_answer": services.may_answer(scope, referral),
        "decline_form": forms.get("decline_form") or ReasonForm(),
        "complete_form": forms.get("complete_form") or CompleteForm(),
    }


@login_required
def referral_detail(request: HttpRequest, referral_id: int) -> HttpResponse:
    scope = request_scope(request)
    referral = access_referral(scope, referral_id)
    return render(request, "imaging/referral.html", _referral_context(request, scope, referral))


def _answer(request: HttpRequest, referral_id: int, what: str) -> HttpResponse:
    scope = request_scope(request)
    referral = access_referral(scope, referral_id)
    user = request_user(request)
    decline_form = ReasonForm(request.POST) if what == "decline" else None
    complete_form = CompleteForm(request.POST, request.FILES) if what == "complete" else None
    try:
        if what == "accept":
            services.accept_referral(scope=scope, acting_user=user, referral=referral)
            messages.success(request, _("The referral is accepted."))
        elif decline_form is not None and decline_form.is_valid():
            services.decline_referral(
                scope=scope, acting_user=user, referral=referral, reason=decline_form.cleaned_data["reason"]
            )
            messages.success(request, _("The referral is declined."))
        elif complete_form is not None and complete_form.is_valid():
            services.complete_referral(
                scope=scope,
                acting_user=user,
                referral=referral,
                report=complete_form.cleaned_data["report"],
                upload=complete_form.cleaned_data["file"],
            )
            messages.success(request, _("The result is attached and the referral is done."))
        else:
            raise ValidationError(_("Check the form."))
    except ValidationError as error:
        form = decline_form or complete_form
        context = _referral_context(request, scope, referral, decline_form=decline_form, complete_form=complete_form)
        if form is not None:
            add_service_errors(form, error)
        else:
            context["errors"] = error.messages
        return render(request, "imaging/referral.html", context, status=422)
    return redirect("imaging:referral", referral_id=referral.pk)


@login_required
@require_POST
def accept(request: HttpRequest, referral_id: int) -> HttpResponse:
    return _answer(request, referral_id, "accept")


@login_required
@require_POST
def decline(request: HttpRequest, referral_id: int) -> HttpResponse:
    return _answer(request, referral_id, "decline")


@login_required
@require_POST
def complete(request: HttpRequest, referral_id: int) -> HttpResponse:
    return _answer(request, referral_id, "complete")


@login_required
def result_file(request: HttpRequest, referral_id: int) -> FileResponse:
    """The returned file, streamed only to those who may read the referral (never from a public URL)."""
    referral = access_referral(request_scope(request), referral_id)
    if not referral.file_storage_name:
        raise Http404("No file")
    name = referral.file_name
    extensions = EXTENSIONS.get(referral.file_content_type, ())
    if extensions and not name.lower().endswith(extensions):
        name += extensions[0]
    response = FileResponse(
        path_of(referral.file_storage_name).open("rb"),
        as_attachment=True,
        filename=name,
        content_type=referral.file_content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def worklist(request: HttpRequest, facility_id: int) -> HttpResponse:
    scope = request_scope(request)
    services.ensure_clinical_role(scope, object_type="referral_worklist")
    facility = access_facility(scope, facility_id)
    lists = selectors.worklists(scope, facility, acting_user=request_user(request))
    return render(request, "imaging/worklist.html", {"lists": lists, "facility": facility})


# --- Corrections of results -------------------------------------------------------------------------


Correct = Callable[[Scope, User, dict[str, Any]], object]


def _correct_result(
    request: HttpRequest, patient_id: int, order_id: int, form: Form, form_key: str, write: Correct, done: str
) -> HttpResponse:
    """Amend or mark the in-house result through ``write``; refusals and field errors on the order page."""
    scope, order = _patient_order(request, patient_id, order_id)
    result = ImagingResult.objects.filter(order=order).select_related("order__facility").first()
    if result is None:
        raise Http404("No result")
    if form.is_valid():
        try:
            write(scope, request_user(request), {"result": result, **form.cleaned_data})
        except ImagingRefused as denied:
            context = _order_context(
                request,
                scope,
                order,
                **{form_key: form},
                refused=denied.messages(),
                refused_title=_("You may not correct this result:"),
            )
            return render(request, "imaging/order.html", context, status=403)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect("imaging:order", patient_id=order.patient_id, order_id=order.pk)
    context = _order_context(request, scope, order, **{form_key: form})
    return render(request, "imaging/order.html", context, status=422)


def _correct_referral_result(
    request: HttpRequest, referral_id: int, form: Form, form_key: str, write: Correct, done: str
) -> HttpResponse:
    """Amend or mark a referral's returned result through ``write``; field errors on the referral page."""
    scope = request_scope(request)
    referral = access_referral(scope, referral_id)
    if form.is_valid():
        try:
            write(scope, request_user(request), {"referral": referral, **form.cleaned_data})
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect("imaging:referral", referral_id=referral.pk)
    context = _referral_context(request, scope, referral, **{form_key: form})
    return render(request, "imaging/referral.html", context, status=422)


@login_required
@require_POST
def amend_result(request: HttpRequest, patient_id: int, order_id: int) -> HttpResponse:
    """Amend the in-house result: a new version, the earlier kept (refused with its reasons)."""
    return _correct_result(
        request,
        patient_id,
        order_id,
        AmendResultForm(request.POST),
        "amend_form",
        lambda scope, user, data: services.amend_imaging_result(scope=scope, acting_user=user, **data),
        _("The result is amended; the earlier version is kept."),
    )


@login_required
@require_POST
def result_entered_in_error(request: HttpRequest, patient_id: int, order_id: int) -> HttpResponse:
    return _correct_result(
        request,
        patient_id,
        order_id,
        EnteredInErrorForm(request.POST),
        "error_form",
        lambda scope, user, data: services.mark_result_entered_in_error(scope=scope, acting_user=user, **data),
        _("The result is marked entered in error; it is kept in the history."),
    )


@login_required
@require_POST
def amend_referral_result(request: HttpRequest, referral_id: int) -> HttpResponse:
    return _correct_referral_result(
        request,
        referral_id,
        AmendReportForm(request.POST),
        "amend_form",
        lambda scope, user, data: services.amend_referral_result(scope=scope, acting_user=user, **data),
        _("The result is amended; the earlier version is kept."),
    )


@login_required
@require_POST
def referral_result_entered_in_error(request: HttpRequest, referral_id: int) -> HttpResponse:
    return _correct_referral_result(
        request,
        referral_id,
        EnteredInErrorForm(request.POST),
        "error_form",
        lambda scope, user, data: services.mark_result_entered_in_error(scope=scope, acting_user=user, **data),
        _("The result is marked entered in error; it is kept in the history."),
    )
