"""Inviting a staff member by e-mail and accepting the invitation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.onboarding import services
from nyeri.onboarding.models import Invitation, InvitationStatus
from nyeri.onboarding.tokens import digest
from nyeri.tenancy.models import Facility, Membership, MembershipFacility, MembershipRole, Organization
from nyeri.tenancy.roles import Role
from nyeri.workforce.kinds import Citizenship
from nyeri.workforce.models import Person, PersonFacility, PersonRole
from tests.onboarding.conftest import NEW_PASSWORD, Invite, link_secret, scope_of

pytestmark = pytest.mark.django_db


def accept(client: Client, secret: str, username: str = "budi", password: str = NEW_PASSWORD, **extra: Any) -> Any:
    return client.post(
        f"/invitation/{secret}/",
        {"username": username, "password": password, "password_again": extra.get("again", password)},
        HTTP_ACCEPT_LANGUAGE=extra.get("language", "en"),
    )


def nothing_written() -> bool:
    return (
        not User.objects.filter(username="budi").exists()
        and not Person.objects.filter(full_name="Budi Santoso").exists()
        and not Membership.objects.filter(user__username="budi").exists()
    )


# --- Inviting -------------------------------------------------------------------------


def test_an_invitation_is_created_audited_and_e_mailed_with_a_link(
    admin_client: Client, admin: User, facility: Facility, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/people/invite/",
            {
                "full_name": "Budi Santoso",
                "email": "Budi@Sehat.example",
                "nik": "",
                "citizenship": "citizen",
                "language": "en",
                "roles": ["nurse"],
                "facilities": [facility.pk],
            },
        )
    assert response.status_code == 302, response.content
    invitation = Invitation.objects.get()
    assert invitation.email == "budi@sehat.example"
    assert invitation.status == InvitationStatus.PENDING
    assert list(invitation.roles.values_list("role", flat=True)) == ["nurse"]
    assert list(invitation.facility_links.values_list("facility_id", flat=True)) == [facility.pk]
    assert invitation.expires_at - invitation.sent_at == timedelta(days=7)
    [message] = mail.outbox
    assert message.to == ["budi@sehat.example"]
    assert "RS Sehat Sentosa" in message.subject
    secret = link_secret()
    # A full link, to the address the administrator used (no NYERI_SITE_URL here).
    assert f"http://testserver/invitation/{secret}/" in message.body
    # Only the digest is stored: the secret is in the e-mail alone.
    assert invitation.token_digest == digest(secret)
    assert secret not in invitation.token_digest
    event = AuditEvent.objects.filter(object_type="invitation", action=AuditAction.CREATE).get()
    assert event.actor_id == admin.pk
    assert event.organization_id == invitation.organization_id
    assert "roles: nurse" in event.reason


def test_the_e_mail_is_in_the_chosen_language_first_then_in_the_other(invite: Invite) -> None:
    invite(language="id")
    message = mail.outbox[0]
    assert "Anda diundang" in message.subject
    assert message.body.index("Tautan ini") < message.body.index("The link works once")
    assert message.body.count(f"/invitation/{link_secret()}/") == 2
    invite(email="ani@sehat.example", language="en")
    message = mail.outbox[1]
    assert "You are invited" in message.subject
    assert message.body.index("The link works once") < message.body.index("Tautan ini")


def test_the_link_points_to_the_configured_site_address(invite: Invite, settings: Any) -> None:
    settings.NYERI_SITE_URL = "https://nyeri.example.org/"
    invite(site_url="http://internal:8000/")
    assert f"https://nyeri.example.org/invitation/{link_secret()}/" in mail.outbox[0].body


def test_an_invitation_to_an_address_that_is_already_a_member_is_refused(
    invite: Invite, admin: User, make_member: Any, org: Organization
) -> None:
    member = make_member(org, Role.NURSE, username="siti")
    member.email = "siti@sehat.example"
    member.save(update_fields=["email"])
    with pytest.raises(ValidationError) as caught:
        invite(email="SITI@sehat.example")
    assert caught.value.message_dict["email"] == ["siti@sehat.example is already a member of your organization."]
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_an_invitation_to_a_deactivated_member_points_to_reactivation(
    invite: Invite, make_member: Any, org: Organization
) -> None:
    member = make_member(org, Role.NURSE, username="siti")
    member.email = "siti@sehat.example"
    member.save(update_fields=["email"])
    Membership.objects.filter(user=member).update(is_active=False)
    with pytest.raises(ValidationError) as caught:
        invite(email="siti@sehat.example")
    assert "reactivate them" in caught.value.message_dict["email"][0]


def test_a_second_invitation_to_a_waiting_address_is_refused(invite: Invite) -> None:
    invite()
    with pytest.raises(ValidationError) as caught:
        invite()
    assert "already waiting" in caught.value.message_dict["email"][0]
    assert Invitation.objects.count() == 1


def test_a_nik_of_15_digits_is_refused(invite: Invite) -> None:
    with pytest.raises(ValidationError) as caught:
        invite(nik="327301010190000")
    assert caught.value.message_dict["nik"] == ["A NIK has 16 digits; 15 were given."]
    assert not Invitation.objects.exists()


def test_a_nik_of_an_unknown_province_or_regency_is_refused(invite: Invite) -> None:
    with pytest.raises(ValidationError) as caught:
        invite(nik="9973010101900001")
    assert "not the code of an Indonesian province" in caught.value.message_dict["nik"][0]
    with pytest.raises(ValidationError) as caught:
        invite(nik="3299010101900001")
    assert "32.99" in caught.value.message_dict["nik"][0]
    assert not Invitation.objects.exists()


def test_an_invitation_without_roles_names_the_field(invite: Invite) -> None:
    with pytest.raises(ValidationError) as caught:
        invite(roles=())
    assert caught.value.message_dict["roles"] == ["Choose at least one role."]


def test_the_invite_form_shows_field_errors_and_writes_nothing(admin_client: Client) -> None:
    response = admin_client.post(
        "/people/invite/",
        {"full_name": "", "email": "not-an-address", "citizenship": "citizen", "language": "en", "roles": []},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "full_name" in form.errors
    assert "email" in form.errors
    assert not Invitation.objects.exists()


# --- Accepting ------------------------------------------------------------------------


def test_accepting_creates_the_user_membership_and_professional_record_in_one_go(
    invite: Invite, facility: Facility, second_facility: Facility, org: Organization, admin: User
) -> None:
    invitation = invite(
        roles=(Role.NURSE, Role.FACILITY_MANAGER), facilities=(second_facility,), nik="3273010101900001"
    )
    client = Client()
    page = client.get(f"/invitation/{link_secret()}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert b"Budi Santoso" in page.content
    response = accept(client, link_secret())
    assert response.status_code == 302, response.content
    user = User.objects.get(username="budi")
    assert user.email == "budi@sehat.example"
    assert user.full_name == "Budi Santoso"
    assert user.check_password(NEW_PASSWORD)
    membership = Membership.objects.get(user=user, organization=org)
    assert membership.is_active
    assert set(MembershipRole.objects.filter(membership=membership).values_list("role", flat=True)) == {
        "nurse",
        "facility_manager",
    }
    assert list(MembershipFacility.objects.filter(membership=membership).values_list("facility_id", flat=True)) == [
        second_facility.pk
    ]
    person = Person.objects.get(user=user)
    assert person.organization_id == org.pk
    assert person.nik == "3273010101900001"
    assert person.citizenship == Citizenship.CITIZEN
    assert set(PersonRole.objects.filter(person=person).values_list("role", flat=True)) == {
        "nurse",
        "facility_manager",
    }
    assert list(PersonFacility.objects.filter(person=person).values_list("facility_id", flat=True)) == [
        second_facility.pk
    ]
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED
    assert invitation.accepted_user_id == user.pk
    # The new member is logged in and lands on their home page.
    assert client.get("/api/me").json()["username"] == "budi"
    assert AuditEvent.objects.filter(object_type="person", object_id=str(person.pk), actor=admin).exists()
    assert AuditEvent.objects.filter(object_type="invitation", reason="accepted", actor=user).exists()


def test_a_member_without_facility_limits_works_at_every_facility(
    invite: Invite, facility: Facility, second_facility: Facility
) -> None:
    invite()
    assert accept(Client(), link_secret()).status_code == 302
    membership = Membership.objects.get(user__username="budi")
    assert not MembershipFacility.objects.filter(membership=membership).exists()
    person = Person.objects.get(user__username="budi")
    assert set(PersonFacility.objects.filter(person=person).values_list("facility_id", flat=True)) == {
        facility.pk,
        second_facility.pk,
    }


def test_a_failure_halfway_leaves_nothing_written(invite: Invite, monkeypatch: pytest.MonkeyPatch) -> None:
    invite()

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "add_member", broken)
    with pytest.raises(RuntimeError):
        services.accept_invitation(secret=link_secret(), username="budi", password=NEW_PASSWORD)
    assert nothing_written()
    assert Invitation.objects.get().status == InvitationStatus.PENDING


def test_an_expired_link_is_refused_with_a_translated_reason(invite: Invite) -> None:
    invite()
    secret = link_secret()
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1), tick=False):
        response = accept(Client(), secret)
        assert response.status_code == 410
        assert b"This invitation has expired" in response.content
        response = Client().get(f"/invitation/{secret}/", HTTP_ACCEPT_LANGUAGE="id")
        assert response.status_code == 410
        assert "Undangan ini sudah kedaluwarsa" in response.content.decode()
    assert nothing_written()
    refusal = AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED, object_type="invitation").first()
    assert refusal is not None
    assert refusal.outcome == AuditOutcome.DENIED
    assert refusal.reason == "invitation link refused: expired"


def test_a_link_just_within_its_seven_days_still_works(invite: Invite) -> None:
    invite()
    secret = link_secret()
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=-1), tick=False):
        assert accept(Client(), secret).status_code == 302


def test_a_used_link_is_refused(invite: Invite) -> None:
    invite()
    secret = link_secret()
    assert accept(Client(), secret).status_code == 302
    response = accept(Client(), secret, username="budi2")
    assert response.status_code == 410
    assert b"already been used" in response.content
    assert User.objects.filter(email="budi@sehat.example").count() == 1


def test_a_revoked_link_is_refused(invite: Invite, admin_client: Client) -> None:
    invitation = invite()
    response = admin_client.post(f"/people/invitations/{invitation.pk}/revoke/")
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED
    response = accept(Client(), link_secret())
    assert response.status_code == 410
    assert b"withdrawn" in response.content
    assert nothing_written()
    assert AuditEvent.objects.filter(action=AuditAction.CANCEL, object_id=str(invitation.pk)).exists()


def test_a_resent_invitation_refuses_the_old_link_and_accepts_the_new_one(
    invite: Invite, admin_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    invitation = invite()
    old = link_secret()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/people/invitations/{invitation.pk}/resend/")
    assert response.status_code == 302
    assert len(mail.outbox) == 2
    new = link_secret()
    assert new != old
    response = accept(Client(), old)
    assert response.status_code == 404
    assert b"not valid" in response.content
    assert nothing_written()
    assert accept(Client(), new).status_code == 302


def test_an_expired_invitation_can_be_sent_again(invite: Invite, admin: User) -> None:
    invitation = invite()
    with time_machine.travel(timezone.now() + timedelta(days=10), tick=False):
        services.resend_invitation(scope=scope_of(admin), acting_user=admin, invitation=invitation)
        invitation.refresh_from_db()
        assert invitation.expires_at > timezone.now() + timedelta(days=6)


def test_a_bad_password_gives_a_field_error_and_writes_nothing(invite: Invite) -> None:
    invite()
    response = accept(Client(), link_secret(), password="budi")
    assert response.status_code == 400
    assert response.context["form"].errors["password"]
    assert nothing_written()
    assert Invitation.objects.get().status == InvitationStatus.PENDING


def test_different_passwords_give_a_field_error(invite: Invite) -> None:
    invite()
    response = accept(Client(), link_secret(), again="something-else-2026!")
    assert response.status_code == 400
    assert response.context["form"].errors["password_again"] == ["The two passwords are not the same."]
    assert nothing_written()


def test_a_taken_username_gives_a_field_error_and_writes_nothing(invite: Invite, admin: User) -> None:
    invite()
    response = accept(Client(), link_secret(), username="ADMIN_rina")
    assert response.status_code == 400
    assert response.context["form"].errors["username"] == ["This username is taken. Choose another one."]
    assert not Person.objects.filter(full_name="Budi Santoso").exists()
    assert User.objects.count() == 1
    assert Invitation.objects.get().status == InvitationStatus.PENDING


def test_an_invited_administrator_is_sent_to_enrol_a_second_factor(invite: Invite) -> None:
    invite(roles=(Role.ADMINISTRATOR,))
    client = Client()
    assert accept(client, link_secret()).status_code == 302
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/second-factor/setup/")


def test_a_person_imported_with_the_same_nik_becomes_the_members_record(invite: Invite, org: Organization) -> None:
    imported = Person.objects.create(
        organization=org, full_name="Budi S.", citizenship=Citizenship.CITIZEN, nik="3273010101900001"
    )
    invite(nik="3273010101900001")
    assert accept(Client(), link_secret()).status_code == 302
    imported.refresh_from_db()
    assert imported.user is not None
    assert imported.user.username == "budi"
    assert imported.full_name == "Budi Santoso"
    assert Person.objects.filter(organization=org).count() == 1


def test_a_nik_of_another_member_is_refused_at_invitation(invite: Invite, org: Organization, admin: User) -> None:
    Person.objects.create(
        organization=org, user=admin, full_name="Rina", citizenship=Citizenship.CITIZEN, nik="3273010101900001"
    )
    with pytest.raises(ValidationError) as caught:
        invite(nik="3273010101900001")
    assert caught.value.message_dict["nik"] == ["Another member of your organization already has this NIK."]
