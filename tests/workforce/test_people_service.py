from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from nyeri.accounts.models import User
from nyeri.audit.models import AuditEvent
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope, resolve_scope
from nyeri.workforce.models import Person
from nyeri.workforce.services import create_person


@pytest.fixture
def scope(nurse: User) -> Scope:
    found = resolve_scope(nurse)
    assert found is not None
    return found


def test_it_creates_a_person_with_roles_and_facilities_and_audits_it(scope: Scope, facility: Facility) -> None:
    person = create_person(
        scope=scope,
        acting_user=scope.user,
        full_name="Eka Fitriani",
        citizenship="citizen",
        roles=[Role.NURSE],
        facilities=[facility],
    )
    assert [r.role for r in person.roles.all()] == ["nurse"]
    assert [link.facility_id for link in person.facility_links.all()] == [facility.pk]
    assert AuditEvent.objects.filter(object_type="person", object_id=str(person.pk)).exists()


def test_it_refuses_an_unknown_role_and_another_organizations_facility_naming_both(
    scope: Scope, other_facility: Facility
) -> None:
    with pytest.raises(ValidationError) as exc:
        create_person(
            scope=scope,
            acting_user=scope.user,
            full_name="X",
            citizenship="citizen",
            roles=["wizard"],
            facilities=[other_facility],
        )
    assert set(exc.value.message_dict) == {"roles", "facilities"}
    assert not Person.objects.exists()


def test_it_refuses_an_unknown_citizenship(scope: Scope, facility: Facility) -> None:
    with pytest.raises(ValidationError) as exc:
        create_person(
            scope=scope, acting_user=None, full_name="X", citizenship="martian", roles=[Role.NURSE], facilities=[]
        )
    assert "citizenship" in exc.value.message_dict
