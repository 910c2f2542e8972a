from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from nyeri.accounts.selectors import holds_api_tokens
from nyeri.candidates.access import candidate_of
from nyeri.clinical.outcomes.access import may_read_outcomes
from nyeri.evaluation.access import may_review_practice
from nyeri.jobs.access import may_manage_postings
from nyeri.staffing.selectors import may_read_plan
from nyeri.tenancy.roles import CLINICAL_ROLES, Role
from nyeri.tenancy.scope import request_scope
from nyeri.tenancy.selectors import facilities_for
from nyeri.workforce.access import person_of_user


def navigation(request: HttpRequest) -> dict[str, Any]:
    """What the layout's navigation shows: the user's organization, facilities and role links."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    try:
        scope = request_scope(request)
    except PermissionDenied:
        # A candidate belongs to no organization: their own pages only.
        return {"nav_candidate": candidate_of(user) is not None}
    facilities = list(facilities_for(scope))
    return {
        "scope": scope,
        "nav_facilities": facilities,
        # Where the facility menus point when the page is about no facility.
        "nav_first_facility": facilities[0] if facilities else None,
        "nav_can_audit": scope.has_role(Role.COMPLIANCE_OFFICER),
        "nav_sees_patients": bool(scope.roles & CLINICAL_ROLES),
        "nav_sees_outcomes": may_read_outcomes(scope),
        "nav_reviews_practice": may_review_practice(scope),
        "nav_sees_hours": bool(scope.roles & CLINICAL_ROLES)
        or scope.has_role(Role.CREDENTIALING_OFFICER, Role.ADMINISTRATOR),
        "nav_reads_people": scope.has_role(Role.CREDENTIALING_OFFICER, Role.ADMINISTRATOR),
        # The user's own professional record (lazy: one query only if the layout shows it).
        "nav_person": SimpleLazyObject(lambda: person_of_user(scope)),
        "nav_credentialing": scope.has_role(Role.CREDENTIALING_OFFICER, Role.ADMINISTRATOR),
        "nav_sees_expiring": scope.has_role(Role.CREDENTIALING_OFFICER, Role.ADMINISTRATOR),
        "nav_is_admin": scope.has_role(Role.ADMINISTRATOR),
        "nav_keeps_register": scope.has_role(Role.PHARMACIST, Role.COMPLIANCE_OFFICER),
        "nav_manages_facility": scope.has_role(Role.FACILITY_MANAGER, Role.ADMINISTRATOR),
        "nav_manages_postings": may_manage_postings(scope),
        "nav_reads_plan": may_read_plan(scope),
        "nav_imports": scope.has_role(Role.CREDENTIALING_OFFICER, Role.ADMINISTRATOR)
        or bool(scope.roles & CLINICAL_ROLES),
        # The API's documentation, for those who hold a working token (lazy: one query when shown).
        "nav_holds_tokens": SimpleLazyObject(lambda: holds_api_tokens(user)),
    }
