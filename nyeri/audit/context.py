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


class DenialCount:
    """How many denied or not-found rows were appended while serving one request."""

    __slots__ = ("rows",)

    def __init__(self) -> None:
        self.rows = 0


# Set per request by DeniedAttemptMiddleware; None outside a request (commands, jobs).
_denials: ContextVar[DenialCount | None] = ContextVar("nyeri_request_denials", default=None)


def count_denials() -> tuple[DenialCount, object]:
    """Start counting the request's denial rows; returns the count and the token to reset."""
    count = DenialCount()
    return count, _denials.set(count)


def stop_counting_denials(token: object) -> None:
    _denials.reset(token)  # type: ignore[arg-type]


def note_denial() -> None:
    """A denied or not-found row was appended (called by the audit trail's append)."""
    count = _denials.get()
    if count is not None:
        count.rows += 1
