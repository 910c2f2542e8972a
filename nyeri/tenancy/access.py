"""The only way views and API endpoints fetch a tenant object: through the user's scope.

A row that exists but belongs to another organization (or to a facility outside a
facility-limited membership) raises Http404, exactly like a row that does not exist, so
that ids of other tenants cannot be probed.
"""

from __future__ import annotations

from django.http import Http404

from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope


def access_facility(scope: Scope, facility_id: int) -> Facility:
    facility = Facility.objects.filter(organization=scope.organization, pk=facility_id).first()
    if facility is None or not scope.covers_facility(facility.pk):
        raise Http404("No such facility")
    return facility
