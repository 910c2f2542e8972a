"""FHIR errors: each becomes an OperationOutcome with its HTTP status."""

from __future__ import annotations

from fhir.resources.R4B.operationoutcome import OperationOutcome


class FhirError(Exception):
    """A refused request: ``status`` (HTTP), ``code`` (FHIR issue type) and a translated message."""

    def __init__(self, status: int, code: str, message: str, *, expression: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.expression = expression


def outcome(code: str, message: str, *, expression: str = "", severity: str = "error") -> OperationOutcome:
    issue: dict[str, object] = {"severity": severity, "code": code, "diagnostics": message}
    if expression:
        issue["expression"] = [expression]
    return OperationOutcome.model_validate({"resourceType": "OperationOutcome", "issue": [issue]})
