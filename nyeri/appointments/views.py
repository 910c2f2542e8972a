"""Appointment pages: a facility's day (per clinician), booking (and a follow-up from an encounter),
one appointment with its actions: check in, reschedule, cancel, no-show, complete."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nyeri.appointments import selectors, services
from nyeri.appointments.forms import BookForm, CancelForm, DayForm, RescheduleForm, ends_at
from nyeri.appointments.models import Appointment, AppointmentKind, AppointmentStatus
from nyeri.clinical.access import access_patient, ensure_clinical_role
from nyeri.clinical.encounters.selectors import access_encounter
from nyeri.clinical.selectors import search_patients
from nyeri.lib.http import request_user
from nyeri.tenancy.access import access_facility
from nyeri.tenancy.clock import input_value, local_date
from nyeri.tenancy.scope import request_scope
from nyeri.tenancy.selectors import facilities_for
from nyeri.web.forms import add_service_errors


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The day list of the user's first facility."""
    scope = request_scope(request)
    ensure_clinical_role(scope, object_type="appointment")
    first = facilities_for(scope).first()
    if first is None:
        return render(request, "web/no_facility.html")
    return redirect("appointments:day", facility_id=first.pk)


@login_required
def day(request: HttpRequest, facility_id: int) -> HttpResponse:
    scope = request_scope(request)
    facility = access_facility(scope, facility_id)
    ensure_clinical_role(scope, object_type="appointment")
    clinicians = selectors.clinicians(scope, facility.pk)
    today = local_date(facility)
    form = DayForm(request.GET or None, clinicians=clinicians, today=today)
    chosen_day, clinician = today, None
    if form.is_valid():
        chosen_day = form.cleaned_data["day"] or today
        clinician = form.cleaned_data["clinician"]
    found = selectors.day_list(scope, facility, chosen_day, clinician=clinician)
    return render(
        request,
        "appointments/day.html",
        {
            "facility": facility,
            "form": form,
            "found": found,
            "is_today": chosen_day == today,
            "facilities": facilities_for(scope),
        },
    )


def _next_quarter() -> datetime:
    # The form's first offer: the next quarter of an hour (a booking cannot be in the past).
    now = timezone.now().replace(second=0, microsecond=0)
    return now + timedelta(minutes=15 - now.minute % 15)


def _book_page(request: HttpRequest, facility_id: int, status: int = 200) -> HttpResponse:
    scope = request_scope(request)
    facility = access_facility(scope, facility_id)
    ensure_clinical_role(scope, object_type="appointment")
    encounter = None
    encounter_id = request.GET.get("encounter", "")
    if encounter_id.isdigit():
        encounter = access_encounter(scope, int(encounter_id))
    patient = encounter.patient if encounter is not None else None
    patient_id = request.GET.get("patient", "")
    if patient is None and patient_id.isdigit():
        patient = access_patient(scope, int(patient_id), purpose="book an appointment")
    query = request.GET.get("q", "").strip()
    results = search_patients(scope, query) if patient is None and query else []
    clinicians = selectors.clinicians(scope, facility.pk)
    initial = {
        "kind": AppointmentKind.FOLLOW_UP if encounter is not None else AppointmentKind.NEW_PATIENT,
        "starts_at": input_value(_next_quarter(), facility),
    }
    form = BookForm(request.POST or None, clinicians=clinicians, facility=facility, initial=initial)
    if request.method == "POST" and patient is not None and form.is_valid():
        data = form.cleaned_data
        start = data["starts_at"]
        try:
            if encounter is not None:
                appointment = services.book_follow_up(
                    scope=scope,
                    acting_user=request_user(request),
                    encounter=encounter,
                    clinician=data["clinician"],
                    facility=facility,
                    starts_at=start,
                    ends_at=ends_at(start, data["minutes"]),
                )
            else:
                appointment = services.book_appointment(
                    scope=scope,
                    acting_user=request_user(request),
                    patient=patient,
                    facility=facility,
                    clinician=data["clinician"],
                    kind=data["kind"],
                    starts_at=start,
                    ends_at=ends_at(start, data["minutes"]),
                )
        except ValidationError as error:
            add_service_errors(form, error)
            status = 400
        else:
            messages.success(request, _("The appointment is booked."))
            return redirect(_day_url(appointment))
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "appointments/book.html",
        {
            "facility": facility,
            "patient": patient,
            "encounter": encounter,
            "q": query,
            "results": results,
            "form": form,
        },
        status=status,
    )


@login_required
def book(request: HttpRequest, facility_id: int) -> HttpResponse:
    return _book_page(request, facility_id)


def _day_url(appointment: Appointment) -> str:
    day = local_date(appointment.facility, appointment.starts_at)
    page = reverse("appointments:day", args=[appointment.facility_id])
    return f"{page}?day={day.isoformat()}#appointment-{appointment.pk}"


def _detail_page(request: HttpRequest, appointment_id: int, status: int = 200, **forms: Any) -> HttpResponse:
    scope = request_scope(request)
    appointment = selectors.access_appointment(scope, appointment_id)
    booked = appointment.status == AppointmentStatus.BOOKED
    facility = appointment.facility
    context = {
        "appointment": appointment,
        "facility": facility,
        "booked": booked,
        "day": local_date(facility, appointment.starts_at),
        "reschedule_form": forms.get("reschedule_form")
        or (
            RescheduleForm(
                initial={
                    "starts_at": input_value(appointment.starts_at, facility),
                    "minutes": int((appointment.ends_at - appointment.starts_at).total_seconds() // 60),
                }
            )
            if booked
            else None
        ),
        "cancel_form": forms.get("cancel_form") or (CancelForm() if booked else None),
        "status_errors": forms.get("status_errors", []),
    }
    return render(request, "appointments/detail.html", context, status=status)


@login_required
def detail(request: HttpRequest, appointment_id: int) -> HttpResponse:
    return _detail_page(request, appointment_id)


@require_POST
@login_required
def reschedule(request: HttpRequest, appointment_id: int) -> HttpResponse:
    scope = request_scope(request)
    appointment = selectors.access_appointment(scope, appointment_id)
    form = RescheduleForm(request.POST)
    if form.is_valid():
        start = form.cleaned_data["starts_at"]
        try:
            moved = services.reschedule_appointment(
                scope=scope,
                acting_user=request_user(request),
                appointment=appointment,
                starts_at=start,
                ends_at=ends_at(start, form.cleaned_data["minutes"]),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The appointment is moved."))
            return redirect(_day_url(moved))
    return _detail_page(request, appointment.pk, status=400, reschedule_form=form)


@require_POST
@login_required
def cancel(request: HttpRequest, appointment_id: int) -> HttpResponse:
    scope = request_scope(request)
    appointment = selectors.access_appointment(scope, appointment_id)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.cancel_appointment(
                scope=scope,
                acting_user=request_user(request),
                appointment=appointment,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The appointment is cancelled; it stays on record with the reason."))
            return redirect(_day_url(appointment))
    return _detail_page(request, appointment.pk, status=400, cancel_form=form)


def _status_errors(error: ValidationError) -> list[str]:
    return [m for messages_ in error.message_dict.values() for m in messages_]


def _change_status(
    request: HttpRequest, appointment_id: int, change: Callable[..., Appointment], done: str
) -> Appointment | HttpResponse:
    """One of the status changes without a form: done (with its message), or the appointment's page with why not."""
    scope = request_scope(request)
    appointment = selectors.access_appointment(scope, appointment_id)
    try:
        changed = change(scope=scope, acting_user=request_user(request), appointment=appointment)
    except ValidationError as error:
        return _detail_page(request, appointment.pk, status=400, status_errors=_status_errors(error))
    messages.success(request, done)
    return changed


@require_POST
@login_required
def no_show(request: HttpRequest, appointment_id: int) -> HttpResponse:
    changed = _change_status(request, appointment_id, services.mark_no_show, _("The appointment is marked a no-show."))
    return changed if isinstance(changed, HttpResponse) else redirect(_day_url(changed))


@require_POST
@login_required
def check_in(request: HttpRequest, appointment_id: int) -> HttpResponse:
    changed = _change_status(
        request, appointment_id, services.check_in, _("The patient is checked in and the encounter is open.")
    )
    if isinstance(changed, HttpResponse):
        return changed
    return redirect("clinical:encounter_detail", encounter_id=changed.encounter_id)


@require_POST
@login_required
def complete(request: HttpRequest, appointment_id: int) -> HttpResponse:
    changed = _change_status(request, appointment_id, services.complete_appointment, _("The appointment is completed."))
    return changed if isinstance(changed, HttpResponse) else redirect(_day_url(changed))
