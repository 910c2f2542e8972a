"""Per-request facts the audit trail records (request id, client address).

Set by ``RequestContextMiddleware``; services read them without being handed the request,
and commands and jobs simply have none.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    client_address: str | None = None


# The default is a frozen dataclass: shared safely, nobody can change it.
_current: ContextVar[RequestContext] = ContextVar("nyeri_request_context", default=RequestContext())  # noqa: B039


def current_context() -> RequestContext:
    return _current.get()


def set_context(ctx: RequestContext) -> object:
    return _current.set(ctx)


def reset_context(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
