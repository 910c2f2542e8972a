"""Races on PostgreSQL: two physicians amending the same version at once.

(SQLite has a single writer, so the race cannot happen there.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from nyeri.accounts.models import User
from nyeri.clinical.diagnoses import services
from nyeri.clinical.diagnoses.models import Diagnosis
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.conftest import MakeMember
from tests.diagnoses.conftest import licensed_staff, scope_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent writers are PostgreSQL's; SQLite has a single writer")


def all_at_once(workers: list[Callable[[], object]]) -> list[object]:
    barrier = threading.Barrier(len(workers))
    results: list[object] = []

    def run(work: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results.append(work())
        except ValidationError as error:
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_amendments_of_one_version_at_once_make_one_new_version_and_one_clear_refusal(
    physician: User, low_back_pain: Diagnosis, make_member: MakeMember, org: Organization, facility: Facility
) -> None:
    colleague = licensed_staff(make_member, org, facility, Role.ANESTHESIOLOGIST, "dr_ani")

    def amend(user: User, side: str) -> Callable[[], object]:
        return lambda: (
            services.amend_diagnosis(
                scope=scope_of(user), acting_user=user, diagnosis=low_back_pain, reason=f"side {side}", laterality=side
            ).pk
        )

    results = all_at_once([amend(physician, "left"), amend(colleague, "right")])
    refusals = [r for r in results if isinstance(r, ValidationError)]
    assert len(refusals) == 1
    assert refusals[0].code == "superseded"
    assert Diagnosis.objects.filter(lineage=low_back_pain.lineage).count() == 2
