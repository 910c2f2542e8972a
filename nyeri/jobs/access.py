"""Who manages job postings, and fetching a posting through the scope.

Administrators, credentialing officers and facility managers manage the postings of the facilities their
scope covers (list, create, edit while open, close, mark filled) and read the network view
(administrators only). A refusal is audited (403); another organization's posting is 404.
The public board needs no scope: it reads open postings only (``selectors.public_*``).
"""

from __future__ import annotations

from django.http import Http404

from nyeri.facilities.access import deny
from nyeri.jobs.models import JobPosting
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope

POSTING_MANAGERS = (Role.ADMINISTRATOR, Role.CREDENTIALING_OFFICER, Role.FACILITY_MANAGER)
NETWORK_READERS = (Role.ADMINISTRATOR,)


def may_manage_postings(scope: Scope) -> bool:
    return scope.has_role(*POSTING_MANAGERS)


def may_read_network(scope: Scope) -> bool:
    return scope.has_role(*NETWORK_READERS)


def require_manager(scope: Scope, *, object_id: int | str = "", reason: str = "manage job postings") -> None:
    if not may_manage_postings(scope):
        deny(scope, facility=None, object_type="job_posting", object_id=object_id, reason=reason)


def access_posting(scope: Scope, posting_id: int) -> JobPosting:
    """A posting of the scope's organization at a covered facility (404 otherwise; 403 audited if not a manager)."""
    posting = (
        JobPosting.objects.select_related("facility").filter(organization=scope.organization, pk=posting_id).first()
    )
    if posting is None or not scope.covers_facility(posting.facility_id):
        raise Http404("No such posting")
    require_manager(scope, object_id=posting.pk)
    return posting
