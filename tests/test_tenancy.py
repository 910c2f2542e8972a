from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.tenancy.models import Facility, Membership, MembershipRole, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.services import add_member
from tests.conftest import PASSWORD, MakeMember, log_in


def test_a_member_sees_their_facility_dashboard(nurse_client: Client, facility: Facility) -> None:
    response = nurse_client.get(f"/facilities/{facility.pk}/")
    assert response.status_code == 200
    assert facility.name in response.content.decode()


def test_another_organizations_facility_is_not_found(nurse_client: Client, other_facility: Facility) -> None:
    response = nurse_client.get(f"/facilities/{other_facility.pk}/")
    assert response.status_code == 404


@pytest.mark.django_db
def test_healthz_answers_ok_when_the_database_is_reachable(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_a_facility_limited_member_does_not_see_the_organizations_other_facilities(
    org: Organization, facility: Facility, make_member: MakeMember, client: Client
) -> None:
    second = Facility.objects.create(
        organization=org,
        name="Klinik Cabang",
        code="cabang",
        kind=Facility.Kind.PAIN_CLINIC,
        province="Jawa Barat",
        regency="Kota Cimahi",
        regency_code="32.77",
    )
    user = make_member(org, Role.RADIOGRAPHER, username="dedi", facilities=(facility,))
    log_in(client, user)
    assert client.get(f"/facilities/{facility.pk}/").status_code == 200
    assert client.get(f"/facilities/{second.pk}/").status_code == 404
    assert [f["id"] for f in client.get("/api/facilities").json()["items"]] == [facility.pk]


def test_the_facility_home_shows_a_physicians_work_in_a_fixed_number_of_queries(
    org: Organization, facility: Facility, make_member: MakeMember, client: Client
) -> None:
    viewer = make_member(org, Role.PAIN_PHYSICIAN, username="andi")
    log_in(client, viewer)
    url = f"/facilities/{facility.pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(6):
        make_member(org, Role.NURSE, username=f"nurse{n}", facilities=(facility,))
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    # The same count whatever the staff; today's appointments (issue 13) cost three of them:
    # the day's list and its audited read (on SQLite the head moves as the row is hashed).
    assert len(many) == len(few) <= 17
    # The home shows the physician's work (issue 13), no longer a count of the staff.
    assert [str(shown.panel.title) for shown in response.context["panels"]] == [
        "Janji temu hari ini",
        "Catatan harian pasien",
        "Tindakan",
    ]


def test_a_user_without_any_membership_is_refused(client: Client, db: None) -> None:
    user = User.objects.create_user(username="stranger", password=PASSWORD)
    log_in(client, user)
    assert client.get("/").status_code == 403


def test_adding_a_member_is_audited_in_the_same_transaction(org: Organization, facility: Facility) -> None:
    user = User.objects.create_user(username="budi", password="x-very-long-pass")
    membership = add_member(acting_user=None, organization=org, user=user, roles=[Role.NURSE], facilities=[facility])
    event = AuditEvent.objects.get(object_type="membership", object_id=str(membership.pk))
    assert event.action == AuditAction.ACCESS_CHANGED
    assert event.organization_id == org.pk


def test_adding_a_member_to_another_organizations_facility_is_refused(
    org: Organization, other_facility: Facility
) -> None:
    user = User.objects.create_user(username="budi", password="x-very-long-pass")
    with pytest.raises(ValueError, match="facilities must belong"):
        add_member(acting_user=None, organization=org, user=user, roles=[Role.NURSE], facilities=[other_facility])
    assert not Membership.objects.filter(user=user).exists()


def test_the_database_refuses_an_unknown_role(org: Organization, make_member: MakeMember) -> None:
    user = make_member(org, Role.NURSE, username="ujang")
    membership = Membership.objects.get(user=user)
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipRole.objects.create(organization=org, membership=membership, role="wizard")
