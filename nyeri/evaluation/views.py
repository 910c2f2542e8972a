"""The practice evaluation page (/practice-evaluation/) and its CSV export: thin, the selector does the work."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from nyeri.clinical.outcomes.responders import FOLLOW_UP_MONTHS
from nyeri.clinical.outcomes.selectors import report_facility
from nyeri.evaluation.access import ensure_practice_review
from nyeri.evaluation.export import evaluation_csv
from nyeri.evaluation.forms import EvaluationFilterForm
from nyeri.evaluation.selectors import RELIEF_MONTHS, default_period, practice_evaluation
from nyeri.evaluation.services import record_evaluation_export, record_evaluation_read
from nyeri.lib.suppression import small_number_minimum
from nyeri.tenancy.clock import local_date
from nyeri.tenancy.scope import Scope, request_scope


def _scope(request: HttpRequest) -> Scope:
    scope = request_scope(request)
    ensure_practice_review(scope)
    return scope


def _form(request: HttpRequest, scope: Scope) -> EvaluationFilterForm:
    """The filters from the query string; without a period, the last year that has ended (shown in the form)."""
    data: QueryDict = request.GET.copy()
    today = local_date(report_facility(scope, data.get("facility", "")))
    if not data.get("period") and not data.get("from") and not data.get("to"):
        data["period"] = default_period(today).key
    return EvaluationFilterForm(data, scope=scope, today=today)


@login_required
@require_GET
@never_cache
def report(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    form = _form(request, scope)
    context: dict[str, Any] = {"form": form, "evaluation": None}
    if form.is_valid() and form.filters is not None:
        found = practice_evaluation(scope, form.filters)
        record_evaluation_read(scope=scope, filters=form.filters)
        data = form.data
        assert isinstance(data, QueryDict)
        context.update(
            evaluation=found,
            months=FOLLOW_UP_MONTHS,
            relief_months=RELIEF_MONTHS,
            export_query=data.urlencode(),
            small_number_minimum=small_number_minimum(),
        )
    return render(request, "evaluation/report.html", context)


@login_required
@require_GET
@never_cache
def export_csv(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    form = _form(request, scope)
    if not form.is_valid() or form.filters is None:
        return redirect(f"{reverse('evaluation:report')}?{request.GET.urlencode()}")
    filters = form.filters
    found = practice_evaluation(scope, filters)
    record_evaluation_export(scope=scope, filters=filters)
    response = HttpResponse(evaluation_csv(found), content_type="text/csv; charset=utf-8")
    where = filters.facility.code if filters.facility is not None else scope.organization.slug
    name = f"practice-evaluation-{where}-{filters.date_from.year}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
