"""Changing a member's roles and facilities, and off-boarding (deactivate, reactivate)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from nyeri.accounts.models import ApiToken, User, UserSession
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.onboarding import selectors, services
from nyeri.tenancy.models import Facility, Membership, MembershipFacility, MembershipRole, Organization
from nyeri.tenancy.roles import Role
from nyeri.workforce.engine.facts import load_facts
from nyeri.workforce.kinds import Citizenship
from nyeri.workforce.models import Person, PersonFacility, PersonRole
from tests.conftest import PASSWORD, MakeMember, log_in
from tests.onboarding.conftest import bearer, client_of, scope_of

pytestmark = pytest.mark.django_db


def membership_of(user: User) -> Membership:
    return Membership.objects.get(user=user)


@pytest.fixture
def nurse_person(nurse: User, org: Organization, facility: Facility) -> Person:
    person = Person.objects.create(
        organization=org, user=nurse, full_name="Siti Rahayu", citizenship=Citizenship.CITIZEN
    )
    PersonRole.objects.create(organization=org, person=person, role=Role.NURSE)
    PersonFacility.objects.create(organization=org, person=person, facility=facility)
    return person


# --- Roles and facilities -------------------------------------------------------------


def test_a_role_change_is_audited_with_before_and_after(
    admin_client: Client, admin: User, nurse: User, nurse_person: Person, facility: Facility
) -> None:
    membership = membership_of(nurse)
    response = admin_client.post(
        f"/people/members/{membership.pk}/", {"roles": ["nurse", "facility_manager"], "facilities": [facility.pk]}
    )
    assert response.status_code == 302, response.content
    event = AuditEvent.objects.get(action=AuditAction.ACCESS_CHANGED, object_id=str(membership.pk))
    assert event.actor_id == admin.pk
    assert event.reason == (
        f"roles: nurse -> facility_manager, nurse; facilities: all -> {facility.pk}; person {nurse_person.pk}"
    )


def test_a_role_change_takes_effect_on_the_members_next_request(
    admin: User, nurse: User, nurse_person: Person, facility: Facility, second_facility: Facility
) -> None:
    headers = bearer(nurse)
    client = Client()
    assert client.get("/api/organization", **headers).json()["roles"] == ["nurse"]
    assert {f["id"] for f in client.get("/api/facilities", **headers).json()["items"]} == {
        facility.pk,
        second_facility.pk,
    }
    services.change_access(
        scope=scope_of(admin),
        acting_user=admin,
        membership=membership_of(nurse),
        roles=[Role.NURSE, Role.CREDENTIALING_OFFICER],
        facilities=[second_facility],
    )
    # The scope (memberships) and the requirements engine (the professional record) agree.
    assert client.get("/api/organization", **headers).json()["roles"] == ["credentialing_officer", "nurse"]
    assert [f["id"] for f in client.get("/api/facilities", **headers).json()["items"]] == [second_facility.pk]
    facts = load_facts([nurse_person.pk], today=timezone.localdate(), hour_windows=[])[nurse_person.pk]
    assert facts.roles == {"nurse", "credentialing_officer"}
    assert facts.facility_ids == {second_facility.pk}


def test_a_member_given_the_administrator_role_must_enrol_a_second_factor_at_once(
    admin: User, nurse: User, nurse_client: Client
) -> None:
    assert nurse_client.get("/accounts/profile/").status_code == 200
    services.change_access(
        scope=scope_of(admin), acting_user=admin, membership=membership_of(nurse), roles=[Role.ADMINISTRATOR]
    )
    response = nurse_client.get("/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/second-factor/setup/")


def test_the_last_active_administrator_cannot_remove_their_own_role(admin_client: Client, admin: User) -> None:
    membership = membership_of(admin)
    response = admin_client.post(f"/people/members/{membership.pk}/", {"roles": ["nurse"]})
    assert response.status_code == 400
    assert response.context["form"].errors["roles"] == [
        "You are the last active administrator: give another member the role first."
    ]
    assert list(MembershipRole.objects.filter(membership=membership).values_list("role", flat=True)) == [
        "administrator"
    ]


def test_an_administrator_may_step_down_when_another_is_active(
    admin: User, org: Organization, make_member: MakeMember
) -> None:
    make_member(org, Role.ADMINISTRATOR, username="admin_two")
    services.change_access(scope=scope_of(admin), acting_user=admin, membership=membership_of(admin), roles=["nurse"])
    assert list(MembershipRole.objects.filter(membership=membership_of(admin)).values_list("role", flat=True)) == [
        "nurse"
    ]


def test_a_deactivated_administrator_does_not_count_as_the_other_administrator(
    admin: User, org: Organization, make_member: MakeMember
) -> None:
    other = make_member(org, Role.ADMINISTRATOR, username="admin_two")
    Membership.objects.filter(user=other).update(is_active=False)
    with pytest.raises(ValidationError) as caught:
        services.change_access(
            scope=scope_of(admin), acting_user=admin, membership=membership_of(admin), roles=["nurse"]
        )
    assert "roles" in caught.value.message_dict


def test_roles_must_not_be_empty_and_facilities_must_be_the_organizations(
    admin: User, nurse: User, other_facility: Facility
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.change_access(
            scope=scope_of(admin),
            acting_user=admin,
            membership=membership_of(nurse),
            roles=[],
            facilities=[other_facility],
        )
    assert set(caught.value.message_dict) == {"roles", "facilities"}
    assert list(MembershipRole.objects.filter(membership=membership_of(nurse)).values_list("role", flat=True)) == [
        "nurse"
    ]
    assert not MembershipFacility.objects.filter(membership=membership_of(nurse)).exists()


# --- Off-boarding ---------------------------------------------------------------------


def test_deactivation_logs_out_an_existing_session_at_once(
    admin_client: Client, nurse: User, nurse_client: Client
) -> None:
    assert nurse_client.get("/accounts/profile/").status_code == 200
    membership = membership_of(nurse)
    page = admin_client.get(f"/people/members/{membership.pk}/deactivate/")
    assert page.status_code == 200
    response = admin_client.post(f"/people/members/{membership.pk}/deactivate/", {"reason": "left the clinic"})
    assert response.status_code == 302
    response = nurse_client.get("/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert nurse_client.get("/api/me").status_code == 401
    assert not UserSession.objects.filter(user=nurse).exists()
    membership.refresh_from_db()
    nurse.refresh_from_db()
    assert not membership.is_active
    assert not nurse.is_active
    event = AuditEvent.objects.get(action=AuditAction.ACCOUNT_DEACTIVATED, object_id=str(membership.pk))
    assert event.reason.startswith("left the clinic (sessions ended: 1, tokens revoked: 0")


def test_deactivation_refuses_an_existing_api_token_at_once(admin: User, nurse: User) -> None:
    headers = bearer(nurse)
    assert Client().get("/api/me", **headers).status_code == 200
    services.deactivate_member(scope=scope_of(admin), acting_user=admin, membership=membership_of(nurse))
    response = Client().get("/api/me", **headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert ApiToken.objects.get(user=nurse).revoked_at is not None


def test_a_member_of_another_organization_too_keeps_their_account_but_loses_this_one(
    admin: User, nurse: User, other_org: Organization
) -> None:
    Membership.objects.create(organization=other_org, user=nurse)
    headers = bearer(nurse)
    services.deactivate_member(scope=scope_of(admin), acting_user=admin, membership=membership_of_org(nurse, admin))
    nurse.refresh_from_db()
    assert nurse.is_active
    # The token is revoked all the same: it would otherwise still reach the API.
    assert Client().get("/api/me", **headers).status_code == 401
    client = log_in(Client(), nurse)
    assert client.get("/api/organization").json()["name"] == other_org.name


def membership_of_org(user: User, admin: User) -> Membership:
    return Membership.objects.get(user=user, organization=scope_of(admin).organization)


def test_a_deactivated_member_cannot_log_in_and_reactivation_restores_login(
    admin_client: Client, admin: User, nurse: User
) -> None:
    membership = membership_of(nurse)
    services.deactivate_member(scope=scope_of(admin), acting_user=admin, membership=membership)
    refused = Client().post("/accounts/login/", {"username": nurse.username, "password": PASSWORD})
    assert refused.status_code == 200
    response = admin_client.post(f"/people/members/{membership.pk}/reactivate/")
    assert response.status_code == 302
    client = log_in(Client(), nurse)
    assert client.get("/accounts/profile/").status_code == 200
    assert client.get("/api/organization").json()["roles"] == ["nurse"]
    assert AuditEvent.objects.filter(
        action=AuditAction.ACCESS_CHANGED, object_id=str(membership.pk), reason="reactivated"
    ).exists()


def test_a_deactivated_member_keeps_their_name_on_what_they_recorded(
    admin: User, nurse: User, nurse_person: Person, nurse_client: Client
) -> None:
    login_event = AuditEvent.objects.filter(actor=nurse, action=AuditAction.LOGIN).get()
    services.deactivate_member(scope=scope_of(admin), acting_user=admin, membership=membership_of(nurse))
    login_event.refresh_from_db()
    assert login_event.actor_id == nurse.pk
    assert login_event.actor_label == nurse.username
    nurse_person.refresh_from_db()
    assert nurse_person.user_id == nurse.pk
    assert nurse_person.full_name == "Siti Rahayu"
    [row] = [r for r in selectors.members(scope_of(admin)) if r.user_id == nurse.pk]
    assert row.full_name == str(nurse)
    assert not row.is_active


def test_an_administrator_cannot_deactivate_themselves(admin_client: Client, admin: User) -> None:
    membership = membership_of(admin)
    response = admin_client.post(f"/people/members/{membership.pk}/deactivate/", {"reason": ""})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == ["You cannot deactivate yourself."]
    membership.refresh_from_db()
    assert membership.is_active
    assert admin_client.get("/people/").status_code == 200


def test_deactivating_twice_is_refused_with_a_clear_message(admin: User, nurse: User) -> None:
    services.deactivate_member(scope=scope_of(admin), acting_user=admin, membership=membership_of(nurse))
    with pytest.raises(ValidationError) as caught:
        services.deactivate_member(scope=scope_of(admin), acting_user=admin, membership=membership_of(nurse))
    assert caught.value.message_dict["member"] == ["This member is already deactivated."]


# --- The page -------------------------------------------------------------------------


def test_the_people_page_lists_members_and_pending_invitations_in_a_fixed_number_of_queries(
    admin_client: Client,
    admin: User,
    org: Organization,
    facility: Facility,
    make_member: MakeMember,
    django_assert_max_num_queries: Any,
) -> None:
    services.invite_member(
        scope=scope_of(admin), acting_user=admin, full_name="Budi Santoso", email="budi@x.example", roles=["nurse"]
    )
    for i in range(3):
        make_member(org, Role.NURSE, username=f"nurse{i}", facilities=(facility,))
    response = admin_client.get("/people/")
    assert response.status_code == 200
    assert b"people-admin-link" in response.content
    assert b"budi@x.example" in response.content
    with django_assert_max_num_queries(25) as few:
        admin_client.get("/people/")
    for i in range(3, 13):
        make_member(org, Role.NURSE, username=f"nurse{i}", facilities=(facility,))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin_client.get("/people/")
    assert len(response.context["members"]) == 14


def test_the_people_page_is_in_indonesian_for_an_indonesian_administrator(admin: User) -> None:
    admin.language = "id"
    admin.save(update_fields=["language"])
    client = client_of(admin, language="id")
    response = client.get("/people/")
    assert "Undang anggota staf" in response.content.decode()
