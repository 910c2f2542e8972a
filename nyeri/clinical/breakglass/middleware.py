"""Turns a refused patient access (no care access) into the page that offers break-glass."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from nyeri.clinical.breakglass.access import CareAccessRefused


class CareAccessRefusedMiddleware:
    """Any page that opens a patient without care access answers 403 with the break-glass offer.

    The JSON API has its own answer (an error envelope, see ``breakglass.api``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, CareAccessRefused):
            return None
        from nyeri.clinical.breakglass.views import refused

        return refused(request, exception)
