"""The people administration API, and who may use it (pages and API alike)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.onboarding.models import Invitation, InvitationStatus
from nyeri.tenancy.models import Facility, Membership, Organization
from nyeri.tenancy.roles import Role
from tests.conftest import MakeMember
from tests.onboarding.conftest import Invite, bearer, client_of

pytestmark = pytest.mark.django_db


def post(client: Client, url: str, body: dict[str, Any] | None = None, **headers: str) -> Any:
    return client.post(url, json.dumps(body or {}), content_type="application/json", **headers)


def put(client: Client, url: str, body: dict[str, Any], **headers: str) -> Any:
    return client.put(url, json.dumps(body), content_type="application/json", **headers)


def test_an_administrator_invites_lists_resends_and_revokes_through_the_api(
    admin_client: Client, facility: Facility, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            admin_client,
            "/api/people/invitations",
            {
                "full_name": "Budi Santoso",
                "email": "budi@sehat.example",
                "roles": ["nurse"],
                "facility_ids": [facility.pk],
                "nik": "3273010101900001",
            },
        )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["roles"] == ["nurse"]
    assert created["facilities"] == [{"id": facility.pk, "name": facility.name}]
    assert created["expired"] is False
    assert len(mail.outbox) == 1
    listed = admin_client.get("/api/people/invitations").json()
    assert [i["id"] for i in listed["items"]] == [created["id"]]
    # The listed invitation reads as its creation answered it.
    assert listed["items"][0] == created
    with django_capture_on_commit_callbacks(execute=True):
        response = post(admin_client, f"/api/people/invitations/{created['id']}/resend")
    assert response.status_code == 200
    assert len(mail.outbox) == 2
    response = post(admin_client, f"/api/people/invitations/{created['id']}/revoke")
    assert response.status_code == 204
    assert Invitation.objects.get().status == InvitationStatus.REVOKED
    assert admin_client.get("/api/people/invitations").json()["items"] == []
    response = post(admin_client, f"/api/people/invitations/{created['id']}/resend")
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "status"


def test_bad_invitation_input_gets_the_error_envelope_naming_the_fields(admin_client: Client) -> None:
    response = post(
        admin_client,
        "/api/people/invitations",
        {"full_name": " ", "email": "nope", "roles": [], "nik": "12345"},
    )
    assert response.status_code == 422
    fields = {f["field"] for f in response.json()["error"]["fields"]}
    assert {"full_name", "email", "roles", "nik"} <= fields
    response = post(admin_client, "/api/people/invitations", {"full_name": "A", "email": "a@b.example", "roles": ["x"]})
    assert response.status_code == 422
    assert not Invitation.objects.exists()


def test_the_invitations_are_paged_newest_first(
    admin_client: Client, facility: Facility, django_capture_on_commit_callbacks: Any
) -> None:
    created = []
    for n, roles in enumerate([["nurse"], ["pharmacist", "nurse"], ["nurse"]]):
        with django_capture_on_commit_callbacks(execute=True):
            body = {"full_name": f"Budi {n}", "email": f"budi{n}@sehat.example", "roles": roles}
            created.append(post(admin_client, "/api/people/invitations", body).json())
    first = admin_client.get("/api/people/invitations", {"page_size": 2}).json()
    assert (first["count"], first["page"], first["pages"], first["page_size"]) == (3, 1, 2, 2)
    assert [i["id"] for i in first["items"]] == [created[2]["id"], created[1]["id"]]
    assert first["items"][1] == created[1]
    assert first["items"][1]["roles"] == ["nurse", "pharmacist"]
    [last] = admin_client.get("/api/people/invitations", {"page_size": 2, "page": 2}).json()["items"]
    assert last == created[0]
    assert last["facilities"] == []


def test_an_unknown_facility_id_names_the_field(admin_client: Client, other_facility: Facility) -> None:
    response = post(
        admin_client,
        "/api/people/invitations",
        {"full_name": "Budi", "email": "budi@sehat.example", "roles": ["nurse"], "facility_ids": [other_facility.pk]},
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "facilities"


def test_the_members_are_paged_active_first_each_as_its_change_answers(
    admin_client: Client, nurse: User, facility: Facility
) -> None:
    membership = Membership.objects.get(user=nurse)
    access = f"/api/people/members/{membership.pk}/access"
    put(admin_client, access, {"roles": ["pharmacist", "nurse"], "facility_ids": [facility.pk]})
    changed = post(admin_client, f"/api/people/members/{membership.pk}/deactivate", {"reason": "moved away"}).json()
    first = admin_client.get("/api/people/members", {"page_size": 1}).json()
    assert (first["count"], first["page"], first["pages"], first["page_size"]) == (2, 1, 2, 1)
    assert [m["username"] for m in first["items"]] == ["admin_rina"]
    [second] = admin_client.get("/api/people/members", {"page_size": 1, "page": 2}).json()["items"]
    assert second == changed
    assert second["roles"] == ["nurse", "pharmacist"]
    assert second["facilities"] == [{"id": facility.pk, "name": facility.name}]
    assert admin_client.get("/api/people/members", {"page": 3}).json()["items"] == []
    assert admin_client.get("/api/people/members", {"page_size": "x"}).status_code == 422


def test_an_administrator_lists_members_and_changes_access_through_the_api(
    admin_client: Client, nurse: User, facility: Facility
) -> None:
    members = admin_client.get("/api/people/members").json()["items"]
    assert {m["username"] for m in members} == {"admin_rina", "siti"}
    membership = Membership.objects.get(user=nurse)
    response = put(
        admin_client,
        f"/api/people/members/{membership.pk}/access",
        {"roles": ["nurse", "pharmacist"], "facility_ids": [facility.pk]},
    )
    assert response.status_code == 200, response.content
    assert response.json()["roles"] == ["nurse", "pharmacist"]
    assert response.json()["facilities"] == [{"id": facility.pk, "name": facility.name}]
    response = post(admin_client, f"/api/people/members/{membership.pk}/deactivate", {"reason": "moved away"})
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    response = post(admin_client, f"/api/people/members/{membership.pk}/reactivate")
    assert response.status_code == 200
    assert response.json()["is_active"] is True


def test_the_last_administrator_keeps_their_role_through_the_api(admin_client: Client, admin: User) -> None:
    membership = Membership.objects.get(user=admin)
    response = put(admin_client, f"/api/people/members/{membership.pk}/access", {"roles": ["nurse"]})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == [
        {"field": "roles", "message": "You are the last active administrator: give another member the role first."}
    ]
    response = post(admin_client, f"/api/people/members/{membership.pk}/deactivate")
    assert response.status_code == 422


# --- Who may ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/people/"),
        ("post", "/people/invite/"),
        ("get", "/people/members/{membership}/"),
        ("post", "/people/members/{membership}/deactivate/"),
        ("post", "/people/invitations/{invitation}/resend/"),
    ],
)
def test_a_non_administrator_is_refused_the_pages_and_the_refusal_is_audited(
    nurse_client: Client, nurse: User, invite: Invite, method: str, url: str
) -> None:
    invitation = invite()
    target = url.format(membership=Membership.objects.get(user=nurse).pk, invitation=invitation.pk)
    response = getattr(nurse_client, method)(target)
    assert response.status_code == 403
    refusal = AuditEvent.objects.get(action=AuditAction.PERMISSION_DENIED)
    assert refusal.actor_id == nurse.pk
    assert refusal.outcome == AuditOutcome.DENIED


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/people/members"),
        ("get", "/api/people/invitations"),
        ("post", "/api/people/invitations"),
        ("put", "/api/people/members/{membership}/access"),
        ("post", "/api/people/members/{membership}/deactivate"),
        ("post", "/api/people/invitations/{invitation}/revoke"),
    ],
)
def test_a_non_administrator_gets_403_from_the_api_audited(nurse: User, invite: Invite, method: str, url: str) -> None:
    invitation = invite()
    target = url.format(membership=Membership.objects.get(user=nurse).pk, invitation=invitation.pk)
    body = {"full_name": "X", "email": "x@y.example", "roles": ["nurse"]}
    if method == "get":
        response = Client().get(target, **bearer(nurse))
    else:
        response = getattr(Client(), method)(target, json.dumps(body), content_type="application/json", **bearer(nurse))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED, actor=nurse).count() == 1
    assert Invitation.objects.get().status == InvitationStatus.PENDING


def test_another_organizations_member_and_invitation_are_not_found(
    admin_client: Client,
    other_admin: User,
    other_org: Organization,
    make_member: MakeMember,
    django_capture_on_commit_callbacks: Any,
) -> None:
    stranger = make_member(other_org, Role.NURSE, username="orang_lain")
    foreign = Membership.objects.get(user=stranger)
    other_client = client_of(other_admin)
    response = post(
        other_client, "/api/people/invitations", {"full_name": "Lain", "email": "l@lain.example", "roles": ["nurse"]}
    )
    assert response.status_code == 201
    foreign_invitation = response.json()["id"]
    assert admin_client.get(f"/people/members/{foreign.pk}/").status_code == 404
    assert admin_client.post(f"/people/members/{foreign.pk}/deactivate/").status_code == 404
    assert admin_client.post(f"/people/invitations/{foreign_invitation}/revoke/").status_code == 404
    response = put(admin_client, f"/api/people/members/{foreign.pk}/access", {"roles": ["nurse"]})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert post(admin_client, f"/api/people/members/{foreign.pk}/deactivate").status_code == 404
    assert post(admin_client, f"/api/people/invitations/{foreign_invitation}/resend").status_code == 404
    assert post(admin_client, "/api/people/invitations/999999/revoke").status_code == 404
    foreign.refresh_from_db()
    assert foreign.is_active
    assert Invitation.objects.get(pk=foreign_invitation).status == InvitationStatus.PENDING
    assert {m["username"] for m in admin_client.get("/api/people/members").json()["items"]} == {"admin_rina"}
