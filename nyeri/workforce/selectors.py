"""Workforce reads other apps make: scoped to the organization, one query each.

The workforce's own pages read through ``nyeri.workforce.people.selectors`` and
``nyeri.workforce.access``; this module is the door for the apps that only need a person.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from nyeri.tenancy.scope import Scope
from nyeri.workforce.models import Person


def organization_person(scope: Scope, person_id: int) -> Person | None:
    """The person ``person_id`` of the scope's organization, or None (1 query).

    For a person named in a form or a request body: the caller turns None into an error on
    that field (a lookup by URL goes through ``access_person`` and a 404 instead).
    """
    return Person.objects.filter(organization=scope.organization, pk=person_id).first()


def people_at_facility(scope: Scope, facility_id: int, roles: Iterable[str]) -> QuerySet[Person]:
    """The organization's people who work at ``facility_id`` holding any of ``roles``, by name.

    For a form's choice of a person (the clinician a patient is booked with); whether the
    person may act there on a given day is the engine's (``nyeri.workforce.door``).
    """
    return (
        Person.objects.filter(
            organization=scope.organization, facility_links__facility_id=facility_id, roles__role__in=list(roles)
        )
        .distinct()
        .order_by("full_name", "pk")
    )
