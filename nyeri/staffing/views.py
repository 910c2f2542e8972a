"""Staffing pages: a facility's plan with the "what if" preview, and the organization's rules."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nyeri.facilities.access import deny, may_add_equipment, may_edit_profile
from nyeri.facilities.inputs import load_inputs
from nyeri.lib.http import request_user
from nyeri.staffing import selectors, services
from nyeri.staffing.forms import PreviewForm, ResetForm, RuleForm
from nyeri.staffing.loader import effective_rules
from nyeri.tenancy.scope import request_scope
from nyeri.web.forms import add_service_errors


@login_required
def plan(request: HttpRequest, facility_id: int) -> HttpResponse:
    scope = request_scope(request)
    facility = selectors.access_plan_facility(scope, facility_id)
    found = selectors.staffing_plan(scope, facility)
    form = PreviewForm(inputs=found.plan.inputs)
    return render(
        request,
        "staffing/plan.html",
        {"facility": facility, "found": found, "plan": found.plan, "form": form, "tab": "plan", "reads_plan": True},
    )


@login_required
@require_POST
def preview(request: HttpRequest, facility_id: int) -> HttpResponse:
    """The plan now and after the proposed change, side by side. Nothing is saved."""
    scope = request_scope(request)
    facility = selectors.access_plan_facility(scope, facility_id)
    form = PreviewForm(request.POST, inputs=load_inputs(facility))
    result = None
    if form.is_valid():
        try:
            result = selectors.preview_plan(scope, facility, form.proposal())
        except ValidationError as error:
            add_service_errors(form, error)
    return render(
        request,
        "staffing/preview.html",
        {
            "facility": facility,
            "form": form,
            "preview": result,
            "tab": "plan",
            "reads_plan": True,
            "may_add_equipment": may_add_equipment(scope),
            "may_edit_profile": may_edit_profile(scope),
        },
        status=200 if result is not None else 400,
    )


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    overview = selectors.rules_overview(scope)
    language = selectors.language()
    base = overview.base.file
    return render(
        request,
        "staffing/rules.html",
        {
            "overview": overview,
            "language": language,
            "jurisdiction_name": base.name_id if language == "id" else base.name_en,
        },
    )


def _rule_page(request: HttpRequest, code: str | None) -> HttpResponse:
    scope = request_scope(request)
    if not selectors.may_edit_rules(scope):
        deny(scope, facility=None, object_type="staffing_rule", object_id=code or "", reason="edit staffing rule")
    current = effective_rules(scope.organization)
    row = current.rows.get(code) if code else None
    file_rule = current.base.rules.get(code) if code else None
    initial = {"is_active": True}
    if code is not None:
        found = next((r.rule for r in current.rules if r.code == code), None) or file_rule
        if found is None and row is None:
            raise Http404("No such rule")
        if found is not None:
            initial = RuleForm.initial_of(found, is_active=row.is_active if row is not None else True)
    form = RuleForm(request.POST or None, initial=initial, fixed_code=code)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_staffing_rule(
                scope=scope,
                acting_user=request_user(request),
                code=code or form.cleaned_data["code"],
                reason=form.cleaned_data["reason"],
                **form.values(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The rule %(code)s is saved.") % {"code": code or form.cleaned_data["code"]})
            return redirect("staffing:rules")
    return render(
        request,
        "staffing/rule_form.html",
        {"form": form, "code": code, "row": row, "file_rule": file_rule, "reset_form": ResetForm()},
        status=400 if form.errors else 200,
    )


@login_required
def rule_new(request: HttpRequest) -> HttpResponse:
    return _rule_page(request, None)


@login_required
def rule_edit(request: HttpRequest, code: str) -> HttpResponse:
    return _rule_page(request, code)


@login_required
@require_POST
def rule_reset(request: HttpRequest, code: str) -> HttpResponse:
    scope = request_scope(request)
    form = ResetForm(request.POST)
    if form.is_valid():
        try:
            services.reset_staffing_rule(
                scope=scope, acting_user=request_user(request), code=code, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The rule %(code)s is reset to the jurisdiction's.") % {"code": code})
    else:
        if not selectors.may_edit_rules(scope):
            deny(scope, facility=None, object_type="staffing_rule", object_id=code, reason="reset staffing rule")
        messages.error(request, _("Give a reason for the reset."))
    return redirect("staffing:rules")
