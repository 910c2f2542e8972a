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
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth
from ninja.utils import check_csrf

from nyeri.accounts.reauth import ReauthenticationRequired
from nyeri.accounts.second_factor import SecondFactorState, second_factor_state
from nyeri.accounts.token_scopes import TokenScopeRefused, require_token_scope
from nyeri.accounts.tokens import note_token_used, user_for_token
from nyeri.api import idempotency
from nyeri.api.errors import envelope
from nyeri.api.pages import JSONRenderer
from nyeri.tenancy.refusals import ActionRefused


class TokenAuth(HttpBearer):
    """``Authorization: Bearer nyeri_...``: a personal API token."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = user_for_token(token)
        if found is None:
            return None
        user, api_token = found
        # Before the operation runs: a request outside the token's scopes is 403 and audited.
        require_token_scope(
            user=user,
            scopes=api_token.scopes,
            prefix=api_token.prefix,
            method=request.method or "",
            path=request.path_info,
        )
        note_token_used(api_token)
        request.user = user
        request.api_token = api_token  # type: ignore[attr-defined]
        return user


class SessionAuth(NinjaSessionAuth):
    """A logged-in browser session whose second factor is settled; unsafe methods need CSRF.

    CSRF is only checked for a request that carries a logged-in session: a bearer-token
    client has no session and no CSRF cookie, and must not be refused for lacking one.
    """

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request) is not None:
            # django-ninja's own refusal is an untranslated "CSRF check Failed".
            raise HttpError(403, _("The request has no valid CSRF token. Reload the page and try again."))
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if not user.is_authenticated:
            return None
        # A session still waiting for its second factor (or, for an administrator, for
        # enrolment) gets no further than the pages do.
        if second_factor_state(user) is not SecondFactorState.SETTLED:
            return None
        return user


# Answers any operation can give, whatever its own responses (added to every operation's
# documented responses by NyeriAPI): the input guard's refusals (nyeri/web/input_guard.py),
# the database being unreachable (nyeri/web/views.py), and, by the operation's shape, a
# missing login, an identifier that names nothing of the caller's, and invalid input.
COMMON_RESPONSES = {
    "400": "Input no field may hold (a NUL, a lone surrogate, an over-long value), naming the field.",
    "503": "The database cannot be reached: nothing was saved; retry after Retry-After seconds.",
}
AUTHENTICATED_RESPONSES = {"401": "No valid session or API token."}
IDENTIFIED_RESPONSES = {"404": "Nothing with this identifier in the caller's organization."}
INPUT_RESPONSES = {"422": "Some fields are not valid; each is named."}
BODY_RESPONSES = {"413": "The body is larger than MAX_REQUEST_BYTES."}
ENVELOPE_REF = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}}


class NyeriAPI(NinjaAPI):
    """The API whose document lists every status an operation can answer, not only its own."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        document = super().get_openapi_schema(*args, **kwargs)
        for path, operations in document.get("paths", {}).items():
            for operation in operations.values():
                idempotency.document(operation)
                responses = operation.setdefault("responses", {})
                extra = dict(COMMON_RESPONSES)
                if operation.get("security"):
                    extra |= AUTHENTICATED_RESPONSES
                if "{" in path:
                    extra |= IDENTIFIED_RESPONSES
                if operation.get("parameters") or operation.get("requestBody"):
                    extra |= INPUT_RESPONSES
                if operation.get("requestBody"):
                    extra |= BODY_RESPONSES
                for status, description in extra.items():
                    responses.setdefault(status, {"description": description} | ENVELOPE_REF)
        return document


api = NyeriAPI(
    title="Nyeri API",
    version="1",
    description="Pain-management services. Authenticate with a session or a personal API token.",
    # The token first: a request that presents one is judged by it alone, without CSRF.
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    # pydantic-core writes the JSON: faster than json.dumps, the same for every endpoint.
    renderer=JSONRenderer(),
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


@api.exception_handler(TokenScopeRefused)
def on_token_scope_refused(request: HttpRequest, exc: TokenScopeRefused) -> HttpResponse:
    return api.create_response(request, envelope("forbidden", str(exc.args[0])), status=403)


@api.exception_handler(ActionRefused)
def on_action_refused(request: HttpRequest, exc: ActionRefused) -> HttpResponse:
    """The door's no: 403 ``forbidden``, its message, and (itemized) each reason under its field."""
    exc.record()  # already done by the write's transaction, unless a caller skipped it
    fields = [{"field": exc.field, "message": r} for r in exc.reasons] if exc.itemize else []
    return api.create_response(request, envelope("forbidden", exc.message, fields), status=403)


@api.exception_handler(ReauthenticationRequired)
def on_reauthentication_required(request: HttpRequest, exc: ReauthenticationRequired) -> HttpResponse:
    return api.create_response(
        request,
        envelope(
            "reauthentication_required",
            _("This action needs your password (and second factor) again. Confirm them on the web page, then retry."),
        ),
        status=403,
    )


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, envelope("not_found", _("Not found.")), status=404)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, envelope("error", str(exc)), status=exc.status_code)


def _register_routers() -> None:
    from nyeri.accounts.api import router as accounts_router
    from nyeri.appointments.api import router as appointments_router
    from nyeri.clinical.api import router as clinical_router
    from nyeri.clinical.breakglass.access import CareAccessRefused
    from nyeri.clinical.breakglass.api import on_care_access_refused
    from nyeri.clinical.breakglass.api import router as breakglass_router
    from nyeri.clinical.chart.api import router as chart_router
    from nyeri.clinical.consents.api import router as consents_router
    from nyeri.clinical.diagnoses.api import router as diagnoses_router
    from nyeri.clinical.diary.api import router as diary_router
    from nyeri.clinical.outcomes.api import router as outcomes_router
    from nyeri.evaluation.api import router as evaluation_router
    from nyeri.facilities.api import router as facilities_router
    from nyeri.hiring.api import router as hiring_router
    from nyeri.imaging.api import router as imaging_router
    from nyeri.imports.api import router as imports_router
    from nyeri.jobs.api import router as jobs_router
    from nyeri.onboarding.api import router as onboarding_router
    from nyeri.prescriptions.api import router as prescriptions_router
    from nyeri.privacy.api import router as privacy_router
    from nyeri.procedures.api import router as procedures_router
    from nyeri.register.api import router as register_router
    from nyeri.staffing.api import router as staffing_router
    from nyeri.tenancy.api import router as tenancy_router
    from nyeri.workforce.credentials.api import router as credentials_router
    from nyeri.workforce.hours.api import router as hours_router
    from nyeri.workforce.people.api import router as people_router
    from nyeri.workforce.privileges.api import router as privileges_router
    from nyeri.workforce.skp.api import router as skp_router

    api.add_router("/", accounts_router)
    api.add_router("/", tenancy_router)
    api.add_router("/", clinical_router)
    api.add_router("/", diagnoses_router)
    api.add_router("/", outcomes_router)
    api.add_router("/", evaluation_router)
    api.add_router("/", diary_router)
    api.add_router("/", consents_router)
    api.add_router("/", breakglass_router)
    api.add_exception_handler(CareAccessRefused, on_care_access_refused)
    api.add_router("/", chart_router)
    api.add_router("/", appointments_router)
    api.add_router("/workforce", people_router)
    api.add_router("/workforce", credentials_router)
    api.add_router("/workforce", hours_router)
    api.add_router("/workforce", skp_router)
    api.add_router("/workforce", privileges_router)
    api.add_router("/", facilities_router)
    api.add_router("/staffing", staffing_router)
    api.add_router("/jobs", jobs_router)
    api.add_router("/hiring", hiring_router)
    api.add_router("/", prescriptions_router)
    api.add_router("/", register_router)
    api.add_router("/", procedures_router)
    api.add_router("/", imaging_router)
    api.add_router("/imports", imports_router)
    api.add_router("/people", onboarding_router)
    api.add_router("/", privacy_router)


_register_routers()
