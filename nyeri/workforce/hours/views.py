"""Hours pages: a person's ledger with totals, adding manual hours, the verification list."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nyeri.lib.http import request_user
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope, request_scope
from nyeri.web.forms import add_service_errors
from nyeri.workforce.access import access_hours_entry, access_person, person_of_user
from nyeri.workforce.hours import rules, selectors, services
from nyeri.workforce.hours.forms import ManualHoursForm, RejectHoursForm
from nyeri.workforce.models import HoursEntry


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Where "Hours" leads: one's own ledger, else the work one does with hours."""
    scope = request_scope(request)
    person = person_of_user(scope)
    if person is not None:
        return redirect("workforce:hours_ledger", person_id=person.pk)
    if rules.may_verify_any(scope):
        return redirect("workforce:hours_pending")
    if scope.has_role(Role.CREDENTIALING_OFFICER, Role.ADMINISTRATOR):
        return redirect("workforce:expiring")
    raise Http404("No hours ledger")


@login_required
def ledger(request: HttpRequest, person_id: int) -> HttpResponse:
    scope = request_scope(request)
    person = access_person(scope, person_id)
    totals = selectors.hours_totals(scope, person)
    page = selectors.person_ledger(scope, person, page=request.GET.get("page", 1))
    return render(
        request,
        "workforce/hours/ledger.html",
        {
            "person": person,
            "totals": totals,
            "page": page,
            "can_add": rules.may_record_for(scope, person),
        },
    )


@login_required
def add(request: HttpRequest, person_id: int) -> HttpResponse:
    scope = request_scope(request)
    person = access_person(scope, person_id)
    # Before the form: someone who may not record for this person does not see their facilities.
    services.ensure_may_record(scope, person)
    form = ManualHoursForm(request.POST or None, scope=scope, person=person)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.record_manual_hours(
                scope=scope,
                acting_user=request_user(request),
                person=person,
                facility=form.cleaned_data["facility"],
                worked_on=form.cleaned_data["worked_on"],
                hours=form.cleaned_data["hours"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(hours)s hours on %(date)s are recorded and wait for verification.")
                % {"hours": services.format_hours(entry.hours), "date": _day(entry)},
            )
            return redirect("workforce:hours_ledger", person_id=person.pk)
    return render(request, "workforce/hours/add.html", {"person": person, "form": form})


def _day(entry: HoursEntry) -> str:
    return formats.date_format(entry.worked_on, "DATE_FORMAT")


def _pending_page(
    request: HttpRequest, scope: Scope, bound: RejectHoursForm | None = None, bound_id: int = 0
) -> HttpResponse:
    entries = selectors.pending_verification(scope)
    rows = [
        (
            entry,
            bound if bound is not None and entry.pk == bound_id else RejectHoursForm(auto_id=f"reject{entry.pk}_%s"),
        )
        for entry in entries
    ]
    return render(request, "workforce/hours/pending.html", {"rows": rows, "limit": selectors.PENDING_LIMIT})


@login_required
def pending(request: HttpRequest) -> HttpResponse:
    return _pending_page(request, request_scope(request))


@require_POST
@login_required
def verify(request: HttpRequest, entry_id: int) -> HttpResponse:
    scope = request_scope(request)
    entry = access_hours_entry(scope, entry_id)
    try:
        services.verify_hours(scope=scope, acting_user=request_user(request), entry=entry)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(hours)s hours of %(person)s on %(date)s are verified.")
            % {"hours": services.format_hours(entry.hours), "person": entry.person.full_name, "date": _day(entry)},
        )
    return redirect("workforce:hours_pending")


@require_POST
@login_required
def reject(request: HttpRequest, entry_id: int) -> HttpResponse:
    scope = request_scope(request)
    entry = access_hours_entry(scope, entry_id)
    form = RejectHoursForm(request.POST, auto_id=f"reject{entry.pk}_%s")
    if form.is_valid():
        try:
            services.reject_hours(
                scope=scope, acting_user=request_user(request), entry=entry, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            if "status" in getattr(error, "error_dict", {}):
                messages.error(request, " ".join(error.messages))
                return redirect("workforce:hours_pending")
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(hours)s hours of %(person)s on %(date)s are rejected.")
                % {"hours": services.format_hours(entry.hours), "person": entry.person.full_name, "date": _day(entry)},
            )
            return redirect("workforce:hours_pending")
    return _pending_page(request, scope, form, entry.pk)
