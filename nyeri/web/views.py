from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from nyeri.api.errors import envelope
from nyeri.lib.fhir import outcome_response
from nyeri.tenancy.access import access_facility
from nyeri.tenancy.refusals import ActionRefused
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import request_scope
from nyeri.tenancy.selectors import facilities_for
from nyeri.web.home import home_panels

logger = logging.getLogger(__name__)


# The facility the user last looked at: their home opens there next time.
SESSION_FACILITY_KEY = "nyeri_home_facility_id"


@login_required
def home(request: HttpRequest) -> HttpResponse:
    # A job candidate has no membership: their home is their own profile, not a 403.
    if not request.user.memberships.exists() and hasattr(request.user, "candidate_profile"):  # type: ignore[union-attr]
        return redirect("candidates:profile")
    scope = request_scope(request)
    facilities = facilities_for(scope)
    last = request.session.get(SESSION_FACILITY_KEY)
    chosen = facilities.filter(pk=last).first() if isinstance(last, int) else None
    chosen = chosen or facilities.first()
    if chosen is None:
        return render(request, "web/no_facility.html")
    return redirect("web:facility_dashboard", facility_id=chosen.pk)


@login_required
def facility_dashboard(request: HttpRequest, facility_id: int) -> HttpResponse:
    """The role home at one facility: the panels of work the user's roles have here."""
    scope = request_scope(request)
    facility = access_facility(scope, facility_id)
    if request.session.get(SESSION_FACILITY_KEY) != facility.pk:
        request.session[SESSION_FACILITY_KEY] = facility.pk
    return render(
        request,
        "web/facility_dashboard.html",
        {
            "facility": facility,
            "panels": home_panels(scope, facility),
            "my_roles": [Role(r).label for r in sorted(scope.roles)],
        },
    )


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, 503 otherwise (for load balancers and monitors)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("health check: database unreachable")
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, ActionRefused):
        exception.record()
        if exception.reasons:
            # The door's no, with its reasons (the same as the API's envelope gives).
            context = {"detail": exception.message, "reasons": exception.reasons}
            return render(request, "403.html", context, status=403)
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its ``except`` block, so the failure is still at hand.
    failure = sys.exc_info()[1]
    if isinstance(failure, (OperationalError, InterfaceError)):
        return database_unavailable(request)
    # No context processors here: the database may be the thing that failed.
    return HttpResponse(loader.get_template("500.html").render({}), status=500)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After when the database cannot be reached (or gave up on a lock):
    nothing of the request was saved, and a client may send it again, with its idempotency
    key where the endpoint takes one. The API answers with its envelope, FHIR with an
    OperationOutcome, pages with a page in both languages (the language lives in the session)."""
    retry_after = settings.RETRY_AFTER_SECONDS
    message = _("The database cannot be reached. Nothing was saved; try again in %(seconds)s seconds.") % {
        "seconds": retry_after
    }
    response: HttpResponse
    if request.path_info.startswith("/api/"):
        response = JsonResponse(envelope("unavailable", message), status=503)
    elif request.path_info.startswith("/fhir/"):
        response = outcome_response(503, "transient", message)
    else:
        page = loader.get_template("503.html").render({"retry_after": retry_after})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(retry_after)
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(
        request,
        "403.html",
        {"detail": _("Your form expired or was sent from another site. Reload the page and try again.")},
        status=403,
    )
