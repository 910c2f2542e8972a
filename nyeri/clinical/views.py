from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from nyeri.clinical.access import access_patient
from nyeri.clinical.selectors import search_patients
from nyeri.tenancy.scope import request_scope


@login_required
def patient_list(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    query = request.GET.get("q", "")[:100]
    patients = search_patients(scope, query)
    return render(request, "clinical/patient_list.html", {"patients": patients, "q": query})


@login_required
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = access_patient(request_scope(request), patient_id, purpose="chart")
    return render(request, "clinical/patient_detail.html", {"patient": patient})
