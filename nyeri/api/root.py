"""The JSON API root: one NinjaAPI, a router per app, one error envelope."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, django_auth

from nyeri.accounts.tokens import user_for_token
from nyeri.api.errors import envelope


class TokenAuth(HttpBearer):
    """``Authorization: Bearer nyeri_...``: a personal API token."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = user_for_token(token)
        if found is None:
            return None
        user, api_token = found
        request.user = user
        request.api_token = api_token  # type: ignore[attr-defined]
        return user


api = NinjaAPI(
    title="Nyeri API",
    version="1",
    description="Pain-management services. Authenticate with a session or a personal API token.",
    auth=[django_auth, TokenAuth()],
    urls_namespace="api",
)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields = []
    for err in exc.errors:
        loc = [str(part) for part in err.get("loc", []) if part not in ("body", "query", "path", "payload")]
        fields.append({"field": ".".join(loc), "message": err.get("msg", "")})
    return api.create_response(request, envelope("invalid", _("Some fields are not valid."), fields), status=422)


@api.exception_handler(DjangoValidationError)
def on_django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    fields = []
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            for error in errors:
                fields.append({"field": name, "message": " ".join(error.messages)})
    else:
        fields = [{"field": "", "message": m} for m in exc.messages]
    return api.create_response(request, envelope("invalid", _("Some fields are not valid."), fields), status=422)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, envelope("unauthenticated", _("Log in or send a valid API token.")), status=401)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, envelope("forbidden", _("You are not allowed to do this.")), status=403)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, envelope("not_found", _("Not found.")), status=404)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, envelope("error", str(exc)), status=exc.status_code)


def _register_routers() -> None:
    from nyeri.accounts.api import router as accounts_router
    from nyeri.clinical.api import router as clinical_router
    from nyeri.tenancy.api import router as tenancy_router

    api.add_router("/", accounts_router)
    api.add_router("/", tenancy_router)
    api.add_router("/", clinical_router)


_register_routers()
