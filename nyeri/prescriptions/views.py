"""Prescription pages: a patient's prescriptions, new (and edit) a draft, check, sign, detail,
cancel, reissue, print. Thin: parse, call one service or selector, render."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import user_has_device

from nyeri.accounts.reauth import ReauthenticationRequired, has_recent_authentication, reauthenticate_url
from nyeri.clinical.access import access_patient
from nyeri.lib.http import request_user
from nyeri.prescriptions import display, selectors, services
from nyeri.prescriptions.access import access_prescription
from nyeri.prescriptions.forms import (
    BaseItemFormSet,
    CancelForm,
    PrescriptionForm,
    ReissueForm,
    SignForm,
    add_service_errors,
    item_formset,
    new_key,
)
from nyeri.prescriptions.models import Prescription, PrescriptionItem
from nyeri.prescriptions.safety import format_number
from nyeri.prescriptions.signing import CODE_FIELD, SessionSecondFactor, legal_statement
from nyeri.tenancy.refusals import ActionRefused
from nyeri.tenancy.scope import Scope, request_scope

if TYPE_CHECKING:
    from nyeri.clinical.models import Patient

ROWS = 3


def _frequency_value(value: Decimal) -> str:
    return str(value.quantize(Decimal(1))) if value == value.to_integral_value() else str(value.normalize())


def _rows_of(items: list[PrescriptionItem]) -> list[dict[str, Any]]:
    return [
        {
            "medication": i.medication_code,
            "dose": format_number(i.dose),
            "frequency": _frequency_value(i.doses_per_day),
            "as_needed": i.as_needed,
            "days": i.days,
            "instructions": i.instructions,
        }
        for i in items
    ]


def _item_lines(prescription: Prescription, items: list[PrescriptionItem]) -> list[dict[str, Any]]:
    """Items with what a page shows about them."""
    language = display.language()
    return [
        {
            "item": i,
            "label": i.label(language),
            "directions": display.directions(i),
            "quantity": display.units(i.dose_unit, i.quantity),
            "controlled": display.controlled_label(prescription.jurisdiction, i.controlled_class),
        }
        for i in items
    ]


def _patient_and_prescription(
    request: HttpRequest, patient_id: int, prescription_id: int, purpose: str
) -> tuple[Scope, Patient, Prescription]:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose=purpose)
    return scope, patient, access_prescription(scope, prescription_id, patient_id=patient.pk)


@login_required
def patient_prescriptions(request: HttpRequest, patient_id: int) -> HttpResponse:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose="prescriptions")
    found = selectors.patient_prescriptions(scope, patient)
    may = services.privilege(scope, services.default_facility(scope, patient), controlled=False)
    language = display.language()
    rows = [{"prescription": p, "items": [i.label(language) for i in p.items.all()]} for p in found]
    return render(request, "prescriptions/list.html", {"patient": patient, "rows": rows, "may": may})


def _form_page(
    request: HttpRequest,
    *,
    patient: Patient,
    form: PrescriptionForm,
    formset: BaseItemFormSet,
    prescription: Prescription | None,
    refused: tuple[str, ...] = (),
) -> HttpResponse:
    return render(
        request,
        "prescriptions/form.html",
        {"patient": patient, "form": form, "formset": formset, "prescription": prescription, "refused": refused},
        status=403 if refused else 200,
    )


def _grow(request: HttpRequest, formset: BaseItemFormSet, jurisdiction: str) -> BaseItemFormSet:
    """The same rows as submitted plus an empty one ("add a row", without JavaScript)."""
    initial = [form.cleaned_data for form in formset.forms if form.is_valid()]
    return item_formset(None, jurisdiction=jurisdiction, initial=initial, rows=len(formset.forms) + 1)


@login_required
@never_cache
def new(request: HttpRequest, patient_id: int) -> HttpResponse:
    scope = request_scope(request)
    patient = access_patient(scope, patient_id, purpose="prescription form")
    jurisdiction = scope.organization.jurisdiction
    initial = {"facility": services.default_facility(scope, patient).pk, "idempotency_key": new_key()}
    form = PrescriptionForm(request.POST or None, scope=scope, initial=initial)
    formset = item_formset(request.POST or None, jurisdiction=jurisdiction, rows=ROWS)
    refused: tuple[str, ...] = ()
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        if "add_row" in request.POST:
            formset = _grow(request, formset, jurisdiction)
        else:
            rows = formset.rows()
            try:
                written = services.create_prescription(
                    scope=scope,
                    acting_user=request_user(request),
                    patient=patient,
                    items=[item for _n, item in rows],
                    idempotency_key=form.cleaned_data["idempotency_key"],
                    facility=form.cleaned_data["facility"],
                )
            except ValidationError as error:
                add_service_errors(form, formset, error, [n for n, _item in rows])
            except ActionRefused as denied:
                refused = denied.reasons
            else:
                if written.created:
                    messages.success(request, _("The draft prescription is saved. Check it, then sign it."))
                return redirect("prescriptions:check", patient_id=patient.pk, prescription_id=written.prescription.pk)
    return _form_page(request, patient=patient, form=form, formset=formset, prescription=None, refused=refused)


@login_required
@never_cache
def edit(request: HttpRequest, patient_id: int, prescription_id: int) -> HttpResponse:
    scope, patient, prescription = _patient_and_prescription(request, patient_id, prescription_id, "prescription edit")
    if not prescription.is_draft:
        return redirect("prescriptions:detail", patient_id=patient.pk, prescription_id=prescription.pk)
    items = selectors.items_of(prescription)
    initial = {"facility": prescription.facility_id, "idempotency_key": prescription.idempotency_key}
    form = PrescriptionForm(request.POST or None, scope=scope, initial=initial)
    formset = item_formset(
        request.POST or None, jurisdiction=prescription.jurisdiction, initial=_rows_of(items), rows=len(items) + 1
    )
    refused: tuple[str, ...] = ()
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        if "add_row" in request.POST:
            formset = _grow(request, formset, prescription.jurisdiction)
        else:
            rows = formset.rows()
            try:
                services.update_draft(
                    scope=scope,
                    acting_user=request_user(request),
                    prescription=prescription,
                    items=[item for _n, item in rows],
                    facility=form.cleaned_data["facility"],
                )
            except ValidationError as error:
                add_service_errors(form, formset, error, [n for n, _item in rows])
            except ActionRefused as denied:
                refused = denied.reasons
            else:
                messages.success(request, _("The draft prescription is changed."))
                return redirect("prescriptions:check", patient_id=patient.pk, prescription_id=prescription.pk)
    return _form_page(request, patient=patient, form=form, formset=formset, prescription=prescription, refused=refused)


def _review_context(scope: Scope, patient: Patient, prescription: Prescription) -> dict[str, Any]:
    """What the check and sign pages show: items with MME, totals, warnings, and whether the engine allows."""
    items = selectors.items_of(prescription)
    check = selectors.safety_check(prescription, items)
    may = services.privilege(scope, prescription.facility, controlled=check.controlled)
    return {
        "patient": patient,
        "prescription": prescription,
        "lines": _item_lines(prescription, items),
        "check": check,
        "warnings": [w.message() for w in check.warnings],
        "others": [{"line": o, "label": o.label(display.language())} for o in check.others],
        "may": may,
        "is_author": prescription.created_by_id == scope.user.pk,
    }


@login_required
@never_cache
def check(request: HttpRequest, patient_id: int, prescription_id: int) -> HttpResponse:
    scope, patient, prescription = _patient_and_prescription(request, patient_id, prescription_id, "prescription check")
    if not prescription.is_draft:
        return redirect("prescriptions:detail", patient_id=patient.pk, prescription_id=prescription.pk)
    return render(request, "prescriptions/check.html", _review_context(scope, patient, prescription))


@login_required
@never_cache
def sign(request: HttpRequest, patient_id: int, prescription_id: int) -> HttpResponse:
    scope, patient, prescription = _patient_and_prescription(request, patient_id, prescription_id, "prescription sign")
    user = request_user(request)
    if not prescription.is_draft:
        return redirect("prescriptions:detail", patient_id=patient.pk, prescription_id=prescription.pk)
    context = _review_context(scope, patient, prescription)
    controlled = context["check"].controlled
    has_device = user_has_device(user, confirmed=True)
    if controlled and has_device and not has_recent_authentication(request):
        # The password (and second factor) again first, then back to this page.
        return redirect(reauthenticate_url(request.get_full_path()))
    form = SignForm(request.POST if request.method == "POST" else None)
    refused: tuple[str, ...] = ()
    if request.method == "POST" and form.is_valid():
        factor = SessionSecondFactor(request, form.cleaned_data["code"]) if controlled else None
        try:
            services.sign_prescription(
                scope=scope,
                acting_user=user,
                prescription=prescription,
                justification=form.cleaned_data["justification"],
                second_factor=factor,
            )
        except ReauthenticationRequired:
            return redirect(reauthenticate_url(request.get_full_path()))
        except ValidationError as error:
            if getattr(error, "code", None) == "already_signed":
                messages.info(request, _("This prescription was already signed."))
                return redirect("prescriptions:detail", patient_id=patient.pk, prescription_id=prescription.pk)
            add_service_errors(form, None, error, [])
        except ActionRefused as denied:
            refused = denied.reasons
        else:
            messages.success(request, _("The prescription is signed."))
            return redirect("prescriptions:detail", patient_id=patient.pk, prescription_id=prescription.pk)
    context.update(
        {
            "form": form,
            "refused": refused or (() if context["may"].allowed else context["may"].reasons),
            "controlled": controlled,
            "has_device": has_device,
            "statement": legal_statement(prescription.jurisdiction) if controlled else "",
            "code_field": CODE_FIELD,
        }
    )
    return render(request, "prescriptions/sign.html", context, status=403 if refused else 200)


@login_required
def detail(request: HttpRequest, patient_id: int, prescription_id: int) -> HttpResponse:
    scope, patient, prescription = _patient_and_prescription(request, patient_id, prescription_id, "prescription")
    items = selectors.items_of(prescription)
    reissued = Prescription.objects.filter(reissue_of=prescription).first()
    return render(
        request,
        "prescriptions/detail.html",
        {
            "patient": patient,
            "prescription": prescription,
            "lines": _item_lines(prescription, items),
            "warnings": [_warning_text(code) for code in prescription.warnings],
            "reissued": reissued,
            "reissue_form": ReissueForm(initial={"idempotency_key": new_key()}),
            "is_author": prescription.created_by_id == scope.user.pk,
            "second_factor": display.second_factor_label(prescription.second_factor),
        },
    )


def _warning_text(code: str) -> str:
    names = {
        "mme_warn": _("At or above the lower MME threshold"),
        "mme_justify": _("At or above the upper MME threshold (justified)"),
        "opioid_benzodiazepine": _("An opioid with a benzodiazepine"),
        "opioid_benzodiazepine_active": _("An opioid with a benzodiazepine of another active prescription"),
        "mme_not_counted": _("An opioid without an MME factor"),
    }
    return str(names.get(code, code))


@login_required
def cancel(request: HttpRequest, patient_id: int, prescription_id: int) -> HttpResponse:
    scope, patient, prescription = _patient_and_prescription(
        request, patient_id, prescription_id, "prescription cancel"
    )
    form = CancelForm(request.POST if request.method == "POST" else None)
    refused: tuple[str, ...] = ()
    if request.method == "POST" and form.is_valid():
        try:
            services.cancel_prescription(
                scope=scope,
                acting_user=request_user(request),
                prescription=prescription,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_service_errors(form, None, error, [])
        except ActionRefused as denied:
            refused = denied.reasons
        else:
            messages.success(request, _("The prescription is cancelled; it stays in the record with the reason."))
            return redirect("prescriptions:detail", patient_id=patient.pk, prescription_id=prescription.pk)
    return render(
        request,
        "prescriptions/cancel.html",
        {"patient": patient, "prescription": prescription, "form": form, "refused": refused},
        status=403 if refused else 200,
    )


@login_required
@require_POST
def reissue(request: HttpRequest, patient_id: int, prescription_id: int) -> HttpResponse:
    scope, patient, prescription = _patient_and_prescription(
        request, patient_id, prescription_id, "prescription reissue"
    )
    form = ReissueForm(request.POST)
    back = reverse("prescriptions:detail", kwargs={"patient_id": patient.pk, "prescription_id": prescription.pk})
    if not form.is_valid():
        messages.error(request, _("The form was incomplete: try again."))
        return redirect(back)
    try:
        written = services.reissue_prescription(
            scope=scope,
            acting_user=request_user(request),
            prescription=prescription,
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(back)
    except ActionRefused as denied:
        for reason in denied.reasons:
            messages.error(request, reason)
        return redirect(back)
    messages.success(
        request, _("A new draft repeats the cancelled prescription: check it, change it if needed, sign it.")
    )
    return redirect("prescriptions:edit", patient_id=patient.pk, prescription_id=written.prescription.pk)


@login_required
def pdf(request: HttpRequest, patient_id: int, prescription_id: int) -> HttpResponse:
    scope, patient, prescription = _patient_and_prescription(request, patient_id, prescription_id, "prescription print")
    try:
        content = services.export_pdf(scope=scope, acting_user=request_user(request), prescription=prescription)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("prescriptions:detail", patient_id=patient.pk, prescription_id=prescription.pk)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{prescription.number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
