"""The FHIR R4 endpoints: thin. Authenticate, parse, call the search layer, render FHIR JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from fhir.resources.R4B.resource import Resource

from nyeri.interop.fhir import capability, export, search
from nyeri.interop.fhir.access import token_scope
from nyeri.interop.fhir.errors import FhirError, outcome
from nyeri.interop.models import ExportLevel, ExportStatus

R = TypeVar("R", bound=HttpResponseBase)
CONTENT_TYPE = "application/fhir+json; charset=utf-8"


def render(resource: Resource, status: int = 200) -> HttpResponse:
    return HttpResponse(resource.model_dump_json(exclude_none=True), content_type=CONTENT_TYPE, status=status)


def _error(status: int, code: str, message: str, expression: str = "") -> HttpResponse:
    response = render(outcome(code, message, expression=expression), status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="nyeri-fhir"'
    return response


def _guarded(handler: Callable[[], Resource]) -> HttpResponse:
    """Run ``handler``; every refusal becomes an OperationOutcome with its status."""
    return _guarded_response(lambda: render(handler()))


def _guarded_response(handler: Callable[[], R]) -> R | HttpResponse:
    try:
        return handler()
    except FhirError as exc:
        return _error(exc.status, exc.code, exc.message, exc.expression)
    except Http404:
        return _error(404, "not-found", _("Not found."))
    except PermissionDenied:
        return _error(403, "forbidden", _("You are not allowed to do this."))


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir/R4")


@require_GET
def metadata(request: HttpRequest) -> HttpResponse:
    """The CapabilityStatement; public, as FHIR clients read it before authenticating."""
    return render(capability.build(base_url(request)))


@require_GET
def read(request: HttpRequest, resource_type: str, resource_id: str) -> HttpResponse:
    return _guarded(lambda: search.read(token_scope(request), resource_type, resource_id, base=base_url(request)))


@require_GET
def search_type(request: HttpRequest, resource_type: str) -> HttpResponse:
    return _guarded(
        lambda: search.search(token_scope(request), resource_type, list(request.GET.lists()), base=base_url(request))
    )


# --- Bulk Data export ($export) ---------------------------------------------------------------


def _kick_off(request: HttpRequest, level: str) -> HttpResponse:
    def handler() -> HttpResponse:
        scope = token_scope(request)
        asked = export.parse_request(
            level=level,
            params=list(request.GET.lists()),
            prefer=request.headers.get("Prefer", ""),
            request_url=request.build_absolute_uri(),
        )
        started = export.start_export(scope=scope, request=asked)
        response = HttpResponse(status=202)
        response["Content-Location"] = f"{base_url(request)}/$export-status/{started.pk}"
        return response

    return _guarded_response(handler)


@require_GET
def export_system(request: HttpRequest) -> HttpResponse:
    return _kick_off(request, ExportLevel.SYSTEM)


@require_GET
def export_patients(request: HttpRequest) -> HttpResponse:
    return _kick_off(request, ExportLevel.PATIENT)


@require_http_methods(["GET", "DELETE"])
def export_status(request: HttpRequest, export_id: str) -> HttpResponse:
    """202 with X-Progress while it runs, 200 with the manifest when done, 500 if it failed; DELETE cancels."""

    def handler() -> HttpResponse:
        scope = token_scope(request)
        if request.method == "DELETE":
            export.cancel_export(scope=scope, export_id=export_id)
            return HttpResponse(status=202)
        found = export.own_export(scope, export_id)
        if found.status == ExportStatus.COMPLETED:
            return HttpResponse(
                json.dumps(export.manifest(found, base=base_url(request))), content_type="application/json", status=200
            )
        # Only while unfinished: a run retried by hand may still complete it.
        if export.export_failed(found):
            return _error(500, "exception", _("The export failed; ask for a new one."))
        response = HttpResponse(status=202)
        response["X-Progress"] = found.progress or str(found.get_status_display())
        response["Retry-After"] = "5"
        return response

    return _guarded_response(handler)


@require_GET
def export_file(request: HttpRequest, export_id: str, resource_type: str) -> HttpResponseBase:
    def handler() -> HttpResponseBase:
        path = export.export_file(token_scope(request), export_id, resource_type)
        return FileResponse(path.open("rb"), content_type="application/fhir+ndjson")

    return _guarded_response(handler)
