"""The one door: the request's actor, the decision, the refusal, one transaction per write."""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.test import Client

from nyeri.accounts.models import User
from nyeri.accounts.services import create_api_token
from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.clinical.models import PainAssessment, Patient
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import resolve_scope
from nyeri.workforce.door import KEY, professional
from nyeri.workforce.kinds import CredentialKind, CredentialStatus
from nyeri.workforce.models import Credential
from tests.conftest import MakeMember, log_in
from tests.queries import no_duplicate_sql


def _token_client(user: User, language: str = "en") -> Client:
    _token, secret = create_api_token(acting_user=user, name="door", expires_in_days=None)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_ACCEPT_LANGUAGE=language)


def _record(client: Client, patient: Patient, facility: Facility) -> Any:
    return client.post(
        f"/api/patients/{patient.pk}/assessments",
        {"instrument": "nrs", "facility_id": facility.pk, "answers": {"intensity": 6}},
        content_type="application/json",
    )


def _denials() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED).order_by("pk"))


def test_the_actor_with_its_professional_facts_is_read_in_one_query(
    clinician: User, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):
        scope = resolve_scope(clinician, with_facts=True)
    assert scope is not None
    found = professional(scope)
    assert found is not None
    assert found.facts.roles == {Role.NURSE.value}
    assert set(found.facts.credentials) == {CredentialKind.REGISTRATION.value, CredentialKind.PRACTICE_PERMIT.value}
    assert KEY in scope.facts


def test_a_pain_score_through_the_api_takes_at_most_ten_statements_none_twice(
    clinician: User, patient: Patient, facility: Facility
) -> None:
    client = _token_client(clinician)
    _record(client, patient, facility)  # the token's last use is noted at most once a minute
    with no_duplicate_sql("POST assessment") as statements:
        response = _record(client, patient, facility)
    assert response.status_code == 201
    # Transaction control aside (the test's own transaction turns the write's into a savepoint).
    assert len(statements) <= 10, statements
    body = response.json()
    assert body["scores"][0]["value"] == 6.0
    assert body["answers"] == [{"item": "intensity", "value": 6}]
    # The READ of the patient and the CREATE of the assessment, in the write's transaction.
    actions = list(
        AuditEvent.objects.filter(patient_id=patient.pk).order_by("-pk").values_list("action", flat=True)[:2]
    )
    assert actions == [AuditAction.CREATE, AuditAction.READ]


def test_a_refused_write_is_rolled_back_and_its_refusal_audited_once(
    unlicensed_nurse: User, patient: Patient, facility: Facility
) -> None:
    response = _record(_token_client(unlicensed_nurse), patient, facility)
    assert response.status_code == 403
    assert "No practice permit (SIP) for this facility." in response.json()["error"]["message"]
    assert not PainAssessment.objects.exists()
    [denied] = _denials()
    assert (denied.actor_id, denied.outcome, denied.patient_id) == (
        unlicensed_nurse.pk,
        AuditOutcome.DENIED,
        patient.pk,
    )
    assert "record_assessment refused for person" in denied.reason
    # The patient was opened in the write's transaction: its READ row went with the rollback.
    assert not AuditEvent.objects.filter(action=AuditAction.READ, patient_id=patient.pk).exists()


def test_a_refusal_inside_the_write_outlives_its_rollback(
    org: Organization, patient: Patient, facility: Facility, make_member: MakeMember
) -> None:
    officer = make_member(org, Role.COMPLIANCE_OFFICER, username="kepatuhan")
    response = _record(_token_client(officer), patient, facility)
    assert response.status_code == 403
    [denied] = _denials()
    assert (denied.actor_id, denied.reason) == (officer.pk, "no clinical role")


def test_the_refusal_reads_the_same_on_the_page_and_in_the_api_in_both_languages(
    unlicensed_nurse: User, patient: Patient, facility: Facility
) -> None:
    for language, reason in (
        ("en", "No practice permit (SIP) for this facility."),
        ("id", "Tidak ada Surat Izin Praktik (SIP) untuk fasilitas ini."),
    ):
        api = _record(_token_client(unlicensed_nurse, language), patient, facility)
        assert reason in api.json()["error"]["message"]
        page = log_in(Client(), unlicensed_nurse)
        page.post("/i18n/setlang/", {"language": language, "next": "/"})
        answer = page.post(
            f"/patients/{patient.pk}/assessments/new/?instrument=nrs",
            {"facility": facility.pk, "item_intensity": "5", "source": "clinician"},
        )
        assert answer.status_code == 403
        assert reason in answer.content.decode()


def test_a_revoked_credential_takes_effect_on_the_next_request(
    clinician: User, patient: Patient, facility: Facility
) -> None:
    client = _token_client(clinician)
    assert _record(client, patient, facility).status_code == 201
    Credential.objects.filter(kind=CredentialKind.PRACTICE_PERMIT).update(status=CredentialStatus.REVOKED)
    assert _record(client, patient, facility).status_code == 403


def test_the_prepared_actor_query_is_compiled_once_per_connection(clinician: User) -> None:
    resolve_scope(clinician, with_facts=True)
    before = dict(connections[DEFAULT_DB_ALIAS].__dict__["_nyeri_prepared"])
    resolve_scope(clinician, with_facts=True)
    assert connections[DEFAULT_DB_ALIAS].__dict__["_nyeri_prepared"] == before
