"""FHIR R4 (R4B models of fhir.resources): one builder module per resource, a search layer, the views.

Builders are pure functions from the apps' rows to validated ``fhir.resources.R4B`` models.
"""
