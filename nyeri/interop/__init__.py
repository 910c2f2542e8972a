"""Interoperability: the organization's data as HL7 FHIR R4 (see docs/fhir.md)."""
