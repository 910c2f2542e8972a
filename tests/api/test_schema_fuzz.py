"""The OpenAPI document is a true contract: schemathesis fuzzes every operation of /api/.

Every operation is called with generated input (valid and invalid, bounded in examples and
time) by a member holding every role, through the real WSGI stack with a real API token.
The build fails on any 5xx, on a response whose status the document does not list, and on
a body that violates the documented schema. Unique schema names are checked first: a
collision makes django-ninja document one schema under another's name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from ninja import Schema
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from nyeri.accounts.services import create_api_token
from nyeri.accounts.token_scopes import ALL_SCOPES
from nyeri.api.root import api
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.conftest import MakeMember

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())

# Bounded: a few examples per operation (valid and invalid input) keep the whole document,
# some 160 operations, to a minute or two per database.
EXAMPLES = 5


def test_every_schema_name_in_the_document_is_unique() -> None:
    # django-ninja keys the document's components by class name: a second class of the same
    # name replaces the first silently, so the check is on the classes behind the names.
    documented = set(api.get_openapi_schema().get("components", {}).get("schemas", {}))
    classes: dict[str, set[str]] = {}
    for cls in _nyeri_subclasses(Schema):
        classes.setdefault(cls.__name__, set()).add(f"{cls.__module__}.{cls.__qualname__}")
    twice = {name: sorted(paths) for name, paths in classes.items() if name in documented and len(paths) > 1}
    assert not twice, twice


def _nyeri_subclasses(cls: type) -> set[type]:
    found: set[type] = set()
    stack = [cls]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub.__module__.startswith("nyeri.") and sub not in found:
                found.add(sub)
                stack.append(sub)
    return found


@pytest.fixture
def connections_kept() -> Iterator[None]:
    """Schemathesis calls the WSGI application directly, not through Django's test client, so
    Django's request signals would close the database connection after each request: the
    test's transaction with it (on PostgreSQL). Django's test client disconnects the same
    handler for the same reason."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(org: Organization, facility: Facility, make_member: MakeMember) -> str:
    everyone = make_member(org, *Role, username="fuzzer")
    _token, secret = create_api_token(acting_user=everyone, name="fuzz", expires_in_days=1, scopes=ALL_SCOPES)
    return secret


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_operation_answers_a_server_error_or_breaks_its_documented_schema(
    case: Any, token: str, connections_kept: None
) -> None:
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:500])
    case.validate_response(response, checks=[status_code_conformance, response_schema_conformance])
