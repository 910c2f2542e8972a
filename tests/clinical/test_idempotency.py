"""Clinical writes of the API with an Idempotency-Key (nyeri/api/idempotency.py).

A client that lost an answer sends the same request again with the same key: it gets the
first answer and nothing is written twice. The same key with another request is refused.
On PostgreSQL twenty submissions at once with one key write one row.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.accounts.services import create_api_token
from nyeri.api.idempotency import prune_expired
from nyeri.api.models import IdempotentRequest
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.models import PainAssessment, Patient
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.clinical.conftest import MakePerson
from tests.concurrency import all_at_once, raised
from tests.conftest import MakeMember, log_in


def assess(client: Client, patient: Patient, body: dict[str, Any], key: str | None, **headers: str) -> Any:
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(
        f"/api/patients/{patient.pk}/assessments", body, content_type="application/json", headers=headers
    )


def nrs(facility: Facility, intensity: int = 5) -> dict[str, Any]:
    return {"instrument": "nrs", "facility_id": facility.pk, "answers": {"intensity": intensity}}


def test_an_assessment_sent_again_with_its_key_is_recorded_once_and_the_first_answer_replayed(
    clinician_client: Client, patient: Patient, facility: Facility
) -> None:
    first = assess(clinician_client, patient, nrs(facility), "pda-7f3c")
    again = assess(clinician_client, patient, nrs(facility), "pda-7f3c")
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first
    assert (again.status_code, again["Idempotent-Replayed"]) == (200, "true")
    assert again.json() == first.json()
    assert PainAssessment.objects.count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="pain_assessment").count() == 1
    kept = IdempotentRequest.objects.get()
    # The replayed answer shows patient data again: audited as a read.
    replay = AuditEvent.objects.get(object_type="idempotent_request")
    assert (replay.action, replay.object_id, replay.actor_id) == (AuditAction.READ, str(kept.pk), kept.user_id)
    assert (kept.key, kept.status, kept.method, kept.path) == (
        "pda-7f3c",
        201,
        "POST",
        f"/api/patients/{patient.pk}/assessments",
    )


def test_the_same_json_in_another_key_order_or_spacing_is_the_same_request(
    clinician_client: Client, patient: Patient, facility: Facility
) -> None:
    assert assess(clinician_client, patient, nrs(facility), "k-1").status_code == 201
    reordered = {"answers": {"intensity": 5}, "facility_id": facility.pk, "instrument": "nrs"}
    assert assess(clinician_client, patient, reordered, "k-1").status_code == 200
    assert PainAssessment.objects.count() == 1


def test_the_same_key_with_another_body_is_refused_naming_the_header(
    clinician_client: Client, patient: Patient, facility: Facility
) -> None:
    clinician_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert assess(clinician_client, patient, nrs(facility, 5), "k-1").status_code == 201
    other = assess(clinician_client, patient, nrs(facility, 8), "k-1")
    assert other.status_code == 422
    assert other.json()["error"]["fields"] == [
        {"field": "Idempotency-Key", "message": "This key was already used for another request: send a new key."}
    ]
    assert PainAssessment.objects.count() == 1


def test_the_same_key_on_another_operation_is_another_request(
    clinician_client: Client, patient: Patient, facility: Facility
) -> None:
    created = assess(clinician_client, patient, nrs(facility), "k-1").json()
    amend = clinician_client.post(
        f"/api/assessments/{created['id']}/amend",
        {"reason": "typo", "answers": {"intensity": 6}},
        content_type="application/json",
        headers={"Idempotency-Key": "k-1"},
    )
    assert amend.status_code == 422
    assert amend.json()["error"]["fields"][0]["field"] == "Idempotency-Key"


def test_keys_belong_to_one_user_another_users_same_key_writes_its_own(
    clinician_client: Client,
    patient: Patient,
    facility: Facility,
    org: Organization,
    make_member: MakeMember,
    make_person: MakePerson,
) -> None:
    rina = make_member(org, Role.NURSE, username="rina")
    make_person(Role.NURSE, name="Rina", user=rina)
    assert assess(clinician_client, patient, nrs(facility), "shared").status_code == 201
    assert assess(log_in(Client(), rina), patient, nrs(facility), "shared").status_code == 201
    assert PainAssessment.objects.count() == 2
    assert IdempotentRequest.objects.count() == 2


def test_a_token_and_a_session_of_the_same_user_share_the_users_keys(
    clinician: User, clinician_client: Client, patient: Patient, facility: Facility
) -> None:
    _token, secret = create_api_token(acting_user=clinician, name="pda", expires_in_days=1)
    assert assess(clinician_client, patient, nrs(facility), "k-9").status_code == 201
    by_token = assess(Client(), patient, nrs(facility), "k-9", Authorization=f"Bearer {secret}")
    assert (by_token.status_code, by_token["Idempotent-Replayed"]) == (200, "true")
    assert PainAssessment.objects.count() == 1


def test_a_refused_request_keeps_no_answer_so_the_corrected_one_may_use_the_key(
    clinician_client: Client, patient: Patient, facility: Facility
) -> None:
    bad = assess(clinician_client, patient, {"instrument": "nrs", "answers": {"intensity": 11}}, "k-1")
    assert bad.status_code == 422
    assert not IdempotentRequest.objects.exists()
    assert assess(clinician_client, patient, nrs(facility), "k-1").status_code == 201
    assert PainAssessment.objects.count() == 1


def test_a_malformed_key_is_refused_naming_the_header(
    clinician_client: Client, patient: Patient, facility: Facility
) -> None:
    response = assess(clinician_client, patient, nrs(facility), "no spaces allowed")
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "Idempotency-Key"
    assert not PainAssessment.objects.exists()


def test_without_a_key_every_request_is_a_new_submission(
    clinician_client: Client, patient: Patient, facility: Facility
) -> None:
    assert assess(clinician_client, patient, nrs(facility), None).status_code == 201
    assert assess(clinician_client, patient, nrs(facility), None).status_code == 201
    assert PainAssessment.objects.count() == 2
    assert not IdempotentRequest.objects.exists()


def test_an_expired_key_is_forgotten_and_pruned(clinician_client: Client, patient: Patient, facility: Facility) -> None:
    assert assess(clinician_client, patient, nrs(facility), "k-1").status_code == 201
    IdempotentRequest.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    # After its expiry the key is new again: a second assessment (and the old answer replaced).
    assert assess(clinician_client, patient, nrs(facility), "k-1").status_code == 201
    assert PainAssessment.objects.count() == 2
    assert IdempotentRequest.objects.count() == 1
    IdempotentRequest.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert prune_expired() == 1
    assert not IdempotentRequest.objects.exists()


def test_an_amendment_sent_twice_with_one_key_answers_the_first_amendment(
    clinician_client: Client, patient: Patient, facility: Facility
) -> None:
    created = assess(clinician_client, patient, nrs(facility), None).json()
    url = f"/api/assessments/{created['id']}/amend"
    body = {"reason": "typo", "answers": {"intensity": 6}}
    headers = {"Idempotency-Key": "amend-1"}
    first = clinician_client.post(url, body, content_type="application/json", headers=headers)
    assert first.status_code == 201, first.content
    again = clinician_client.post(url, body, content_type="application/json", headers=headers)
    # Without the key the second amendment would be refused (the assessment is amended
    # already): the retry instead learns that its first attempt succeeded.
    assert (again.status_code, again["Idempotent-Replayed"], again.json()) == (200, "true", first.json())
    assert PainAssessment.objects.count() == 2
    unkeyed = clinician_client.post(url, body, content_type="application/json")
    assert unkeyed.status_code == 422


@pytest.mark.django_db(transaction=True)
def test_twenty_submissions_at_once_with_one_key_record_one_assessment(
    clinician: User, patient: Patient, facility: Facility
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are PostgreSQL's; SQLite has a single writer")
    _token, secret = create_api_token(acting_user=clinician, name="pda", expires_in_days=1)

    def submit() -> tuple[int, int]:
        response = assess(Client(), patient, nrs(facility), "burst-1", Authorization=f"Bearer {secret}")
        return response.status_code, response.json()["id"]

    results = all_at_once([submit] * 20)
    assert raised(results) == []
    answers = [r for r in results if isinstance(r, tuple)]
    assert sorted(status for status, _id in answers) == [200] * 19 + [201]
    assert len({pk for _status, pk in answers}) == 1
    assert PainAssessment.objects.count() == 1
    assert IdempotentRequest.objects.count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="pain_assessment").count() == 1
