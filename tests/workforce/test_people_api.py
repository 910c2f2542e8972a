"""People, their records and their decisions in the JSON API (/api/workforce)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.workforce.kinds import CredentialKind
from nyeri.workforce.models import Credential, Person
from nyeri.workforce.policy.loader import pack_for
from tests.conftest import MakeMember, log_in
from tests.queries import statements_of
from tests.workforce.conftest import AddCredential, MakePerson, hours

Licensed = Callable[[Person], tuple[Credential, Credential]]
ACTIONS = list(pack_for("ID").actions)


@pytest.fixture
def officer(org: Organization, make_member: MakeMember) -> User:
    return make_member(org, Role.CREDENTIALING_OFFICER, username="rina", language="en")


@pytest.fixture
def api(officer: User) -> Client:
    return log_in(Client(), officer)


def test_people_at_a_facility_come_with_roles_and_licence_states(
    api: Client, make_person: MakePerson, licensed: Licensed, add_credential: AddCredential, facility: Facility
) -> None:
    nurse = make_person(Role.NURSE, name="Siti")
    str_, sip = licensed(nurse)
    unlicensed = make_person(Role.RADIOGRAPHER, name="Tono")
    add_credential(
        unlicensed,
        CredentialKind.REGISTRATION,
        issued_on=date(2023, 1, 1),
        expires_on=timezone.localdate() - timedelta(days=1),
    )

    response = api.get("/api/workforce/people", {"facility": facility.pk})

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["page"], body["pages"]) == (2, 1, 1)
    by_name = {item["full_name"]: item for item in body["items"]}
    siti = by_name["Siti"]
    assert siti["id"] == nurse.pk
    assert siti["roles"] == ["nurse"]
    assert siti["facility_ids"] == [facility.pk]
    assert siti["registration"]["state"] == "valid"
    assert siti["registration"]["credential_id"] == str_.pk
    assert siti["practice_permit"]["state"] == "valid"
    assert siti["practice_permit"]["expires_on"] == sip.expires_on.isoformat()  # type: ignore[union-attr]
    tono = by_name["Tono"]
    assert tono["registration"]["state"] == "expired"
    assert tono["practice_permit"]["state"] == "missing"
    assert tono["practice_permit"]["reason_code"] == "permit_missing"
    assert tono["practice_permit"]["reason_en"] == "No practice permit (SIP) for this facility."
    assert tono["practice_permit"]["reason_id"]


def test_people_of_the_organization_have_no_permit_state_without_a_facility(
    api: Client, make_person: MakePerson, licensed: Licensed
) -> None:
    licensed(make_person(Role.NURSE))
    item = api.get("/api/workforce/people").json()["items"][0]
    assert item["registration"]["state"] == "valid"
    assert item["practice_permit"] is None


def test_an_unknown_role_or_licence_filter_is_refused_with_the_field_named(api: Client) -> None:
    response = api.get("/api/workforce/people", {"role": "wizard", "licence": "great"})
    assert response.status_code == 422
    assert {f["field"] for f in response.json()["error"]["fields"]} == {"role", "licence"}


def test_listing_people_is_audited_and_refused_to_a_nurse(
    api: Client, officer: User, nurse_client: Client, facility: Facility
) -> None:
    api.get("/api/workforce/people", {"facility": facility.pk})
    event = AuditEvent.objects.filter(action=AuditAction.SEARCH).latest("seq")
    assert (event.object_type, event.actor_id, event.facility_id) == ("person", officer.pk, facility.pk)
    response = nurse_client.get("/api/workforce/people", {"facility": facility.pk})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_a_persons_record_has_credentials_and_certification_progress_in_both_languages(
    api: Client, make_person: MakePerson, add_credential: AddCredential, facility: Facility
) -> None:
    nurse = make_person(Role.NURSE, name="Siti")
    registration = add_credential(nurse, CredentialKind.REGISTRATION)
    hours(nurse, facility, timezone.localdate() - timedelta(days=3), "8")

    response = api.get(f"/api/workforce/people/{nurse.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["roles"] == ["nurse"]
    assert body["facilities"] == [{"id": facility.pk, "code": facility.code, "name": facility.name}]
    assert [c["id"] for c in body["credentials"]] == [registration.pk]
    assert body["credentials"][0]["evidence_count"] == 0
    (cert,) = body["certifications"]
    assert cert["code"] == "pain_nursing"
    assert cert["complete"] is False
    assert cert["exam_passed_on"] is None
    by_kind = {item["kind"]: item for item in cert["items"]}
    assert by_kind["hours"]["have"] == 8
    assert by_kind["hours"]["need"] == 2000
    assert by_kind["hours"]["unmet"]["code"] == "hours_short"
    assert "8 of 2,000 hours" in by_kind["hours"]["unmet"]["message_en"]
    assert by_kind["hours"]["description_en"].startswith("2,000 hours")
    assert by_kind["hours"]["description_id"]
    assert by_kind["role"]["met"] is True
    event = AuditEvent.objects.filter(action=AuditAction.READ).latest("seq")
    assert (event.object_type, event.object_id, event.reason) == ("person", str(nurse.pk), "api")


def test_a_persons_decisions_name_each_reason_with_its_facts_and_the_credentials_relied_on(
    api: Client, make_person: MakePerson, licensed: Licensed, facility: Facility
) -> None:
    nurse = make_person(Role.NURSE)
    str_, sip = licensed(nurse)

    response = api.get(f"/api/workforce/people/{nurse.pk}/decisions", {"facility": facility.pk, "page_size": 500})

    assert response.status_code == 200
    decisions = {d["action"]: d for d in response.json()["items"]}
    assert list(decisions) == ACTIONS
    record = decisions["record_assessment"]
    assert record["allowed"] is True
    assert set(record["relied_on"]) == {str_.pk, sip.pk}
    assert record["label_id"] == "Mencatat asesmen nyeri"
    assert record["pack"].startswith("ID@")
    assert record["facility_id"] == facility.pk
    (unmet,) = decisions["prescribe"]["unmet"]
    assert unmet["code"] == "role_missing"
    assert "general_practitioner" in unmet["params"]["roles"]
    assert unmet["message_en"].startswith("Needs one of these roles:")
    assert unmet["message_id"]
    spine = decisions["perform_procedure:interventional_spine"]["unmet"]
    one_of = next(u for u in spine if u["code"] == "one_of")
    assert [o["code"] for o in one_of["options"]] == ["specialty_missing", "specialty_missing"]


def test_a_persons_decisions_are_paged_in_the_packs_order_audited_in_constant_statements(
    api: Client, make_person: MakePerson, licensed: Licensed, add_credential: AddCredential, facility: Facility
) -> None:
    nurse = make_person(Role.NURSE)
    licensed(nurse)
    url = f"/api/workforce/people/{nurse.pk}/decisions"
    first = api.get(url, {"facility": facility.pk}).json()
    assert (first["count"], first["page"], first["page_size"]) == (len(ACTIONS), 1, 50)
    assert [d["action"] for d in first["items"]] == ACTIONS[:50]
    event = AuditEvent.objects.filter(action=AuditAction.READ).latest("seq")
    assert (event.object_type, event.object_id) == ("person", str(nurse.pk))
    few = statements_of(lambda: api.get(url, {"facility": facility.pk}))
    for _ in range(5):
        add_credential(nurse, CredentialKind.RESIDENCY, specialty="anesthesiology", issuer="Kolegium")
    assert statements_of(lambda: api.get(url, {"facility": facility.pk})) == few
    second = api.get(url, {"facility": facility.pk, "page": 2, "page_size": 3}).json()
    assert (second["count"], second["pages"]) == (len(ACTIONS), -(-len(ACTIONS) // 3))
    assert [d["action"] for d in second["items"]] == ACTIONS[3:6]
    assert {d["facility_id"] for d in second["items"]} == {facility.pk}


def test_one_decision_can_be_asked_for_and_an_unknown_action_is_refused(
    api: Client, make_person: MakePerson, facility: Facility
) -> None:
    nurse = make_person(Role.NURSE)
    url = f"/api/workforce/people/{nurse.pk}/decisions"
    (only,) = api.get(url, {"facility": facility.pk, "action": "give_sedation"}).json()["items"]
    assert only["action"] == "give_sedation"
    assert only["allowed"] is False
    refused = api.get(url, {"facility": facility.pk, "action": "fly"})
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"][0]["field"] == "action"
    assert api.get(url).status_code == 422  # the facility is required


def test_a_facilitys_decisions_come_in_one_batch_per_page_with_the_same_queries_for_few_and_many(
    api: Client, make_person: MakePerson, licensed: Licensed, facility: Facility
) -> None:
    url = f"/api/workforce/facilities/{facility.pk}/decisions"
    licensed(make_person(Role.NURSE, name="P00"))
    api.get(url)
    with CaptureQueriesContext(connection) as few:
        api.get(url)
    for i in range(1, 30):
        person = make_person(Role.NURSE if i % 2 else Role.PAIN_PHYSICIAN, name=f"P{i:02d}")
        if i % 3:
            licensed(person)
    with CaptureQueriesContext(connection) as many:
        body = api.get(url, {"action": "record_assessment"}).json()
    assert len(many) == len(few)
    assert body["count"] == 30
    assert len(body["items"]) == 30
    assert [d["action"] for d in body["items"]] == ["record_assessment"] * 30
    assert sum(d["allowed"] for d in body["items"]) == 21  # the licensed: P00 and every i not divisible by 3


def test_another_organizations_person_and_facility_are_not_found_in_the_api(
    api: Client, other_org: Organization, other_facility: Facility, facility: Facility
) -> None:
    stranger = Person.objects.create(organization=other_org, full_name="Orang Lain", citizenship="citizen")
    for url, params in [
        (f"/api/workforce/people/{stranger.pk}", {}),
        (f"/api/workforce/people/{stranger.pk}/decisions", {"facility": facility.pk}),
        (f"/api/workforce/facilities/{other_facility.pk}/decisions", {}),
        ("/api/workforce/people", {"facility": other_facility.pk}),
    ]:
        response = api.get(url, params)
        assert response.status_code == 404, url
        assert response.json()["error"]["code"] == "not_found"
