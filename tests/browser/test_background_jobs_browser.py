"""The administrators' background-jobs page in the browser: a failed job, retried by hand."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from nyeri.background.models import JobRun, JobStatus
from nyeri.background.services import enqueue_job
from tests.background.conftest import DATABASE_QUEUE
from tests.browser.conftest import screenshot, via_menu
from tests.browser.people import log_in_as_administrator

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo")]


@pytest.fixture
def failed_run() -> Iterator[JobRun]:
    # The tests' default (immediate) backend runs the three attempts at once: a failed run.
    from tests.background import jobs_for_tests  # noqa: F401  (registers the test jobs)

    run = enqueue_job("tests.broken")
    run.refresh_from_db()
    assert run.status == JobStatus.FAILED
    # The retry then waits on the database queue, as in production.
    with override_settings(TASKS=DATABASE_QUEUE):
        yield run


def test_an_administrator_sees_a_failed_job_and_retries_it(
    page: Page, live_server: LiveServer, failed_run: JobRun
) -> None:
    log_in_as_administrator(page, live_server, "admin")
    via_menu(page.get_by_test_id("background-jobs-link"))
    expect(page.locator("h1")).to_have_text("Pekerjaan latar belakang")
    row = page.locator("[data-testid=job-run][data-job='tests.broken'][data-status=failed]")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("attempts")).to_have_text("3 / 3")
    expect(row.get_by_test_id("last-error")).to_contain_text("RuntimeError")
    screenshot(page, "background-jobs-failed")
    row.get_by_test_id("retry-job").click()
    expect(page.locator(".messages")).to_contain_text("Pekerjaan dimasukkan kembali ke antrean")
    queued = page.locator("[data-testid=job-run][data-job='tests.broken'][data-status=queued]")
    expect(queued).to_have_count(1)
    expect(queued).to_contain_text("Dalam antrean")
    screenshot(page, "background-jobs-retried")
    assert JobRun.objects.get(retry_of=failed_run).status == JobStatus.QUEUED
