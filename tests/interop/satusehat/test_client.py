"""The SATUSEHAT client against the local fake server: tokens, lookups, sends, failures."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from fhir.resources.R4B.encounter import Encounter

from nyeri.interop.satusehat.client import Connection, Refused, Retryable, SatusehatClient
from nyeri.interop.satusehat.fake_server import FakeSatusehat, FaultKind
from tests.interop.satusehat.conftest import PATIENT_IHS, PATIENT_NIK, PRACTITIONER_IHS, PRACTITIONER_NIK


def condition(patient_ihs: str = PATIENT_IHS, text: str = "Nyeri punggung bawah") -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": "local-17",
        "clinicalStatus": {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]
        },
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "M54.5", "display": text}]},
        "subject": {"reference": f"Patient/{patient_ihs}"},
    }


def test_the_token_is_fetched_once_and_reused(client: SatusehatClient, fake_satusehat: FakeSatusehat) -> None:
    assert client.patient_ihs_by_nik(PATIENT_NIK) == PATIENT_IHS
    assert client.practitioner_ihs_by_nik(PRACTITIONER_NIK) == PRACTITIONER_IHS
    client.send(condition())

    assert fake_satusehat.token_requests == 1


def test_another_client_of_the_same_connection_reuses_the_cached_token(
    connection: Connection, fake_satusehat: FakeSatusehat
) -> None:
    SatusehatClient(connection).patient_ihs_by_nik(PATIENT_NIK)
    SatusehatClient(connection).patient_ihs_by_nik(PATIENT_NIK)

    assert fake_satusehat.token_requests == 1


def test_a_token_is_renewed_before_it_expires(connection: Connection, fake_satusehat: FakeSatusehat) -> None:
    now = [1_000_000.0]
    client = SatusehatClient(connection, clock=lambda: now[0])
    client.patient_ihs_by_nik(PATIENT_NIK)
    now[0] += fake_satusehat.token_lifetime - 120  # still more than a minute left
    client.patient_ihs_by_nik(PATIENT_NIK)
    assert fake_satusehat.token_requests == 1

    now[0] += 90  # less than a minute left: renewed
    client.patient_ihs_by_nik(PATIENT_NIK)
    assert fake_satusehat.token_requests == 2


def test_a_401_renews_the_token_once_and_the_request_succeeds(
    client: SatusehatClient, fake_satusehat: FakeSatusehat
) -> None:
    client.patient_ihs_by_nik(PATIENT_NIK)
    fake_satusehat.expire_tokens()

    assert client.patient_ihs_by_nik(PATIENT_NIK) == PATIENT_IHS
    assert fake_satusehat.token_requests == 2


def test_a_second_401_is_refused_without_asking_again(client: SatusehatClient, fake_satusehat: FakeSatusehat) -> None:
    fake_satusehat.plan(FaultKind.EXPIRED_TOKEN, count=5)

    with pytest.raises(Refused) as refused:
        client.patient_ihs_by_nik(PATIENT_NIK)

    assert refused.value.status == 401
    assert not refused.value.retryable
    assert fake_satusehat.token_requests == 2
    assert len([r for r in fake_satusehat.requests if r[1].startswith("/fhir-r4")]) == 2


def test_wrong_client_credentials_are_refused_without_retrying(
    connection: Connection, fake_satusehat: FakeSatusehat
) -> None:
    client = SatusehatClient(replace(connection, client_secret="wrong"))

    with pytest.raises(Refused) as refused:
        client.patient_ihs_by_nik(PATIENT_NIK)

    assert refused.value.status == 401
    assert "Invalid client identifier" in refused.value.diagnostics
    assert fake_satusehat.token_requests == 1
    assert fake_satusehat.requests == [("POST", "/oauth2/v1/accesstoken")]


def test_an_unknown_nik_finds_no_patient(client: SatusehatClient) -> None:
    assert client.patient_ihs_by_nik("3273010101700009") is None


def test_a_malformed_nik_is_refused_with_the_indonesian_diagnostics(client: SatusehatClient) -> None:
    with pytest.raises(Refused) as refused:
        client.patient_ihs_by_nik("123")

    assert refused.value.status == 400
    assert "16 digit" in refused.value.diagnostics


def test_a_resent_record_updates_and_never_duplicates(client: SatusehatClient, fake_satusehat: FakeSatusehat) -> None:
    first = client.send(condition())
    again = client.send(condition(text="Nyeri punggung bawah kronis"), remote_id=first.remote_id)

    assert first.created
    assert not again.created
    assert again.remote_id == first.remote_id
    assert (first.version, again.version) == ("1", "2")
    assert fake_satusehat.count("Condition") == 1
    stored = fake_satusehat.resources[("Condition", first.remote_id)]
    assert stored["code"]["coding"][0]["display"] == "Nyeri punggung bawah kronis"
    assert [m for m, p in fake_satusehat.requests if p.startswith("/fhir-r4")] == ["POST", "PUT"]


def test_an_r4b_model_is_sent_as_json(client: SatusehatClient, fake_satusehat: FakeSatusehat) -> None:
    encounter = Encounter.model_validate(
        {
            "resourceType": "Encounter",
            "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
            "subject": {"reference": f"Patient/{PATIENT_IHS}"},
        }
    )

    sent = client.send(encounter)

    assert sent.resource_type == "Encounter"
    assert fake_satusehat.resources[("Encounter", sent.remote_id)]["class"]["code"] == "AMB"


def test_a_500_is_retryable(client: SatusehatClient, fake_satusehat: FakeSatusehat) -> None:
    fake_satusehat.plan(FaultKind.SERVER_ERROR)

    with pytest.raises(Retryable) as failed:
        client.send(condition())

    assert failed.value.status == 500
    assert fake_satusehat.count("Condition") == 0
    assert client.send(condition()).created


def test_too_many_requests_is_retryable(client: SatusehatClient, fake_satusehat: FakeSatusehat) -> None:
    fake_satusehat.plan(FaultKind.TOO_MANY)

    with pytest.raises(Retryable) as failed:
        client.patient_ihs_by_nik(PATIENT_NIK)

    assert failed.value.status == 429


def test_a_timeout_is_retryable(client: SatusehatClient, fake_satusehat: FakeSatusehat) -> None:
    fake_satusehat.plan(FaultKind.TIMEOUT)

    with pytest.raises(Retryable) as failed:
        client.patient_ihs_by_nik(PATIENT_NIK)

    assert failed.value.status is None


def test_an_unreachable_server_is_retryable(connection: Connection, fake_satusehat: FakeSatusehat) -> None:
    base_url = fake_satusehat.base_url
    fake_satusehat.stop()

    with pytest.raises(Retryable):
        SatusehatClient(replace(connection, base_url=base_url)).patient_ihs_by_nik(PATIENT_NIK)


def test_an_invalid_resource_is_refused_with_its_diagnostics(
    client: SatusehatClient, fake_satusehat: FakeSatusehat
) -> None:
    invalid = condition()
    del invalid["subject"]

    with pytest.raises(Refused) as refused:
        client.send(invalid)

    assert refused.value.status == 400
    assert refused.value.diagnostics == "Condition.subject wajib diisi."
    assert "Condition.subject wajib diisi." in str(refused.value)


def test_random_failures_follow_the_seed(connection: Connection) -> None:
    def outcomes(seed: int) -> list[bool]:
        server = FakeSatusehat(failure_rate=0.5, seed=seed, patients={PATIENT_NIK: PATIENT_IHS}).start()
        try:
            client = SatusehatClient(replace(connection, base_url=server.base_url, key=f"seed-{seed}"))
            found = []
            for _ in range(8):
                try:
                    client.patient_ihs_by_nik(PATIENT_NIK)
                    found.append(True)
                except Retryable:
                    found.append(False)
            return found
        finally:
            server.stop()

    first = outcomes(7)
    assert first == outcomes(7)
    assert True in first
    assert False in first
