"""Ten submissions of one application at once (a double click, a retrying phone): exactly one
application, the others refused as duplicates. PostgreSQL, where the ten truly run at once."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from nyeri.candidates.models import CandidateProfile
from nyeri.hiring import services
from nyeri.hiring.models import Application, ApplicationEvent
from nyeri.jobs.models import JobPosting
from tests.register.test_concurrency import all_at_once

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are PostgreSQL's; SQLite has a single writer")


def test_ten_concurrent_submissions_make_exactly_one_application(posting: JobPosting, ayu: CandidateProfile) -> None:
    def work() -> object:
        return services.apply_to_posting(acting_user=ayu.user, profile=ayu, posting_id=posting.pk)

    results = all_at_once([work] * 10)
    made = [r for r in results if isinstance(r, Application)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(made) == 1
    assert len(refused) == 9
    assert all(list(e.message_dict) == ["posting"] for e in refused)
    assert Application.objects.count() == 1
    assert ApplicationEvent.objects.count() == 1
