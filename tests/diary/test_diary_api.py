"""Diary JSON endpoints: links for the staff (issue, list, revoke; scoped, privileged) and the
patient's own entry (no account, no CSRF, Idempotency-Key, field errors, 404/410/429)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.diary import services
from nyeri.clinical.diary.services import IssuedLink
from nyeri.clinical.models import AssessmentSource, DiaryLink, PainAssessment, Patient
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from tests.conftest import MakeMember, log_in
from tests.diary.conftest import issue, submit


def post(client: Client, url: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


def entry_url(token: str) -> str:
    return f"/api/diary/{token}/entries"


# --- Staff -------------------------------------------------------------------------------


def test_a_clinician_issues_lists_and_revokes_links(clinician_client: Client, patient: Patient) -> None:
    created = post(clinician_client, f"/api/patients/{patient.pk}/diary-links", {"valid_days": 10})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["state"] == "active"
    assert body["facility_id"] == patient.registered_at_id
    assert body["url"] == f"http://testserver/diary/{body['token']}/"
    link = DiaryLink.objects.get()
    assert link.expires_at - link.issued_at == timedelta(days=10)
    submit(link, key="api-key-0001")
    listed = clinician_client.get(f"/api/patients/{patient.pk}/diary-links").json()["items"]
    assert [(x["id"], x["state"], x["entries"]) for x in listed] == [(link.pk, "active", 1)]
    assert listed[0]["last_entry_at"] is not None
    assert "token" not in listed[0]
    assert "url" not in listed[0]
    revoked = post(clinician_client, f"/api/diary-links/{link.pk}/revoke", {"reason": "selesai terapi"})
    assert revoked.status_code == 200
    assert (revoked.json()["state"], revoked.json()["revoke_reason"]) == ("revoked", "selesai terapi")
    again = post(clinician_client, f"/api/diary-links/{link.pk}/revoke", {})
    assert again.status_code == 422
    assert again.json()["error"]["fields"][0]["field"] == "link"


def test_the_links_are_paged_newest_first_with_their_state_in_the_same_statements_for_one_and_for_many(
    clinician_client: Client,
    clinician_scope: Scope,
    patient: Patient,
    org: Organization,
    facility: Facility,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    first = issue(clinician_scope, patient).link
    submit(first, key="list-key-0001")
    submit(first, key="list-key-0002")
    crowded = Patient.objects.create(
        organization=org,
        registered_at=facility,
        mrn="RM-DL-2",
        full_name="Banyak",
        birth_date=date(1970, 1, 2),
        sex="male",
    )
    # The oldest link was issued ten days ago for a day: it has expired.
    links = [issue(clinician_scope, crowded, valid_days=1, now=timezone.now() - timedelta(days=10)).link]
    links += [issue(clinician_scope, crowded).link for _ in range(11)]
    services.revoke_link(scope=clinician_scope, acting_user=clinician_scope.user, link=links[1])
    one = clinician_client.get(f"/api/patients/{patient.pk}/diary-links").json()
    assert (one["count"], [(x["id"], x["entries"]) for x in one["items"]]) == (1, [(first.pk, 2)])
    event = AuditEvent.objects.filter(action=AuditAction.READ).latest("pk")
    assert (event.patient_id, event.reason) == (patient.pk, "api: diary links")
    with CaptureQueriesContext(connection) as statements:
        clinician_client.get(f"/api/patients/{patient.pk}/diary-links")
    with django_assert_num_queries(len(statements)):
        page = clinician_client.get(f"/api/patients/{crowded.pk}/diary-links", {"page": 2, "page_size": 5}).json()
    assert (page["count"], page["pages"], len(page["items"])) == (12, 3, 5)
    last = clinician_client.get(f"/api/patients/{crowded.pk}/diary-links", {"page": 3, "page_size": 5}).json()
    assert [(x["id"], x["state"], x["entries"]) for x in last["items"]] == [
        (links[1].pk, "revoked", 0),
        (links[0].pk, "expired", 0),
    ]
    bad = clinician_client.get(f"/api/patients/{crowded.pk}/diary-links", {"page_size": "many"})
    assert bad.status_code == 422
    assert [f["field"] for f in bad.json()["error"]["fields"]] == ["page_size"]


def test_bad_validity_and_facility_are_named(
    clinician_client: Client, patient: Patient, other_facility: Facility
) -> None:
    clinician_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    bad = post(clinician_client, f"/api/patients/{patient.pk}/diary-links", {"valid_days": 0})
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"] == [
        {"field": "valid_days", "message": "Choose how many days the link works: from 1 to 90."}
    ]
    foreign = post(clinician_client, f"/api/patients/{patient.pk}/diary-links", {"facility_id": other_facility.pk})
    assert foreign.status_code == 422
    assert foreign.json()["error"]["fields"][0]["field"] == "facility_id"
    assert not DiaryLink.objects.exists()


def test_a_nurse_without_a_practice_permit_gets_403_with_the_reasons(unlicensed_nurse: User, patient: Patient) -> None:
    client = log_in(Client(), unlicensed_nurse)
    response = post(client, f"/api/patients/{patient.pk}/diary-links", {})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert not DiaryLink.objects.exists()


def test_another_organization_s_patient_and_link_are_not_found(
    clinician_client: Client, foreign_patient: Patient, other_org: Organization, make_member: MakeMember
) -> None:
    assert post(clinician_client, f"/api/patients/{foreign_patient.pk}/diary-links", {}).status_code == 404
    assert clinician_client.get(f"/api/patients/{foreign_patient.pk}/diary-links").status_code == 404
    outsider = make_member(other_org, Role.NURSE, username="luar")
    foreign = DiaryLink.objects.create(
        organization=other_org,
        patient=foreign_patient,
        facility=foreign_patient.registered_at,
        issued_by=outsider,
        issued_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=3),
        token_prefix="fedcba9876543210",
        token_digest="0" * 64,
    )
    assert post(clinician_client, f"/api/diary-links/{foreign.pk}/revoke", {}).status_code == 404
    assert DiaryLink.objects.get(pk=foreign.pk).revoked_at is None


def test_the_staff_endpoints_need_authentication(patient: Patient, issued: IssuedLink) -> None:
    anonymous = Client()
    assert anonymous.get(f"/api/patients/{patient.pk}/diary-links").status_code == 401
    assert post(anonymous, f"/api/patients/{patient.pk}/diary-links", {}).status_code == 401
    assert post(anonymous, f"/api/diary-links/{issued.link.pk}/revoke", {}).status_code == 401


# --- The patient ---------------------------------------------------------------------------


def test_the_patient_posts_an_entry_without_an_account_or_csrf(issued: IssuedLink) -> None:
    client = Client(enforce_csrf_checks=True)
    response = post(
        client,
        entry_url(issued.token),
        {"instrument": "nrs", "answers": {"intensity": 8}},
        **{"Idempotency-Key": "3f0e1a52-8d5c-4b8e-9a55-0c2f6f2f1a77"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["replayed"] is False
    assert body["instrument"] == "nrs"
    assert [(s["code"], s["value"], s["band"]) for s in body["scores"]] == [("total", 8.0, "severe")]
    entry = PainAssessment.objects.get()
    assert (entry.source, entry.diary_link_id, entry.submission_key) == (
        AssessmentSource.PATIENT,
        issued.link.pk,
        "3f0e1a52-8d5c-4b8e-9a55-0c2f6f2f1a77",
    )


def test_a_resent_request_with_the_same_idempotency_key_is_stored_once(issued: IssuedLink) -> None:
    body = {"instrument": "peg", "answers": {"pain_average": 7, "enjoyment": 5, "general_activity": 6}}
    first = post(Client(), entry_url(issued.token), body, **{"Idempotency-Key": "retry-key-0001"})
    second = post(Client(), entry_url(issued.token), body, **{"Idempotency-Key": "retry-key-0001"})
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["replayed"] is True
    assert first.json()["id"] == second.json()["id"]
    assert second.json()["scores"][0]["value"] == 6.0
    assert PainAssessment.objects.count() == 1


def test_without_an_idempotency_key_each_request_is_a_new_entry(issued: IssuedLink) -> None:
    body = {"instrument": "nrs", "answers": {"intensity": 3}}
    assert post(Client(), entry_url(issued.token), body).status_code == 201
    assert post(Client(), entry_url(issued.token), body).status_code == 201
    assert PainAssessment.objects.count() == 2


def test_bad_answers_are_422_naming_the_field(issued: IssuedLink) -> None:
    client = Client(headers={"accept-language": "en"})
    eleven = post(client, entry_url(issued.token), {"instrument": "nrs", "answers": {"intensity": 11}})
    assert eleven.status_code == 422
    assert eleven.json()["error"]["fields"] == [
        {"field": "answers.intensity", "message": "Enter a whole number from 0 to 10."}
    ]
    missing = post(
        client, entry_url(issued.token), {"instrument": "peg", "answers": {"pain_average": 4, "general_activity": 2}}
    )
    assert missing.status_code == 422
    assert missing.json()["error"]["fields"] == [
        {"field": "answers.enjoyment", "message": "This item needs an answer."}
    ]
    other = post(client, entry_url(issued.token), {"instrument": "odi", "answers": {}})
    assert other.json()["error"]["fields"][0]["field"] == "instrument"
    bad_key = post(
        client,
        entry_url(issued.token),
        {"instrument": "nrs", "answers": {"intensity": 1}},
        **{"Idempotency-Key": "bad key!"},
    )
    assert bad_key.status_code == 422
    assert bad_key.json()["error"]["fields"][0]["field"] == "Idempotency-Key"
    assert not PainAssessment.objects.exists()


def test_an_expired_or_revoked_link_is_410_and_a_tampered_one_404(
    issued: IssuedLink, clinician_scope: Scope, clinician: User, patient: Patient
) -> None:
    body = {"instrument": "nrs", "answers": {"intensity": 5}}
    tampered = issued.token[:20] + ("x" if issued.token[20] != "x" else "y") + issued.token[21:]
    unknown = post(Client(), entry_url(tampered), body)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found"
    old = issue(clinician_scope, patient, valid_days=1, now=timezone.now() - timedelta(days=3))
    expired = post(Client(headers={"accept-language": "en"}), entry_url(old.token), body)
    assert expired.status_code == 410
    assert expired.json()["error"] == {
        "code": "gone",
        "message": "This diary link has expired. Ask your clinic for a new one.",
        "fields": [],
    }
    services.revoke_link(scope=clinician_scope, acting_user=clinician, link=issued.link)
    assert post(Client(), entry_url(issued.token), body).status_code == 410
    assert not PainAssessment.objects.exists()


def test_the_daily_limit_is_429(issued: IssuedLink) -> None:
    body = {"instrument": "nrs", "answers": {"intensity": 5}}
    for n in range(services.DAILY_LIMIT):
        assert (
            post(Client(), entry_url(issued.token), body, **{"Idempotency-Key": f"cap-key-{n:04d}"}).status_code == 201
        )
    refused = post(
        Client(headers={"accept-language": "en"}), entry_url(issued.token), body, **{"Idempotency-Key": "cap-key-9999"}
    )
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "daily_limit"
    assert refused.json()["error"]["fields"][0]["field"] == "instrument"
    assert PainAssessment.objects.count() == services.DAILY_LIMIT
