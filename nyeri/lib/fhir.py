"""A FHIR OperationOutcome as plain JSON: the one shape every refusal under ``/fhir/`` takes.

Built as a dict, not a ``fhir.resources`` model, so that the middleware and the error
handlers that answer before any view (input guard, database unavailable) need neither
pydantic nor the interop app; ``nyeri.interop.fhir.errors`` validates the same dict.
"""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse

CONTENT_TYPE = "application/fhir+json"


def operation_outcome(code: str, message: str, *, expression: str = "", severity: str = "error") -> dict[str, Any]:
    """One issue: its FHIR issue type ``code``, the translated ``message`` and the field to blame."""
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": message}
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def outcome_response(status: int, code: str, message: str, *, expression: str = "") -> JsonResponse:
    return JsonResponse(
        operation_outcome(code, message, expression=expression), status=status, content_type=CONTENT_TYPE
    )
