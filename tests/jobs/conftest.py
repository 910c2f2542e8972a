"""Job fixtures: the staffing fixtures (a described clinic with gaps), and postings to search."""

# ruff: noqa: F811 - the staffing fixtures are imported to be shared, then used as parameters

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache

from nyeri.accounts.models import User
from nyeri.jobs import services
from nyeri.jobs.models import JobPosting
from nyeri.jobs.requirements import RequirementInput
from nyeri.jobs.services import PostingInput
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope
from tests.staffing.conftest import (  # noqa: F401 - fixtures shared with the staffing tests
    admin,
    admin_scope,
    clinic,
    english,
    make_staff,
    member_nurse,
    officer,
    other_admin,
    second_facility,
)

MakePosting = Callable[..., JobPosting]


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    """The board's rate-limit counters live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_posting(admin_scope: Scope, admin: User, facility: Facility) -> MakePosting:
    def make(
        *,
        scope: Scope | None = None,
        user: User | None = None,
        at: Facility | None = None,
        requirements: tuple[RequirementInput, ...] = (),
        **fields: Any,
    ) -> JobPosting:
        values: dict[str, Any] = {"role": "nurse", "title": "Perawat nyeri", "employment_kind": "permanent"}
        values["fte"] = Decimal(1)
        values.update(fields)
        return services.create_posting(
            scope=scope or admin_scope,
            acting_user=user or admin,
            facility=at or facility,
            data=PostingInput(**values),
            requirements=requirements,
        )

    return make
