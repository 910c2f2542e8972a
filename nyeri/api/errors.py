"""The API's error envelope: every error is ``{"error": {"code", "message", "fields"}}``.

Messages are translated into the request's language; ``fields`` names each bad field.
"""

from __future__ import annotations

from typing import Any

from ninja import Schema


class FieldError(Schema):
    field: str
    message: str


class ErrorBody(Schema):
    code: str
    message: str
    fields: list[FieldError] = []


class ErrorEnvelope(Schema):
    error: ErrorBody


def envelope(code: str, message: str, fields: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": str(message), "fields": fields or []}}
