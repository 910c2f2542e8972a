"""The reads other apps' views and API make through an app's selectors: scoped to the
organization (another organization's row is not there), one query each."""

from __future__ import annotations

import pytest
from pytest_django import DjangoAssertNumQueries

from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope, resolve_scope
from nyeri.tenancy.selectors import organization_facility, organization_member
from nyeri.workforce.kinds import Citizenship
from nyeri.workforce.models import Person
from nyeri.workforce.selectors import organization_person
from tests.conftest import MakeMember


@pytest.fixture
def scope(org: Organization, facility: Facility, make_member: MakeMember) -> Scope:
    found = resolve_scope(make_member(org, Role.NURSE, username="siti"))
    assert found is not None
    return found


def test_a_facility_of_the_organization_is_found_in_one_query(
    scope: Scope, facility: Facility, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(1):
        assert organization_facility(scope, facility.pk) == facility


def test_a_deactivated_facility_of_the_organization_is_still_found(scope: Scope, facility: Facility) -> None:
    Facility.objects.filter(pk=facility.pk).update(is_active=False)
    assert organization_facility(scope, facility.pk) == facility


def test_another_organizations_facility_is_not_found(scope: Scope, other_facility: Facility) -> None:
    assert organization_facility(scope, other_facility.pk) is None
    assert organization_facility(scope, 987654) is None


def test_a_person_is_found_only_in_their_own_organization(
    scope: Scope, org: Organization, other_org: Organization, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    ours = Person.objects.create(organization=org, full_name="Tono", citizenship=Citizenship.CITIZEN)
    theirs = Person.objects.create(organization=other_org, full_name="Asing", citizenship=Citizenship.CITIZEN)
    with django_assert_num_queries(1):
        assert organization_person(scope, ours.pk) == ours
    assert organization_person(scope, theirs.pk) is None


def test_a_member_is_found_only_in_their_own_organization(
    scope: Scope, org: Organization, other_org: Organization, make_member: MakeMember
) -> None:
    ours = make_member(org, Role.PHARMACIST, username="apoteker")
    theirs = make_member(other_org, Role.PHARMACIST, username="asing")
    assert organization_member(scope, ours.pk) == ours
    assert organization_member(scope, theirs.pk) is None
