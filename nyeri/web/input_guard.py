"""Input no field may hold, refused at the door, before any session, view or query reads it.

PostgreSQL's text columns cannot store NUL (U+0000), and no UTF-8 encoder can write a lone
surrogate (U+D800 to U+DFFF), which JSON's ``\\ud800`` escapes produce. Either one reaching a
query is a ``DataError`` or a ``UnicodeEncodeError`` deep inside a view: a 500, and on the
login page the failed-login audit row is lost with the transaction. Checking each view's
fields would miss the next view; so every request's path, query string, cookies, form
fields, uploaded file names and JSON strings are checked here, once, with a cap on each
value's length and one on the whole body. A refusal is a 400 naming the field (the API's
error envelope under ``/api/``, an OperationOutcome under ``/fhir/``, a translated page
elsewhere) and one audit row.

SQLite stores both characters without complaint; they are refused there too, so that a
record never holds text the production database could not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.template import loader
from django.utils import translation
from django.utils.translation import gettext as _

from nyeri.api.errors import envelope
from nyeri.audit.models import AuditAction, AuditOutcome
from nyeri.audit.services import record_event
from nyeri.lib.fhir import outcome_response

# NUL, and the UTF-16 surrogate range that only a broken encoder or a JSON escape produces.
_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")
_LOGIN_PATH = "/accounts/login/"
_JSON_TYPE = re.compile(r"^application/([a-z0-9.+-]+\+)?json$")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    field: str
    # Worded when the answer is written, in the request's language: finding no refusal (every
    # request) then costs no language look-up.
    wording: Callable[[], str]

    @property
    def message(self) -> str:
        return self.wording()


def _problem(field: str, value: str) -> Refusal | None:
    found = _FORBIDDEN.search(value)
    if found is not None:
        if found.group() == "\x00":
            return Refusal(
                400,
                "invalid_character",
                field,
                lambda: _("%(field)s contains a NUL character, which no field may hold.") % {"field": field},
            )
        return Refusal(
            400,
            "invalid_character",
            field,
            lambda: _("%(field)s contains an invalid character (a lone UTF-16 surrogate).") % {"field": field},
        )
    limit = settings.MAX_FIELD_CHARS
    if len(value) > limit:
        return Refusal(
            400,
            "too_long",
            field,
            lambda: _("%(field)s is longer than %(limit)s characters.") % {"field": field, "limit": limit},
        )
    return None


_INT64 = 2**63 - 1
_DIGITS = re.compile(r"^-?[0-9]{19,}$")


def _too_big(value: str | int) -> bool:
    """A number (or a query value, path segment of digits) beyond a 64-bit integer."""
    if isinstance(value, int):
        return abs(value) > _INT64
    return bool(_DIGITS.match(value)) and abs(int(value)) > _INT64


def _pairs(items: Iterable[tuple[str, list[str]]], where: str) -> Iterator[tuple[str, str]]:
    for key, values in items:
        # The key is named by where it came from: its own text may be what is wrong.
        yield f"{where} parameter", key
        for value in values:
            yield key, value


def _json_strings(document: Any) -> Iterator[tuple[str, str | int]]:
    """Every key, string and integer of a parsed JSON document with its dotted path, walked
    without recursion (a deeply nested body must not exhaust the stack)."""
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, str) or (isinstance(node, int) and not isinstance(node, bool)):
            yield path or "body", node
        elif isinstance(node, dict):
            for key, value in node.items():
                child = f"{path}.{key}" if path else str(key)
                yield "body key", key
                stack.append((child, value))
        elif isinstance(node, list):
            stack.extend((f"{path}[{i}]", value) for i, value in enumerate(node))


def _body_fields(request: HttpRequest, content_type: str) -> Iterator[tuple[str, str | int]]:
    if content_type in _FORM_TYPES:
        yield from _pairs(request.POST.lists(), "form")
        for name, files in request.FILES.lists():
            for upload in files:
                yield name, upload.name or ""
    elif _JSON_TYPE.match(content_type) and request.body:
        try:
            document = json.loads(request.body)
        except (ValueError, RecursionError):
            # Not JSON (or not UTF-8): the endpoint's own parser answers that with its 4xx.
            return
        yield from _json_strings(document)


def _out_of_range(field: str) -> Refusal:
    return Refusal(
        400, "out_of_range", field, lambda: _("%(field)s is a number too large for any field.") % {"field": field}
    )


def find_refusal(request: HttpRequest) -> Refusal | None:
    """The first reason to refuse ``request`` before it reaches a view, or ``None``."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return Refusal(400, "invalid", "Content-Length", lambda: _("The request's Content-Length is not a number."))
    limit = settings.MAX_REQUEST_BYTES
    if declared > limit:
        return Refusal(
            413,
            "too_large",
            "body",
            lambda: _("The request is larger than %(limit)s MB.") % {"limit": round(limit / (1024 * 1024), 1)},
        )
    content_type = request.content_type or ""
    # An identifier in the path beyond a 64-bit integer names nothing: not found (the
    # databases would fail to even compare it: SQLite raises OverflowError).
    if any(_too_big(segment) for segment in request.path_info.split("/")):
        return Refusal(404, "not_found", "path", lambda: _("Nothing has this identifier."))
    fields: list[Iterable[tuple[str, str | int]]] = [
        [("path", request.path_info)],
        _pairs(request.GET.lists(), "query"),
        ((name, value) for name, value in request.COOKIES.items()),
    ]
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        fields.append(_body_fields(request, content_type))
    try:
        for group in fields:
            for name, value in group:
                refusal = _problem(name, value) if isinstance(value, str) else None
                if refusal is None and name != "path" and _too_big(value):
                    refusal = _out_of_range(name)
                if refusal is not None:
                    return refusal
    except (RequestDataTooBig, TooManyFieldsSent):
        return Refusal(413, "too_large", "body", lambda: _("The request has too many fields or too much form data."))
    except (SuspiciousOperation, MultiPartParserError):
        return Refusal(400, "invalid", "body", lambda: _("The request's body could not be read."))
    return None


def _audit(request: HttpRequest, refusal: Refusal) -> None:
    """One row for the refusal. A refused login stays a failed login in the report."""
    login = request.path_info == _LOGIN_PATH and request.method == "POST"
    username = ""
    if login and refusal.status == 400:
        username = _FORBIDDEN.sub("\ufffd", request.POST.get("username", ""))[:150]
    try:
        with transaction.atomic():
            record_event(
                actor=None,
                action=AuditAction.LOGIN_FAILED if login else AuditAction.PERMISSION_DENIED,
                outcome=AuditOutcome.DENIED,
                object_type="request",
                object_id=_FORBIDDEN.sub("\ufffd", request.path_info)[:64],
                reason=f"{refusal.code}: {_FORBIDDEN.sub(chr(0xFFFD), refusal.field)[:60]}",
                actor_label=username,
            )
    except DatabaseError:
        # The refusal stands without its row: a database that is down must not turn a 400
        # into a 500 (the 503 handler covers the requests that do reach it).
        pass


def refusal_response(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    path = request.path_info
    if path.startswith("/api/"):
        body = envelope(refusal.code, refusal.message, [{"field": refusal.field, "message": refusal.message}])
        return JsonResponse(body, status=refusal.status)
    if path.startswith("/fhir/"):
        code = "invalid" if refusal.status == 400 else "too-costly"
        return outcome_response(refusal.status, code, refusal.message, expression=refusal.field)
    # No context processors: nothing about the session may be read for this request.
    page = loader.get_template("400.html").render({"detail": refusal.message})
    return HttpResponse(page, status=refusal.status)


class InputGuardMiddleware:
    """Refuses a request whose input no field could hold (see the module's docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = find_refusal(request)
        if refusal is None:
            return self.get_response(request)
        _audit(request, refusal)
        # The locale middleware comes later; the language is the request's own (its cookie
        # or Accept-Language), never the session's: the session is not read for this request.
        with translation.override(translation.get_language_from_request(request)):
            return refusal_response(request, refusal)
