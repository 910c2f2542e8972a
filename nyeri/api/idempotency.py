"""``Idempotency-Key`` on the API's writes: a retried request gets the first answer again.

A client that lost the answer to a write (a dropped connection, a crash, a 503 while the
database restarted) sends the same request again with the same ``Idempotency-Key`` header:

- the same key with the same request (method, path and body; JSON compared by content,
  not spacing or key order) answers the first request's answer again, with
  ``Idempotent-Replayed: true`` and 200 instead of 201 (as prescriptions always have);
  nothing is written a second time;
- the same key with another request is refused: 422, the field ``Idempotency-Key``;
- keys belong to one user in one organization, and are forgotten after
  ``IDEMPOTENCY_KEY_HOURS`` (24 by default; the periodic job ``api.idempotency_prune``
  deletes them);
- without the header a request is a new submission, as before.

Only a successful answer (2xx) is kept: a refused or invalid request can be corrected and
sent again with the same key. The answer is stored in the write's own transaction, as its
first statement: a concurrent request with the same key waits on the unique constraint
until the first one commits, then replays its answer (or, if the first rolled back, writes).

An operation opts in with ``@idempotent`` under its ``@router.post/put/patch``; the API's
OpenAPI document then lists the header. ``tests/api/test_idempotency.py`` checks that every
write on patient data carries it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from functools import wraps
from typing import TYPE_CHECKING, Any, Final

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.http.request import RawPostDataException
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.utils import contribute_operation_callback

from nyeri.api.models import IdempotentRequest
from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.lib.http import request_user
from nyeri.tenancy.refusals import write_transaction
from nyeri.tenancy.scope import Scope, request_scope

if TYPE_CHECKING:
    from ninja.operation import Operation

HEADER: Final = "Idempotency-Key"
REPLAYED_HEADER: Final = "Idempotent-Replayed"
KEY_PATTERN: Final = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# The OpenAPI marker (operation.openapi_extra) that NyeriAPI turns into the header parameter.
OPENAPI_MARK: Final = "x-nyeri-idempotent"

ViewFunc = Callable[..., Any]


def key_is_valid(key: str) -> bool:
    """1 to 64 letters, digits, dots, dashes, underscores or colons (a UUID fits)."""
    return bool(KEY_PATTERN.match(key))


def key_error() -> str:
    return _("The idempotency key must be 1 to 64 letters, digits, dots, dashes, underscores or colons.")


def idempotent(view: ViewFunc) -> ViewFunc:
    """Make an API write honour ``Idempotency-Key`` (put it under ``@router.post(...)``)."""
    contribute_operation_callback(view, _install)
    return view


def _install(operation: Operation) -> None:
    # Called by ninja once the operation has read the view's signature: the view function is
    # then swapped for the wrapper (wrapping it earlier would hide the view's annotations,
    # which ninja resolves in the view's module). The wrapper needs the operation that runs
    # it, to write its answer the way ninja would (response schema, status, headers);
    # operations are cloned when a router is bound to the API, and ninja re-applies run
    # decorators (not view functions) to each clone: so a run decorator records the
    # operation on the request.
    operation.view_func = _wrap(operation.view_func)
    operation.openapi_extra = {**(operation.openapi_extra or {}), OPENAPI_MARK: True}
    if not hasattr(operation, "_run_decorators"):
        operation._run_decorators = []  # type: ignore[attr-defined]
    operation.run = _remember_operation(operation.run)  # type: ignore[method-assign]
    operation._run_decorators.append(_remember_operation)  # type: ignore[attr-defined]


def _wrap(view: ViewFunc) -> ViewFunc:
    @wraps(view)
    def wrapper(request: HttpRequest, **values: Any) -> Any:
        raw = request.headers.get(HEADER)
        if raw is None:
            return view(request, **values)
        operation: Operation = request._nyeri_operation  # type: ignore[attr-defined]
        return _run_once(request, raw.strip(), lambda: _answer(operation, request, view, values))

    return wrapper


def _remember_operation(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @wraps(run)
    def remembering(request: HttpRequest, **kw: Any) -> HttpResponseBase:
        request._nyeri_operation = run.__self__  # type: ignore[attr-defined]
        return run(request, **kw)

    return remembering


def _answer(operation: Operation, request: HttpRequest, view: ViewFunc, values: dict[str, Any]) -> HttpResponseBase:
    """The view's result as the response ninja would send (schema-checked, with its headers)."""
    response_arg = operation.signature.response_arg
    temporal = values[response_arg] if response_arg else operation.api.create_temporal_response(request)
    result = view(request, **values)
    return operation._result_to_response(request, result, temporal)


def _run_once(request: HttpRequest, key: str, write: Callable[[], HttpResponseBase]) -> HttpResponseBase:
    if not key_is_valid(key):
        raise ValidationError({HEADER: key_error()}, code="invalid_key")
    scope = request_scope(request)
    user = request_user(request)
    fingerprint = request_fingerprint(request)
    kept = _kept(scope.organization.pk, user.pk, key)
    if kept is not None:
        return _replay(kept, fingerprint, scope=scope)
    now = timezone.now()
    try:
        with write_transaction():
            # An expired answer under the same key is forgotten, then the key is claimed:
            # a concurrent request with this key waits here until this transaction ends.
            IdempotentRequest.objects.filter(
                organization=scope.organization, user=user, key=key, expires_at__lte=now
            ).delete()
            claim = IdempotentRequest.objects.create(
                organization=scope.organization,
                user=user,
                key=key,
                fingerprint=fingerprint,
                method=request.method or "",
                path=request.path[:300],
                status=200,
                content_type="",
                body="",
                created_at=now,
                expires_at=now + timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS),
            )
            response = write()
            if 200 <= response.status_code < 300 and isinstance(response, HttpResponse):
                claim.status = response.status_code
                claim.content_type = response.get("Content-Type", "")[:100]
                claim.body = response.content.decode("utf-8")
                claim.save(update_fields=["status", "content_type", "body"])
            else:
                # An answer other than success (the view said no without raising): the key
                # stays free, whatever else the request did is kept as without a key.
                claim.delete()
    except IntegrityError:
        # Another request with this key committed first (we waited for it): its answer.
        kept = _kept(scope.organization.pk, user.pk, key)
        if kept is None:
            raise
        return _replay(kept, fingerprint, scope=scope)
    return response


def _kept(organization_id: int, user_id: int, key: str) -> IdempotentRequest | None:
    return IdempotentRequest.objects.filter(
        organization_id=organization_id, user_id=user_id, key=key, expires_at__gt=timezone.now()
    ).first()


def _replay(kept: IdempotentRequest, fingerprint: str, *, scope: Scope) -> HttpResponse:
    if kept.fingerprint != fingerprint:
        raise ValidationError(
            {HEADER: _("This key was already used for another request: send a new key.")}, code="key_reused"
        )
    # The answer may carry patient data: its second showing is a read, and audited as one.
    with transaction.atomic():
        record_event(
            actor=scope.user,
            action=AuditAction.READ,
            organization=scope.organization,
            object_type="idempotent_request",
            object_id=kept.pk,
            reason=f"answer replayed: {kept.method} {kept.path} (key {kept.key})",
        )
    # 201 Created was the first answer; the replay creates nothing (prescriptions' rule).
    status = 200 if kept.status == 201 else kept.status
    response = HttpResponse(kept.body, status=status, content_type=kept.content_type)
    response[REPLAYED_HEADER] = "true"
    return response


def request_fingerprint(request: HttpRequest) -> str:
    """SHA-256 of what makes two requests the same one: method, path and body."""
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    for chunk in _body_parts(request):
        digest.update(chunk)
    return digest.hexdigest()


def _body_parts(request: HttpRequest) -> Iterator[bytes]:
    try:
        body = request.body
    except RawPostDataException:
        # A multipart body already parsed into fields and files (an upload).
        for name, value in sorted(request.POST.lists()):
            yield json.dumps([name, value]).encode()
        for name, files in sorted(request.FILES.lists()):
            for upload in files:
                yield json.dumps([name, upload.name, upload.size]).encode()
                yield from upload.chunks()
                upload.seek(0)
        return
    if request.content_type == "application/json" and body:
        try:
            # The same JSON written with other spacing or key order is the same request.
            yield json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
            return
        except ValueError:
            pass
    yield body


def prune_expired(*, now: datetime | None = None) -> int:
    """Forget the answers whose keys have expired; returns how many."""
    deleted, _by_model = IdempotentRequest.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted


HEADER_PARAMETER: Final = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "pattern": KEY_PATTERN.pattern, "maxLength": 64},
    "description": "Send the same key again to get the first answer instead of writing twice "
    "(200 with Idempotent-Replayed: true); the same key with another request is a 422. "
    "Kept for IDEMPOTENCY_KEY_HOURS, per user and organization.",
}


def document(operation: dict[str, Any]) -> None:
    """Turn an idempotent operation's OpenAPI marker into its header parameter."""
    if operation.pop(OPENAPI_MARK, False):
        operation.setdefault("parameters", []).append(dict(HEADER_PARAMETER))
        responses = operation.setdefault("responses", {})
        if 201 in responses and 200 not in responses:
            # A replay answers 200 with the first answer's body.
            replay = dict(responses[201])
            replay["description"] = "The first answer again (Idempotent-Replayed: true): nothing was written."
            responses[200] = replay
