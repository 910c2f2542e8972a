"""FHIR errors: each becomes an OperationOutcome with its HTTP status."""

from __future__ import annotations

from fhir.resources.R4B.operationoutcome import OperationOutcome

from nyeri.lib.fhir import operation_outcome


class FhirError(Exception):
    """A refused request: ``status`` (HTTP), ``code`` (FHIR issue type) and a translated message."""

    def __init__(self, status: int, code: str, message: str, *, expression: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.expression = expression


def outcome(code: str, message: str, *, expression: str = "", severity: str = "error") -> OperationOutcome:
    return OperationOutcome.model_validate(operation_outcome(code, message, expression=expression, severity=severity))
