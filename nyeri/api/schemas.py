"""Request and response schemas shared by several apps' routers, defined once.

django-ninja documents a schema under its class name: two classes of one name in two apps
collapse into one entry of the OpenAPI document (one app's endpoint documented with the
other's body), so a shape several apps take lives here, and an app's own schema has a
name of its own (tests/api/test_schema_fuzz.py checks both).
"""

from __future__ import annotations

from ninja import Field, Schema

REASON_MAX_LENGTH = 1000


class ReasonIn(Schema):
    """Why (a cancellation, a refusal, an entry in error): required."""

    reason: str = Field(max_length=REASON_MAX_LENGTH)


class OptionalReasonIn(Schema):
    """Why, when the action may be taken without saying (a deactivation, a revocation)."""

    reason: str = Field("", max_length=REASON_MAX_LENGTH)
