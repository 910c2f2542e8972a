"""Fetching workforce objects through the user's scope: another organization's row is 404."""

from __future__ import annotations

from django.http import Http404

from nyeri.tenancy.scope import Scope
from nyeri.workforce.models import Credential, HoursEntry, Person


def access_person(scope: Scope, person_id: int) -> Person:
    person = Person.objects.filter(organization=scope.organization, pk=person_id).first()
    if person is None:
        raise Http404("No such person")
    return person


def access_credential(scope: Scope, credential_id: int) -> Credential:
    credential = (
        Credential.objects.select_related("person", "facility")
        .filter(organization=scope.organization, pk=credential_id)
        .first()
    )
    if credential is None:
        raise Http404("No such credential")
    return credential


def access_hours_entry(scope: Scope, entry_id: int) -> HoursEntry:
    entry = HoursEntry.objects.select_related("person").filter(organization=scope.organization, pk=entry_id).first()
    if entry is None:
        raise Http404("No such hours entry")
    return entry


def person_of_user(scope: Scope) -> Person | None:
    """The acting user's own professional record in their organization, if any."""
    return Person.objects.filter(organization=scope.organization, user=scope.user).first()
