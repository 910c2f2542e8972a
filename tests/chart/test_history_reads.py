"""Reads that cost what they return: the pain history list of the API is paged, built from the
columns it shows, and the history and the chart read a patient in a constant number of
statements whether the patient has one assessment or two hundred."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from nyeri.accounts.models import User
from nyeri.clinical.assessments import services
from nyeri.clinical.assessments.services import BodySiteIn
from nyeri.clinical.models import Patient
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.scope import Scope
from tests.chart.conftest import add_many
from tests.clinical.conftest import make_patient

PEG = {"pain_average": 7, "enjoyment": 5, "general_activity": 6}


def history(client: Client, patient: Patient, **query: object) -> dict:  # type: ignore[type-arg]
    response = client.get(f"/api/patients/{patient.pk}/assessments", query)
    assert response.status_code == 200, response.content
    return response.json()  # type: ignore[no-any-return]


def statements(read: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as queries:
        read()
    return len(queries)


def test_the_history_is_paged_newest_first_with_the_total(
    clinician_client: Client, clinician: User, patient: Patient
) -> None:
    add_many(patient, clinician, 5)
    first = history(clinician_client, patient, page_size=2)
    assert {k: first[k] for k in ("count", "page", "pages", "page_size")} == {
        "count": 5,
        "page": 1,
        "pages": 3,
        "page_size": 2,
    }
    last = history(clinician_client, patient, page_size=2, page=3)
    everything = history(clinician_client, patient)
    assert everything["page_size"] == 50
    ids = [a["id"] for a in everything["items"]]
    assert [a["id"] for a in first["items"]] + [a["id"] for a in last["items"]] == ids[:2] + ids[4:]
    stamps = [a["recorded_at"] for a in everything["items"]]
    assert stamps == sorted(stamps, reverse=True)
    beyond = history(clinician_client, patient, page_size=2, page=9)
    assert (beyond["count"], beyond["items"]) == (5, [])


def test_a_listed_assessment_reads_the_same_as_the_assessment_itself(
    clinician_client: Client, clinician_scope: Scope, patient: Patient, facility: Facility
) -> None:
    clinician_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    recorded = services.record_assessment(
        scope=clinician_scope,
        acting_user=clinician_scope.user,
        patient=patient,
        instrument_code="peg",
        answers=PEG,
        facility=facility,
        body_sites=[BodySiteIn("knee", "front", "bilateral"), BodySiteIn("lower_back", "back", "midline")],
        pain_character="mixed",
    )
    (listed,) = history(clinician_client, patient)["items"]
    one = clinician_client.get(f"/api/assessments/{recorded.pk}").json()
    assert listed == {**one, "history": []}
    assert [(s["code"], s["value"], s["label"]) for s in listed["scores"]] == [("total", 6.0, "PEG score")]


def test_a_bad_page_size_is_refused_with_the_field_named(clinician_client: Client, patient: Patient) -> None:
    response = clinician_client.get(f"/api/patients/{patient.pk}/assessments", {"page_size": 0})
    assert response.status_code == 422
    assert [f["field"] for f in response.json()["error"]["fields"]] == ["page_size"]


def test_another_organizations_patient_history_is_not_found(clinician_client: Client, foreign_patient: Patient) -> None:
    assert clinician_client.get(f"/api/patients/{foreign_patient.pk}/assessments").status_code == 404


def test_the_history_and_the_chart_take_the_same_statements_for_one_and_for_two_hundred_assessments(
    english_client: Client, org: Organization, facility: Facility, clinician: User
) -> None:
    one = make_patient(org, facility, "RM-20", "Satu")
    many = make_patient(org, facility, "RM-21", "Dua Ratus")
    warm = make_patient(org, facility, "RM-22", "Pemanasan")
    add_many(one, clinician, 1)
    add_many(many, clinician, 200, every_days=0.5)
    add_many(warm, clinician, 1)
    english_client.get(f"/api/patients/{warm.pk}/assessments")  # the session and the audit chain are warm
    english_client.get(f"/api/patients/{warm.pk}/chart")
    counts = {}
    for name, patient in (("one", one), ("many", many)):
        counts[name, "history"] = statements(lambda p=patient: history(english_client, p, page_size=500))
        counts[name, "chart"] = statements(
            lambda p=patient: english_client.get(f"/api/patients/{p.pk}/chart", {"months": "all"})
        )
    assert history(english_client, many, page_size=500)["count"] == 200
    assert counts["one", "history"] == counts["many", "history"], counts
    assert counts["one", "chart"] == counts["many", "chart"], counts
