from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from nyeri.tenancy.setup import has_organization


class SetupRedirectMiddleware:
    """On an installation without any organization, the home page and the login page lead to /setup/.

    Only anonymous visits to those two paths pay the one query; once an organization exists
    they answer as usual. (Someone logged in on such an installation, a job candidate, say,
    goes on to their own pages.)
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._paths: tuple[str, ...] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "GET":
            if self._paths is None:
                self._paths = (reverse("web:home"), reverse("accounts:login"))
            # The path first: every other request pays nothing, not even loading the user.
            if request.path in self._paths and not request.user.is_authenticated and not has_organization():
                return redirect("tenancy:setup")
        return self.get_response(request)
