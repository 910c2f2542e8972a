"""The outcomes report page (/outcomes/) and its CSV export: thin, the selector does the work."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from nyeri.clinical.outcomes.access import ensure_outcomes_access
from nyeri.clinical.outcomes.chart import SERIES, bar_chart
from nyeri.clinical.outcomes.export import report_csv
from nyeri.clinical.outcomes.forms import OutcomesFilterForm
from nyeri.clinical.outcomes.responders import FOLLOW_UP_MONTHS, ResponderLevel
from nyeri.clinical.outcomes.selectors import default_period, outcomes_report, report_facility
from nyeri.clinical.outcomes.services import record_report_export, record_report_read
from nyeri.lib.suppression import small_number_minimum
from nyeri.tenancy.clock import local_date
from nyeri.tenancy.scope import Scope, request_scope


def _scope(request: HttpRequest) -> Scope:
    scope = request_scope(request)
    ensure_outcomes_access(scope)
    return scope


def _form(request: HttpRequest, scope: Scope) -> OutcomesFilterForm:
    """The filters from the query string; without a period, the default one (shown in the form)."""
    data: QueryDict = request.GET.copy()
    # The chosen facility's day; for the whole organization, the installation's.
    today = local_date(report_facility(scope, data.get("facility", "")))
    if not data.get("period") and not data.get("from") and not data.get("to"):
        data["period"] = default_period(today).key
    return OutcomesFilterForm(data, scope=scope, today=today)


def _query(form: OutcomesFilterForm) -> str:
    """The filters as a query string (for the export link): the ones the form was given, defaults filled in."""
    data = form.data
    assert isinstance(data, QueryDict)
    return data.urlencode()


@login_required
@require_GET
@never_cache
def report(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    form = _form(request, scope)
    context: dict[str, Any] = {"form": form, "report": None}
    if form.is_valid() and form.filters is not None:
        found = outcomes_report(scope, form.filters)
        record_report_read(scope=scope, filters=form.filters)
        charts = [bar_chart(_("By facility"), [*found.by_facility, found.total])]
        if found.by_category:
            charts.append(bar_chart(_("By chronic pain category"), found.by_category))
        context.update(
            report=found,
            charts=charts,
            series=SERIES,
            months=FOLLOW_UP_MONTHS,
            moderate_label=ResponderLevel.MODERATE.label,
            substantial_label=ResponderLevel.SUBSTANTIAL.label,
            export_query=_query(form),
            small_number_minimum=small_number_minimum(),
        )
    return render(request, "outcomes/report.html", context)


@login_required
@require_GET
@never_cache
def export_csv(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    form = _form(request, scope)
    if not form.is_valid() or form.filters is None:
        # The page shows what is wrong with the filters.
        return redirect(f"{reverse('outcomes:report')}?{request.GET.urlencode()}")
    filters = form.filters
    found = outcomes_report(scope, filters)
    record_report_export(scope=scope, filters=filters)
    response = HttpResponse(report_csv(found), content_type="text/csv; charset=utf-8")
    where = filters.facility.code if filters.facility is not None else scope.organization.slug
    name = f"outcomes-{where}-{filters.date_from.isoformat()}-{filters.date_to.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
