"""The CapabilityStatement: exactly what this server implements."""

from __future__ import annotations

from django.utils import timezone
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from nyeri.interop.fhir.resources import RESOURCE_TYPES

# The FHIR Bulk Data Access IG's operation definitions ($export, docs/fhir.md).
BULK_DATA = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition"
COMMON_PARAMS = [
    {"name": "_count", "type": "number", "documentation": "Page size: 50 unless given, at most 500."},
    {"name": "_summary", "type": "token", "documentation": "count: the total only."},
]


def build(base_url: str) -> CapabilityStatement:
    resources = []
    for name, kind in RESOURCE_TYPES.items():
        entry: dict[str, object] = {
            "type": name,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [
                {"name": p.name, "type": p.type, **({"documentation": p.documentation} if p.documentation else {})}
                for p in kind.params.values()
            ]
            + COMMON_PARAMS,
        }
        if kind.includes_patient:
            entry["searchInclude"] = [f"{name}:patient"]
        if name == "Patient":
            entry["operation"] = [{"name": "export", "definition": f"{BULK_DATA}/patient-export"}]
        resources.append(entry)
    return CapabilityStatement.model_validate(
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": timezone.now().date().isoformat(),
            "publisher": "Nyeri",
            "kind": "instance",
            "software": {"name": "Nyeri"},
            "implementation": {"description": "Nyeri FHIR R4 API (read, search, bulk export)", "url": base_url},
            "fhirVersion": "4.0.1",
            "format": ["application/fhir+json", "json"],
            "rest": [
                {
                    "mode": "server",
                    "security": {
                        "service": [{"text": "Bearer personal API token (Authorization: Bearer nyeri_...)"}],
                        "description": "A personal API token of a member of the organization; "
                        "each read and search is audited.",
                    },
                    "resource": resources,
                    "operation": [{"name": "export", "definition": f"{BULK_DATA}/export"}],
                }
            ],
        }
    )
