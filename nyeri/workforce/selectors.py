"""Workforce reads other apps make: scoped to the organization, one query each.

The workforce's own pages read through ``nyeri.workforce.people.selectors`` and
``nyeri.workforce.access``; this module is the door for the apps that only need a person.
"""

from __future__ import annotations

from nyeri.tenancy.scope import Scope
from nyeri.workforce.models import Person


def organization_person(scope: Scope, person_id: int) -> Person | None:
    """The person ``person_id`` of the scope's organization, or None (1 query).

    For a person named in a form or a request body: the caller turns None into an error on
    that field (a lookup by URL goes through ``access_person`` and a 404 instead).
    """
    return Person.objects.filter(organization=scope.organization, pk=person_id).first()
