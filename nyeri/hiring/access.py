"""Who sees applications, and fetching one through the scope or as its candidate.

A facility's applications are seen by the posting managers (administrators and
credentialing officers) whose scope covers the posting's facility; nobody else in any
organization sees a candidate's data. Another organization's application, or one at a
facility outside a limited member's scope, is *not found* (404); a member without the role
is refused (403, audited). A candidate reaches only their own applications (anyone else's:
404).
"""

from __future__ import annotations

from django.http import Http404

from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.candidates.models import CandidateProfile
from nyeri.hiring.models import Application
from nyeri.jobs.access import require_manager
from nyeri.jobs.models import JobPosting
from nyeri.tenancy.scope import Scope

OBJECT_TYPE = "application"


def _scoped(scope: Scope, application_id: int) -> Application:
    application = (
        Application.objects.select_related("posting", "facility", "candidate__user")
        .filter(organization=scope.organization, pk=application_id)
        .first()
    )
    if application is None or not scope.covers_facility(application.facility_id):
        raise Http404("No such application")
    return application


def access_application(scope: Scope, application_id: int) -> Application:
    """An application to a posting of the scope (404 otherwise; 403 audited without the role)."""
    application = _scoped(scope, application_id)
    require_manager(scope, object_id=application.pk, reason="read a job application")
    return application


def audit_read(scope: Scope, application: Application, what: str = "application") -> None:
    """A manager read a candidate's data: who, which application, what."""
    record_event(
        actor=scope.user,
        action=AuditAction.READ,
        organization=scope.organization,
        facility=application.facility,
        object_type=OBJECT_TYPE,
        object_id=application.pk,
        reason=what,
    )


def audit_listing(scope: Scope, posting: JobPosting, application_ids: list[int]) -> None:
    """A manager read a posting's ranked applications: one row naming every application shown."""
    record_event(
        actor=scope.user,
        action=AuditAction.READ,
        organization=scope.organization,
        facility=posting.facility,
        object_type="job_posting",
        object_id=posting.pk,
        reason="applications listed: " + (", ".join(str(i) for i in application_ids) or "none"),
    )


def access_own_application(profile: CandidateProfile, application_id: int) -> Application:
    application = (
        Application.objects.select_related("posting__facility", "organization")
        .filter(candidate=profile, pk=application_id)
        .first()
    )
    if application is None:
        raise Http404("No such application")
    return application
