"""People pages: a facility's staff and privilege matrix, a person's profile and matrix."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import request_scope
from nyeri.workforce.people import selectors
from nyeri.workforce.policy.loader import pack_for
from nyeri.workforce.skp import selectors as skp_selectors


def _choice(value: str, allowed: tuple[str, ...] | list[str]) -> str:
    # An unknown filter value shows everyone rather than an error: it came from a stale link.
    return value if value in allowed else ""


@login_required
def staff(request: HttpRequest, facility_id: int) -> HttpResponse:
    scope = request_scope(request)
    facility = selectors.access_facility_staff(scope, facility_id)
    role = _choice(request.GET.get("role", ""), Role.values)
    licence = _choice(request.GET.get("licence", ""), selectors.LICENCE_FILTERS)
    q = request.GET.get("q", "")[:100]
    directory = selectors.staff_directory(
        scope, facility, q=q, role=role, licence=licence, page=request.GET.get("page", 1)
    )
    return render(
        request,
        "workforce/people/staff.html",
        {
            "facility": facility,
            "directory": directory,
            "q": q,
            "role": role,
            "licence": licence,
            "roles": Role.choices,
            "licence_states": selectors.LicenceState.choices,
        },
    )


@login_required
def profile(request: HttpRequest, person_id: int) -> HttpResponse:
    scope = request_scope(request)
    found = selectors.person_profile(scope, person_id)
    # Continuing-education progress for whoever may read the SKP ledger (the person, officers).
    show_skp = skp_selectors.may_read_ledger(scope, found.person)
    return render(
        request,
        "workforce/people/profile.html",
        {
            "profile": found,
            "person": found.person,
            "can_read_all": selectors.reads_all_people(scope),
            "show_skp": show_skp,
            "progress": skp_selectors.person_progress(scope, found.person) if show_skp else None,
        },
    )


@login_required
def person_matrix(request: HttpRequest, person_id: int, facility_id: int) -> HttpResponse:
    scope = request_scope(request)
    matrix = selectors.person_matrix(scope, person_id, facility_id)
    return render(
        request,
        "workforce/people/matrix.html",
        {"matrix": matrix, "person": matrix.person, "facility": matrix.facility},
    )


@login_required
def facility_matrix(request: HttpRequest, facility_id: int) -> HttpResponse:
    scope = request_scope(request)
    action = request.GET.get("action", "")
    try:
        matrix = selectors.facility_matrix(scope, facility_id, action=action or None, page=request.GET.get("page", 1))
    except selectors.UnknownAction:
        raise Http404("No such action") from None
    pack = pack_for(scope.organization.jurisdiction)
    language = selectors.language()
    return render(
        request,
        "workforce/people/facility_matrix.html",
        {
            "matrix": matrix,
            "facility": matrix.facility,
            "action": action,
            "all_actions": [(entry.code, entry.label(language)) for entry in pack.actions.values()],
        },
    )
