"""Facility pages: the profile (size, hours, equipment counts), equipment and its history, services offered."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from nyeri.facilities import selectors, services
from nyeri.facilities.access import access_equipment, deny, may_add_equipment, may_change_status, may_edit_profile
from nyeri.facilities.forms import EquipmentForm, ProfileForm, StatusForm
from nyeri.facilities.models import EquipmentStatus
from nyeri.lib.http import request_user
from nyeri.staffing.selectors import may_read_plan
from nyeri.tenancy.access import access_facility
from nyeri.tenancy.scope import request_scope
from nyeri.web.forms import add_service_errors


@login_required
def profile(request: HttpRequest, facility_id: int) -> HttpResponse:
    scope = request_scope(request)
    facility = access_facility(scope, facility_id)
    view = selectors.facility_profile(scope, facility)
    return render(
        request,
        "facilities/profile.html",
        {"facility": facility, "view": view, "tab": "profile", "reads_plan": may_read_plan(scope)},
    )


@login_required
def profile_edit(request: HttpRequest, facility_id: int) -> HttpResponse:
    scope = request_scope(request)
    facility = access_facility(scope, facility_id)
    if not may_edit_profile(scope):
        deny(scope, facility=facility, object_type="facility_profile", object_id=facility.pk, reason="edit profile")
    view = selectors.facility_profile(scope, facility)
    form = ProfileForm(request.POST or None, initial=ProfileForm.initial_of(view))
    if request.method == "POST" and form.is_valid():
        try:
            services.save_facility_profile(
                scope=scope,
                acting_user=request_user(request),
                facility=facility,
                opening_hours=form.opening_rows(),
                **form.sizes(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The profile of %(facility)s is saved.") % {"facility": facility.name})
            return redirect("facilities:profile", facility_id=facility.pk)
    return render(
        request,
        "facilities/profile_form.html",
        {"facility": facility, "form": form, "tab": "profile", "reads_plan": may_read_plan(scope)},
        status=400 if form.errors else 200,
    )


@login_required
def equipment(request: HttpRequest, facility_id: int) -> HttpResponse:
    scope = request_scope(request)
    facility = access_facility(scope, facility_id)
    listing = selectors.equipment_list(scope, facility)
    return render(
        request,
        "facilities/equipment.html",
        {"facility": facility, "listing": listing, "tab": "equipment", "reads_plan": may_read_plan(scope)},
    )


@login_required
def equipment_add(request: HttpRequest, facility_id: int) -> HttpResponse:
    scope = request_scope(request)
    facility = access_facility(scope, facility_id)
    if not may_add_equipment(scope):
        deny(scope, facility=facility, object_type="equipment", object_id="", reason="add equipment")
    form = EquipmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.add_equipment(
                scope=scope, acting_user=request_user(request), facility=facility, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(unit)s is added to the inventory.") % {"unit": unit})
            return redirect("facilities:equipment", facility_id=facility.pk)
    return render(
        request,
        "facilities/equipment_add.html",
        {"facility": facility, "form": form, "tab": "equipment", "reads_plan": may_read_plan(scope)},
        status=400 if form.errors else 200,
    )


@login_required
def equipment_status(request: HttpRequest, equipment_id: int) -> HttpResponse:
    scope = request_scope(request)
    unit = access_equipment(scope, equipment_id)
    facility = unit.facility
    if not may_change_status(scope):
        deny(scope, facility=facility, object_type="equipment", object_id=unit.pk, reason="change equipment status")
    if request.method == "POST":
        form = StatusForm(request.POST)
        if form.is_valid():
            try:
                services.change_equipment_status(
                    scope=scope,
                    acting_user=request_user(request),
                    equipment=unit,
                    status=form.cleaned_data["status"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("%(unit)s is now %(status)s.")
                    % {"unit": unit, "status": str(EquipmentStatus(unit.status).label).lower()},
                )
                return redirect("facilities:equipment", facility_id=facility.pk)
    else:
        form = StatusForm(initial={"status": unit.status})
    history = unit.status_changes.select_related("changed_by").order_by("changed_at", "pk")
    return render(
        request,
        "facilities/equipment_status.html",
        {
            "facility": facility,
            "unit": unit,
            "history": history,
            "form": form,
            "tab": "equipment",
            "reads_plan": may_read_plan(scope),
        },
        status=400 if form.errors else 200,
    )


@login_required
def services_offered(request: HttpRequest, facility_id: int) -> HttpResponse:
    scope = request_scope(request)
    facility = access_facility(scope, facility_id)
    offered = selectors.services_offered(scope, facility)
    return render(
        request,
        "facilities/services.html",
        {
            "facility": facility,
            "offered": offered,
            "language": selectors.language(),
            "tab": "services",
            "reads_plan": may_read_plan(scope),
        },
    )
