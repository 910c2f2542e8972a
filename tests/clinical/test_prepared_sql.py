"""The hot path's own SQL (nyeri.lib.sql) writes and reads exactly what the ORM would."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from nyeri.clinical.models import AssessmentAnswer, AssessmentScore, PainAssessment, Patient
from nyeri.lib.sql import Prepared, insert_rows
from nyeri.tenancy.models import Facility, Organization

pytestmark = pytest.mark.django_db


def _assessment(org: Organization, patient: Patient, facility: Facility, user: Any) -> PainAssessment:
    from django.utils import timezone

    return PainAssessment(
        organization=org,
        patient=patient,
        facility=facility,
        instrument_code="nrs",
        instrument_version="1",
        recorded_at=timezone.now(),
        recorded_by=user,
        source="clinician",
    )


def _stored(model: Any, pk: int) -> dict[str, Any]:
    row = model.objects.filter(pk=pk).values().get()
    row.pop("id")
    return row


def test_insert_rows_stores_the_same_row_as_the_orm_and_gives_each_object_its_key(
    org: Organization, patient: Patient, facility: Facility, clinician: Any
) -> None:
    by_orm = _assessment(org, patient, facility, clinician)
    by_orm.save(force_insert=True)
    by_us = _assessment(org, patient, facility, clinician)
    by_us.recorded_at = by_orm.recorded_at
    with CaptureQueriesContext(connection) as queries:
        insert_rows([by_us])
    assert len(queries) == 1
    assert by_us.pk is not None
    assert by_us.pk != by_orm.pk
    assert not by_us._state.adding
    mine, theirs = _stored(PainAssessment, by_us.pk), _stored(PainAssessment, by_orm.pk)
    # auto_now_add was filled in by pre_save, as the ORM does it.
    assert mine.pop("created_at") is not None
    assert theirs.pop("created_at") is not None
    assert mine == theirs


def test_insert_rows_writes_many_rows_in_one_statement_in_order(
    org: Organization, patient: Patient, facility: Facility, clinician: Any
) -> None:
    assessment = insert_rows([_assessment(org, patient, facility, clinician)])[0]
    scores = [
        AssessmentScore(organization=org, assessment=assessment, score_code=code, value=Decimal(v), band_code="")
        for code, v in (("total", "7.00"), ("mean", "3.50"), ("other", "0.25"))
    ]
    with CaptureQueriesContext(connection) as queries:
        insert_rows(scores)
    assert len(queries) == 1
    stored = {s.pk: (s.score_code, s.value) for s in AssessmentScore.objects.filter(assessment=assessment)}
    assert stored == {s.pk: (s.score_code, s.value) for s in scores}
    assert insert_rows([]) == []


def test_insert_rows_refuses_a_model_with_a_generated_column(org: Organization, facility: Facility) -> None:
    with pytest.raises(TypeError, match="generated"):
        insert_rows([Patient(organization=org, registered_at=facility, full_name="A B")])


def test_a_prepared_query_is_compiled_once_per_shape_and_answers_with_the_values_of_each_call(
    org: Organization, patient: Patient, facility: Facility, clinician: Any
) -> None:
    first = insert_rows([_assessment(org, patient, facility, clinician)])[0]
    answers = insert_rows(
        [AssessmentAnswer(organization=org, assessment=first, item_code=f"item{n}", value=n) for n in (3, 5, 8)]
    )
    built: list[tuple[int, ...]] = []

    def build(organization: int, *ids_and_shape: int) -> Any:
        built.append(ids_and_shape[-1:])
        return AssessmentAnswer.objects.filter(organization_id=organization, pk__in=ids_and_shape[:-1]).values(
            "pk", "value"
        )

    prepared = Prepared("test:answers", build)
    ids = [a.pk for a in answers]
    assert sorted(r["value"] for r in prepared.rows(org.pk, *ids, shape=(3,))) == [3, 5, 8]
    assert sorted(r["value"] for r in prepared.rows(org.pk, ids[2], ids[0], ids[1], shape=(3,))) == [3, 5, 8]
    assert [r["value"] for r in prepared.rows(org.pk, ids[1], shape=(1,))] == [5]
    # Another organization's id is a value like any other: nothing of it leaks into the SQL.
    assert prepared.rows(org.pk + 1000, *ids, shape=(3,)) == []
    assert built == [(3,), (1,)]


def _prepared_on_the_server() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return {row[0] for row in cursor.fetchall()}


def test_on_postgresql_the_hot_path_statements_are_prepared_once_and_answer_with_each_calls_values(
    org: Organization, patient: Patient, facility: Facility, clinician: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no server to prepare statements on")
    assessment = insert_rows([_assessment(org, patient, facility, clinician)])[0]
    answers = insert_rows(
        [AssessmentAnswer(organization=org, assessment=assessment, item_code=f"item{n}", value=n) for n in (3, 5)]
    )
    prepared = Prepared(
        "test:answer", lambda pk: AssessmentAnswer.objects.filter(pk=pk).values("item_code", "value", "assessment_id")
    )
    with CaptureQueriesContext(connection) as queries:
        first = prepared.rows(answers[0].pk)
        second = prepared.rows(answers[1].pk)
    # Seen by Django like any other statement (counted, logged), with its own values each time.
    assert len(queries) == 2
    assert all('FROM "clinical_assessmentanswer"' in q["sql"] for q in queries.captured_queries)
    assert first == [{"item_code": "item3", "value": 3, "assessment_id": assessment.pk}]
    assert second == [{"item_code": "item5", "value": 5, "assessment_id": assessment.pk}]
    on_server = _prepared_on_the_server()
    assert any('FROM "clinical_assessmentanswer"' in s and s.lstrip().startswith("SELECT") for s in on_server)
    assert any(s.startswith('INSERT INTO "clinical_assessmentanswer"') for s in on_server)


def test_without_prepared_statements_the_hot_path_uses_djangos_own_cursor(
    org: Organization, patient: Patient, facility: Facility, clinician: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no server to prepare statements on")
    monkeypatch.delitem(connection.settings_dict["OPTIONS"], "prepare_threshold", raising=False)
    connection.connection.prepare_threshold = None  # as a connection opened with DB_PREPARED_STATEMENTS=0
    before = _prepared_on_the_server()
    try:
        assessment = insert_rows([_assessment(org, patient, facility, clinician)])[0]
    finally:
        connection.connection.prepare_threshold = 5
    assert _stored(PainAssessment, assessment.pk)["patient_id"] == patient.pk
    assert _prepared_on_the_server() == before
