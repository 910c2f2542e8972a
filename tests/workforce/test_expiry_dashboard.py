"""The expiring-credentials dashboard: grouped by facility, sorted by date, for officers only."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope, resolve_scope
from nyeri.workforce.expiry.selectors import expiring_credentials
from nyeri.workforce.kinds import Citizenship, CredentialKind, CredentialStatus
from nyeri.workforce.models import Credential, Person, PersonFacility
from tests.conftest import MakeMember, log_in
from tests.workforce.conftest import AddCredential

TODAY = date(2026, 3, 2)


def scope_of(user: User) -> Scope:
    scope = resolve_scope(user)
    assert scope is not None
    return scope


@pytest.fixture
def clinic(org: Organization) -> Facility:
    return Facility.objects.create(
        organization=org, name="Apotek Klinik Dago", code="dago", kind="pain_clinic", province="Jawa Barat",
        regency="Kota Bandung", regency_code="32.73",
    )  # fmt: skip


def person(org: Organization, name: str, *facilities: Facility) -> Person:
    p = Person.objects.create(organization=org, full_name=name, citizenship=Citizenship.CITIZEN)
    for f in facilities:
        PersonFacility.objects.create(organization=org, person=p, facility=f)
    return p


def permit(add: AddCredential, who: Person, where: Facility, expires_on: date, **more: object) -> Credential:
    return add(
        who,
        CredentialKind.PRACTICE_PERMIT,
        facility=where,
        issuer="DPMPTSP",
        issuer_regency_code=where.regency_code,
        issued_on=date(2021, 1, 1),
        expires_on=expires_on,
        **more,
    )


@pytest.fixture
def credentials(
    org: Organization, facility: Facility, clinic: Facility, add_credential: AddCredential
) -> dict[str, Credential]:
    siti = person(org, "Siti", facility, clinic)
    budi = person(org, "Budi", facility)
    lone = person(org, "Lone")
    return {
        # A SIP is listed under its own facility only.
        "siti_sip_clinic": permit(add_credential, siti, clinic, TODAY + timedelta(days=10)),
        # Other kinds under each facility where the person works.
        "siti_check": add_credential(
            siti,
            CredentialKind.BACKGROUND_CHECK,
            issuer="Polres",
            check_kind="criminal_record",
            check_result="passed",
            valid_months=12,
            expires_on=TODAY + timedelta(days=60),
        ),
        "budi_sip_expired": permit(
            add_credential, budi, facility, TODAY - timedelta(days=5), status=CredentialStatus.EXPIRED
        ),
        "budi_sip_renewed": permit(add_credential, budi, facility, TODAY + timedelta(days=20)),
        "budi_sip_new": permit(add_credential, budi, facility, TODAY + timedelta(days=5 * 365)),
        "lone_training": add_credential(
            lone, CredentialKind.PAIN_TRAINING, issuer="PERAWAT", hours="10", expires_on=TODAY + timedelta(days=89)
        ),
        # Out of the window: far ahead, long expired, revoked.
        "far": permit(add_credential, siti, facility, TODAY + timedelta(days=91)),
        "old": permit(add_credential, siti, facility, TODAY - timedelta(days=31), status=CredentialStatus.EXPIRED),
        "revoked": permit(add_credential, budi, clinic, TODAY + timedelta(days=3), status=CredentialStatus.REVOKED),
    }


def test_it_groups_by_facility_sorts_by_date_and_marks_renewals_in_three_queries(
    make_member: MakeMember,
    org: Organization,
    credentials: dict[str, Credential],
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    officer = make_member(org, Role.CREDENTIALING_OFFICER, username="rina")
    scope = scope_of(officer)
    with django_assert_num_queries(3):
        groups = expiring_credentials(scope, today=TODAY)
    names = {c.pk: key for key, c in credentials.items()}
    layout = [
        (g.facility.name if g.facility else None, [(names[r.credential.pk], r.days_left, r.renewed) for r in g.rows])
        for g in groups
    ]
    assert layout == [
        (
            "Apotek Klinik Dago",
            [("siti_sip_clinic", 10, False), ("siti_check", 60, False)],
        ),
        (
            "Layanan Nyeri RS Sehat",
            [("budi_sip_expired", -5, True), ("budi_sip_renewed", 20, True), ("siti_check", 60, False)],
        ),
        (None, [("lone_training", 89, False)]),
    ]


def test_an_officer_limited_to_one_facility_sees_only_that_facility(
    make_member: MakeMember, org: Organization, clinic: Facility, credentials: dict[str, Credential]
) -> None:
    officer = make_member(org, Role.CREDENTIALING_OFFICER, username="rina", facilities=(clinic,))
    groups = expiring_credentials(scope_of(officer), today=TODAY)
    assert [g.facility.name if g.facility else None for g in groups] == ["Apotek Klinik Dago"]


def test_a_nurse_may_not_see_the_dashboard(make_member: MakeMember, org: Organization, client: Client) -> None:
    nurse = make_member(org, Role.NURSE, username="siti")
    with pytest.raises(PermissionDenied):
        expiring_credentials(scope_of(nurse), today=TODAY)
    log_in(client, nurse)
    assert client.get("/workforce/hours/expiring/").status_code == 403


def test_the_page_lists_what_expires_soon_with_an_anchor_per_credential(
    make_member: MakeMember, org: Organization, facility: Facility, add_credential: AddCredential, client: Client
) -> None:
    siti = person(org, "Siti Rahma", facility)
    soon = permit(add_credential, siti, facility, timezone.localdate() + timedelta(days=12), number="12/SIP")
    gone = permit(add_credential, siti, facility, timezone.localdate() - timedelta(days=2), number="9/SIP")
    officer = make_member(org, Role.CREDENTIALING_OFFICER, username="rina", language="en")
    log_in(client, officer)
    page = client.get("/workforce/hours/expiring/").content.decode()
    assert f'id="credential-{soon.pk}"' in page
    assert f'id="credential-{gone.pk}"' in page
    assert "expired 2 days ago" in page
    assert page.index("9/SIP") < page.index("12/SIP")
    assert "Siti Rahma" in page


def test_another_organizations_credentials_never_show(
    make_member: MakeMember, org: Organization, other_org: Organization, other_facility: Facility
) -> None:
    foreign = person(other_org, "Orang Lain", other_facility)
    Credential.objects.create(
        organization=other_org, person=foreign, kind=CredentialKind.REGISTRATION, status=CredentialStatus.VERIFIED,
        issuer="KKI", issued_on=date(2024, 1, 1), expires_on=TODAY + timedelta(days=3),
    )  # fmt: skip
    officer = make_member(org, Role.CREDENTIALING_OFFICER, username="rina")
    assert expiring_credentials(scope_of(officer), today=TODAY) == []
