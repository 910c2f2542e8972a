"""Every denied attempt leaves one audit row, written in one place.

A 403, and a 404 on an object the caller asked for by identifier (a path parameter named
``*_id``: ``/patients/<patient_id>/``, ``/api/prescriptions/{prescription_id}``,
``/fhir/R4/Patient/<resource_id>``), is a denied attempt. Most 403s are refused through the
door and recorded there (``nyeri.tenancy.refusals``, ``record_access_denied``, the token
scopes, the input guard); a 404 is raised by an ``access_*`` helper as ``Http404`` and
recorded nowhere. Rather than teach every view, this middleware looks at the answer: when
the request appended no denied or not-found row of its own (``nyeri.audit.context``
counts them), it appends one.

What it must not do is tell the two kinds of "not found" apart. It looks nothing up: the
row names what was asked (method, path, identifiers) and is written the same way for a row
of another organization and for one that never existed, so the answer, its body and the
work done before it are the same. It runs after the view, outside the request's
transactions (committed or rolled back by then), in autocommit: on PostgreSQL the row is
one INSERT statement.

Not denied attempts: an anonymous request for a login-only page (a redirect to the login
page, or 401 from the API) and an anonymous 404 (nothing protected was asked for, and
writing a row for each would let anyone fill the trail). An anonymous 403 (a form sent
without its CSRF token) is recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse

from nyeri.audit.context import count_denials, stop_counting_denials
from nyeri.audit.services import record_denied_attempt
from nyeri.tenancy.scope import scope_if_any

logger = logging.getLogger(__name__)


def asked_for(request: HttpRequest) -> tuple[str, str, str] | None:
    """(object type, object id, all identifiers) named by the request's path, or None.

    The object is the last identifier of the path (``prescription`` 9 in
    ``/api/patients/5/prescriptions/9``); a FHIR read names its resource type
    (``fhir.Patient``).
    """
    match = getattr(request, "resolver_match", None)
    if match is None:
        return None
    identifiers = [(name, str(value)) for name, value in match.kwargs.items() if name.endswith("_id")]
    if not identifiers:
        return None
    name, value = identifiers[-1]
    kind = name.removesuffix("_id")
    if name == "resource_id" and "resource_type" in match.kwargs:
        kind = f"fhir.{match.kwargs['resource_type']}"
    return kind, value, " ".join(f"{n}={v}" for n, v in identifiers)


class DeniedAttemptMiddleware:
    """Appends the audit row of a 403 or an identified 404 that nothing else recorded."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        count, token = count_denials()
        try:
            response = self.get_response(request)
        finally:
            stop_counting_denials(token)
        if response.status_code in (403, 404) and count.rows == 0:
            self._record(request, response.status_code)
        return response

    def _record(self, request: HttpRequest, status: int) -> None:
        user = getattr(request, "user", None)
        authenticated = user is not None and user.is_authenticated
        asked = asked_for(request)
        if status == 404 and (asked is None or not authenticated):
            return
        object_type, object_id, identifiers = asked or ("request", request.path_info, "")
        try:
            scope = scope_if_any(request)
            record_denied_attempt(
                actor=user if authenticated else None,
                organization=scope.organization if scope is not None else None,
                status=status,
                method=request.method or "",
                path=request.path_info,
                object_type=object_type,
                object_id=object_id,
                identifiers=identifiers,
            )
        except DatabaseError:
            # The answer stands without its row: a database gone away between the view and
            # here must not turn a 404 into a 500. The log says which row is missing.
            logger.exception("denied attempt not audited: %s %s (%s)", request.method, request.path_info, status)
