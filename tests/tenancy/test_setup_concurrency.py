"""Two set-ups at once on PostgreSQL, with the codes of two server processes: one organization.

(SQLite has a single writer, so the race cannot happen there.)
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from nyeri.tenancy.models import Organization, SetupCode
from nyeri.tenancy.setup import issue_setup_code, start_organization
from tests.concurrency import all_at_once

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent writers are PostgreSQL's; SQLite has a single writer")


def test_two_set_ups_at_once_with_two_codes_make_one_organization_and_one_refusal() -> None:
    codes = [issue_setup_code(), issue_setup_code()]

    def set_up(n: int) -> Callable[[], object]:
        return lambda: (
            start_organization(
                acting_user=None,
                name=f"RS Nomor {n}",
                kind="hospital",
                facility_name=f"Layanan Nyeri {n}",
                facility_kind="hospital_pain_unit",
                province_code="32",
                regency_code="32.73",
                admin_username=f"admin{n}",
                admin_email=f"admin{n}@example.org",
                admin_password="tulang-belakang-2026",
                setup_code=codes[n],
                via="browser",
            ).organization.pk
        )

    results = all_at_once([set_up(0), set_up(1)])
    refusals = [r for r in results if isinstance(r, ValidationError)]
    assert len(refusals) == 1
    assert "setup_code" in refusals[0].message_dict
    assert Organization.objects.count() == 1
    assert SetupCode.objects.filter(used_at__isnull=False).count() == 1
