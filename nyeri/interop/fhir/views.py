"""The FHIR R4 endpoints: thin. Authenticate, parse, call the search layer, render FHIR JSON."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from fhir.resources.R4B.resource import Resource

from nyeri.interop.fhir import capability, search
from nyeri.interop.fhir.access import token_scope
from nyeri.interop.fhir.errors import FhirError, outcome

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
    try:
        return render(handler())
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
