"""Fetching workforce objects through the user's scope: another organization's row is 404."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from nyeri.tenancy.scope import Scope
from nyeri.workforce.models import Credential, HoursEntry, Person, PersonFacility


def access_person(scope: Scope, person_id: int) -> Person:
    person = Person.objects.filter(organization=scope.organization, pk=person_id).first()
    if person is None:
        raise Http404("No such person")
    return person


def scoped_credentials(scope: Scope) -> QuerySet[Credential]:
    """The organization's credentials within the scope's facilities.

    A facility-limited membership covers a credential whose holder works at one of its
    facilities and that names none of the others (a SIP for another facility belongs to
    that facility's officers). One's own credentials are always covered. Outside: *not
    found*, like another organization's.
    """
    credentials = Credential.objects.filter(organization=scope.organization)
    if scope.facility_ids is None:
        return credentials
    works_here = PersonFacility.objects.filter(person=OuterRef("person_id"), facility_id__in=scope.facility_ids)
    named_here = Q(facility__isnull=True) | Q(facility_id__in=scope.facility_ids)
    return credentials.filter(Q(person__user=scope.user) | (Q(Exists(works_here)) & named_here))


def access_credential(scope: Scope, credential_id: int) -> Credential:
    credential = scoped_credentials(scope).select_related("person", "facility").filter(pk=credential_id).first()
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
