"""Workforce writes about people (credentials and hours have their own service modules)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from nyeri.workforce.kinds import Citizenship
from nyeri.workforce.models import Person, PersonFacility, PersonRole


def create_person(
    *,
    scope: Scope,
    acting_user: User | None,
    full_name: str,
    citizenship: Citizenship | str,
    roles: Iterable[Role | str],
    facilities: Iterable[Facility],
    user: User | None = None,
    email: str = "",
    phone: str = "",
) -> Person:
    """A professional record with roles and the facilities where the person works."""
    role_list = sorted({str(r) for r in roles})
    facility_list = list(facilities)
    errors: dict[str, list[str]] = {}
    if not role_list:
        errors["roles"] = [_("Choose at least one role.")]
    unknown = [r for r in role_list if r not in Role.values]
    if unknown:
        errors["roles"] = [_("Unknown role: %(roles)s.") % {"roles": ", ".join(unknown)}]
    if any(f.organization_id != scope.organization.pk for f in facility_list):
        errors["facilities"] = [_("A facility does not belong to your organization.")]
    person = Person(
        organization=scope.organization,
        user=user,
        full_name=full_name.strip(),
        citizenship=citizenship,
        email=email.strip(),
        phone=phone.strip(),
    )
    try:
        person.full_clean()
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        person.save(force_insert=True)
        PersonRole.objects.bulk_create(
            [PersonRole(organization=scope.organization, person=person, role=r) for r in role_list]
        )
        PersonFacility.objects.bulk_create(
            [PersonFacility(organization=scope.organization, person=person, facility=f) for f in facility_list]
        )
        record_event(
            actor=acting_user,
            action=AuditAction.CREATE,
            organization=scope.organization,
            object_type="person",
            object_id=person.pk,
            reason="roles: " + ", ".join(role_list),
        )
    return person
