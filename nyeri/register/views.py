"""Register pages: the facility's register (balances, movements with filters), a form per movement
kind, the dispensing queue, and the monthly report with its CSV and PDF. Thin: parse, call, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nyeri.accounts.models import User
from nyeri.lib.http import request_user
from nyeri.prescriptions import display
from nyeri.prescriptions.selectors import organization_item
from nyeri.register import forms as register_forms
from nyeri.register import selectors, services
from nyeri.register.api import file_response
from nyeri.register.models import Movement, MovementKind
from nyeri.register.report import COLUMNS, check_report, column_titles
from nyeri.tenancy.access import access_facility
from nyeri.tenancy.clock import local_date
from nyeri.tenancy.models import Facility
from nyeri.tenancy.refusals import ActionRefused
from nyeri.tenancy.scope import Scope, request_scope
from nyeri.tenancy.selectors import facilities_for
from nyeri.web.forms import add_service_errors


def _facility(request: HttpRequest, facility_id: int) -> tuple[Scope, Facility]:
    scope = request_scope(request)
    facility = access_facility(scope, facility_id)
    selectors.ensure_reader(scope, facility)
    return scope, facility


@login_required
def index(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    selectors.ensure_reader(scope)
    return render(request, "register/index.html", {"facilities": list(facilities_for(scope))})


@login_required
def facility_register(request: HttpRequest, facility_id: int) -> HttpResponse:
    scope, facility = _facility(request, facility_id)
    filters = register_forms.FilterForm(request.GET or None)
    chosen = selectors.MovementFilters()
    if filters.is_valid():
        data = filters.cleaned_data
        chosen = selectors.MovementFilters(data["medication"], data["kind"], data["since"], data["until"])
    language = display.language()
    jurisdiction = scope.organization.jurisdiction
    # Products and classes by their names in the reader's language, never their codes.
    balances = sorted(
        (
            (
                b,
                b.label(language),
                display.controlled_label(jurisdiction, b.controlled_class),
                display.units(b.dose_unit, b.quantity),
            )
            for b in selectors.balances(facility)
        ),
        key=lambda row: row[1].casefold(),
    )
    return render(
        request,
        "register/facility.html",
        {
            "facility": facility,
            "balances": balances,
            "movements": [(m, m.balance.label(language)) for m in selectors.movements(facility, chosen)],
            "filters": filters,
            "may_write": services.privilege(scope, facility).allowed,
            "reverse_form": register_forms.ReverseForm(),
        },
    )


# A write page: its form class, the service call, the template's title.
Write = Callable[[Scope, User, Facility, Any], Movement]


def _receipt(scope: Scope, user: User, facility: Facility, form: Any) -> Movement:
    return services.record_receipt(scope=scope, acting_user=user, facility=facility, **form.cleaned_data)


def _return(scope: Scope, user: User, facility: Facility, form: Any) -> Movement:
    data = form.cleaned_data
    if data["direction"] == MovementKind.RETURN_TO_SUPPLIER:
        return services.record_return_to_supplier(
            scope=scope,
            acting_user=user,
            facility=facility,
            medication=data["medication"],
            quantity=data["quantity"],
            supplier=data["supplier"],
            reason=data["reason"],
        )
    return services.record_return_from_patient(
        scope=scope,
        acting_user=user,
        facility=facility,
        medication=data["medication"],
        quantity=data["quantity"],
        reason=data["reason"],
    )


def _destruction(scope: Scope, user: User, facility: Facility, form: Any) -> Movement:
    return services.record_destruction(
        scope=scope,
        acting_user=user,
        facility=facility,
        medication=form.cleaned_data["medication"],
        quantity=form.cleaned_data["quantity"],
        witness_1=form.witness("witness_1"),
        witness_2=form.witness("witness_2"),
        reason=form.cleaned_data["reason"],
    )


def _stock_take(scope: Scope, user: User, facility: Facility, form: Any) -> Movement:
    return services.record_stock_take(scope=scope, acting_user=user, facility=facility, **form.cleaned_data)


KINDS: dict[str, tuple[type[forms.Form], Write]] = {
    "receipt": (register_forms.ReceiptForm, _receipt),
    "return": (register_forms.ReturnForm, _return),
    "destruction": (register_forms.DestructionForm, _destruction),
    "stock-take": (register_forms.StockTakeForm, _stock_take),
}


def _titles() -> dict[str, str]:
    return {
        "receipt": _("Record a receipt"),
        "return": _("Record a return"),
        "destruction": _("Record a destruction"),
        "stock-take": _("Record a stock-take"),
    }


@login_required
def write(request: HttpRequest, facility_id: int, kind: str) -> HttpResponse:
    if kind not in KINDS:
        raise Http404("No such movement kind")
    scope, facility = _facility(request, facility_id)
    form_class, service = KINDS[kind]
    form = form_class(request.POST or None, scope=scope, language=display.language())  # type: ignore[call-arg]
    refused: tuple[str, ...] = ()
    if request.method == "POST" and form.is_valid():
        try:
            movement = service(scope, request_user(request), facility, form)
        except ActionRefused as denied:
            refused = denied.reasons
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Recorded: %(kind)s, %(quantity)s units; in stock now %(stock)s.")
                % {"kind": movement.get_kind_display(), "quantity": movement.quantity, "stock": movement.balance_after},
            )
            return redirect("register:facility", facility.pk)
    return render(
        request,
        "register/form.html",
        {"facility": facility, "form": form, "title": _titles()[kind], "refused": refused},
        status=403 if refused else (422 if form.errors else 200),
    )


@login_required
def dispensing(request: HttpRequest, facility_id: int) -> HttpResponse:
    scope, facility = _facility(request, facility_id)
    form = register_forms.DispensingForm(request.POST or None)
    refused: tuple[str, ...] = ()
    failed_item: int | None = None
    if request.method == "POST" and form.is_valid():
        item = organization_item(scope, form.cleaned_data["prescription_item"])
        try:
            movement = services.dispense(
                scope=scope,
                acting_user=request_user(request),
                facility=facility,
                item=item,
                quantity=form.cleaned_data["quantity"],
            )
        except ActionRefused as denied:
            refused = denied.reasons
        except ValidationError as error:
            add_service_errors(form, error)
            failed_item = item.pk
        else:
            messages.success(
                request,
                _("Dispensed %(quantity)s units; in stock now %(stock)s.")
                % {"quantity": movement.quantity, "stock": movement.balance_after},
            )
            return redirect("register:dispensing", facility.pk)
    shown = selectors.open_items(scope, facility)
    selectors.audit_queue_read(scope, facility, shown)
    language = display.language()
    rows = [{"open": o, "label": o.item.label(language)} for o in shown]
    return render(
        request,
        "register/dispensing.html",
        {"facility": facility, "rows": rows, "form": form, "refused": refused, "failed_item": failed_item},
        status=403 if refused else (422 if form.errors else 200),
    )


@login_required
@require_POST
def reverse(request: HttpRequest, facility_id: int, movement_id: int) -> HttpResponse:
    scope, facility = _facility(request, facility_id)
    movement = Movement.objects.filter(organization=scope.organization, facility=facility, pk=movement_id).first()
    if movement is None:
        raise Http404("No such movement")
    form = register_forms.ReverseForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"reason": _("Give the reason for the correction.")})
        services.reverse_movement(
            scope=scope, acting_user=request_user(request), movement=movement, reason=form.cleaned_data["reason"]
        )
    except ActionRefused as denied:
        messages.error(request, " ".join(denied.reasons))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The movement is reversed."))
    return redirect("register:facility", facility.pk)


def _period(request: HttpRequest, facility: Facility) -> tuple[int, int]:
    raw = request.GET.get("month", "")
    today = local_date(facility)
    try:
        year, month = (int(part) for part in raw.split("-"))
    except ValueError:
        return today.year, today.month
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return today.year, today.month
    return year, month


@login_required
def report(request: HttpRequest, facility_id: int) -> HttpResponse:
    scope, facility = _facility(request, facility_id)
    year, month = _period(request, facility)
    found = selectors.report_for(scope, facility, year, month)
    language = display.language()
    titles = column_titles()
    return render(
        request,
        "register/report.html",
        {
            "facility": facility,
            "report": found,
            "headers": [titles[c] for c in COLUMNS],
            "lines": [(x.label(language), x.values()) for x in found.lines_by_name(language)],
            "mismatches": check_report(found),
        },
    )


@login_required
def report_file(request: HttpRequest, facility_id: int, kind: str) -> HttpResponse:
    if kind not in ("csv", "pdf"):
        raise Http404("No such format")
    scope, facility = _facility(request, facility_id)
    year, month = _period(request, facility)
    content = selectors.export_report(
        scope=scope, acting_user=request_user(request), facility=facility, year=year, month=month, kind=kind
    )
    return file_response(content, kind, facility, year, month)
