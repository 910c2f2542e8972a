from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from nyeri.clinical.chart.views import patient_chart
from nyeri.clinical.selectors import search_patients
from nyeri.tenancy.scope import request_scope


@login_required
def patient_list(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    query = request.GET.get("q", "")[:100]
    patients = search_patients(scope, query)
    return render(request, "clinical/patient_list.html", {"patients": patients, "q": query})


def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    # The patient page is the chart (nyeri/clinical/chart): one audited read of the record.
    return patient_chart(request, patient_id)
