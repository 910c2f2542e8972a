"""The API's error envelope: every error is ``{"error": {"code", "message", "fields"}}``.

Messages are translated into the request's language; ``fields`` names each bad field.
A refusal by the requirements engine (403) also lists its ``reasons``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from ninja import Field, Schema, Status


class FieldError(Schema):
    field: str
    message: str


class ErrorBody(Schema):
    code: str
    message: str
    fields: list[FieldError] = []


class ErrorEnvelope(Schema):
    error: ErrorBody


class ReasonOut(Schema):
    code: str = Field(
        description="Stable: <subject>.<engine code> (performer, anesthesiologist, operator, ...), equipment.*"
    )
    subject: str = Field(description="Who or what the reason is about: performer, operator, equipment, ...")
    message: str = Field(description="In the request's language")
    message_id: str
    message_en: str


class RefusalBody(ErrorBody):
    reasons: list[ReasonOut] = []


class RefusalEnvelope(Schema):
    error: RefusalBody


def envelope(code: str, message: str, fields: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": str(message), "fields": fields or []}}


def forbidden(message: str, reasons: Iterable[str] = (), *, field: str = "") -> Status[dict[str, Any]]:
    """A 403 ``forbidden`` envelope; each of the engine's ``reasons`` under ``field``, so that
    a client can say what is missing."""
    return Status(403, envelope("forbidden", message, [{"field": field, "message": r} for r in reasons]))


class _Reason(Protocol):
    @property
    def subject(self) -> str: ...

    def message(self, language: str | None = None) -> str: ...

    def as_dict(self) -> dict[str, Any]: ...


class _Refusal(Protocol):
    @property
    def reasons(self) -> Sequence[_Reason]: ...

    def messages(self, language: str | None = None) -> list[str]: ...


def refusal(code: str, denied: _Refusal) -> Status[dict[str, Any]]:
    """A 403 ``RefusalEnvelope``: the refusal's messages, a field per reason, and the reasons."""
    body = envelope(
        code,
        " ".join(denied.messages()),
        [{"field": r.subject, "message": r.message()} for r in denied.reasons],
    )
    body["error"]["reasons"] = [r.as_dict() for r in denied.reasons]
    return Status(403, body)


def with_api_names(error: ValidationError, names: Mapping[str, str]) -> ValidationError:
    """A service's ``ValidationError`` with its fields named as the API's body names them
    (the service says ``facility``, the body ``facility_id``)."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError({names.get(name, name): errors for name, errors in error.error_dict.items()})
