"""AuditEvent: a row of the organization's audit trail (for its compliance officer)."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.auditevent import AuditEvent as FhirAuditEvent

from nyeri.audit.models import AuditEvent
from nyeri.interop.fhir import systems

AUDIT_ACTION = f"{systems.BASE}/CodeSystem/audit-action"
EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
# FHIR AuditEvent.action: create, read, update, execute.
ACTION = {
    "create": "C",
    "read": "R",
    "search": "E",
    "export": "R",
    "update": "U",
    "amend": "U",
    "cancel": "U",
}
# FHIR AuditEvent.outcome: success 0, serious failure 8 for a refusal or failure, minor
# failure 4 for "not found" on an identified object (a denied attempt that changed nothing).
OUTCOME = {"success": "0", "failure": "8", "denied": "8", "not_found": "4"}


def as_json(event: AuditEvent) -> dict[str, Any]:
    """The resource as plain JSON values (the bulk export writes these; ``build`` validates them)."""
    agent: dict[str, Any] = {
        "who": {"display": event.actor_label or "anonymous"},
        "requestor": True,
    }
    if event.client_address:
        agent["network"] = {"address": event.client_address, "type": "2"}
    entities: list[dict[str, Any]] = []
    if event.patient_id is not None:
        entities.append({"what": systems.ref("Patient", event.patient_id), "role": {"code": "1"}})
    if event.object_type:
        entities.append({"what": {"display": f"{event.object_type}/{event.object_id}".rstrip("/")}})
    data: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": str(event.pk),
        "type": systems.coding(EVENT_TYPE, "rest", "RESTful Operation")
        if event.object_type.startswith("fhir.")
        else systems.coding(AUDIT_ACTION, event.action),
        "subtype": [systems.coding(AUDIT_ACTION, event.action)],
        "action": ACTION.get(event.action, "E"),
        "recorded": systems.instant(event.occurred_at),
        "outcome": OUTCOME.get(event.outcome, "8"),
        "agent": [agent],
        "source": {"observer": {"display": "Nyeri"}},
    }
    if event.request_id:
        data["source"]["site"] = event.request_id
    if event.reason:
        data["outcomeDesc"] = event.reason
    if entities:
        data["entity"] = entities
    return data


def build(event: AuditEvent) -> FhirAuditEvent:
    return FhirAuditEvent.model_validate(as_json(event))
