"""Who may record, see and decide on hours.

- Anyone records **their own** hours; a credentialing officer or an administrator records
  them for anyone of the organization (e.g. from a paper logbook).
- A ledger is seen by its person, by credentialing officers and administrators, and by the
  supervising physicians (pain physicians, anesthesiologists) who verify hours.
- A manual entry is **verified or rejected by a supervisor**: a credentialing officer
  (any facility their membership covers), or a pain physician or anesthesiologist who
  works at the entry's facility. Never by the person whose hours they are, and never by
  the user who entered them (four eyes, as for a controlled-substance authorisation).
  Nurses do not verify: they are the colleagues who accrue the hours. Administrators
  do not verify either: they run the organization, they do not attest clinical work.
"""

from __future__ import annotations

from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from nyeri.workforce.models import HoursEntry, Person, PersonFacility

MANAGER_ROLES = (Role.CREDENTIALING_OFFICER, Role.ADMINISTRATOR)
SUPERVISOR_ROLES = (Role.PAIN_PHYSICIAN, Role.ANESTHESIOLOGIST)


def is_own(scope: Scope, person: Person) -> bool:
    return person.user_id is not None and person.user_id == scope.user.pk


def may_record_for(scope: Scope, person: Person) -> bool:
    return is_own(scope, person) or scope.has_role(*MANAGER_ROLES)


def may_view_ledger(scope: Scope, person: Person) -> bool:
    return may_record_for(scope, person) or scope.has_role(*SUPERVISOR_ROLES)


def may_verify_any(scope: Scope) -> bool:
    """Whether the user can verify anything at all (for navigation, not for a decision)."""
    return scope.has_role(Role.CREDENTIALING_OFFICER, *SUPERVISOR_ROLES)


def decision_refusal(scope: Scope, entry: HoursEntry) -> str | None:
    """Why ``scope``'s user may not verify or reject ``entry`` (None: they may).

    The reason is for the audit trail (English, like log lines), not for the screen.
    """
    if is_own(scope, entry.person):
        return "own hours"
    if entry.entered_by_id is not None and entry.entered_by_id == scope.user.pk:
        return "entered by the same user"
    if not scope.covers_facility(entry.facility_id):
        return "facility outside the membership"
    if scope.has_role(Role.CREDENTIALING_OFFICER):
        return None
    if scope.has_role(*SUPERVISOR_ROLES) and (
        PersonFacility.objects.filter(
            organization=scope.organization, person__user=scope.user, facility_id=entry.facility_id
        ).exists()
    ):
        return None
    return "not a supervisor at this facility"
