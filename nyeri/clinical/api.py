from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Query, Router, Schema

from nyeri.api.errors import ErrorEnvelope
from nyeri.clinical.access import access_patient
from nyeri.clinical.selectors import search_patients
from nyeri.tenancy.scope import request_scope

router = Router(tags=["patients"])


class PatientOut(Schema):
    id: int
    mrn: str
    full_name: str
    birth_date: date
    sex: str
    registered_at_id: int


class PatientSearch(Schema):
    q: str = ""


@router.get("/patients", response=list[PatientOut], summary="Search patients (audited)")
def list_patients(request: HttpRequest, filters: Query[PatientSearch]) -> object:
    return search_patients(request_scope(request), filters.q[:100])


@router.get("/patients/{patient_id}", response={200: PatientOut, 404: ErrorEnvelope}, summary="One patient (audited)")
def get_patient(request: HttpRequest, patient_id: int) -> object:
    return access_patient(request_scope(request), patient_id, purpose="api")
