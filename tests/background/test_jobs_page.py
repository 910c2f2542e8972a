"""The administrators' background-jobs page: what it shows, to whom, and retrying by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.background.models import JobRun, JobStatus
from nyeri.background.services import enqueue_job
from nyeri.tenancy.models import Organization
from nyeri.tenancy.roles import Role
from tests.background.conftest import client_of, work_once
from tests.conftest import MakeMember

pytestmark = pytest.mark.usefixtures("database_queue")

URL = "/background-jobs/"


def fail_for_good(organization: Organization | None) -> JobRun:
    """A run of the always-failing job, run by the worker until its attempts are used up."""
    run = enqueue_job("tests.broken", organization=organization)
    with time_machine.travel(datetime.now(tz=UTC), tick=False) as clock:
        for _attempt in range(run.max_attempts):
            work_once()
            run.refresh_from_db()
            if run.next_run_at is not None:
                clock.move_to(run.next_run_at + timedelta(seconds=1))
    assert run.status == JobStatus.FAILED
    return run


@pytest.fixture
def admin(org: Organization, make_member: MakeMember) -> User:
    return make_member(org, Role.ADMINISTRATOR, username="rina", language="en")


def test_a_job_that_failed_every_attempt_shows_on_the_page_with_its_attempts_and_error(
    org: Organization, admin: User
) -> None:
    run = fail_for_good(org)
    client = client_of(admin)
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="background-jobs-link"' in page
    assert 'data-job="tests.broken" data-status="failed"' in page
    assert "3 / 3" in page
    assert "RuntimeError" in page
    assert "spleen index" in page  # the organization's own run: its message too
    assert f'action="/background-jobs/{run.pk}/retry/"' in page


def test_the_page_speaks_indonesian(org: Organization, make_member: MakeMember) -> None:
    fail_for_good(org)
    admin = make_member(org, Role.ADMINISTRATOR, username="dewi", language="id")
    page = client_of(admin, language="id").get(URL).content.decode()
    assert "Pekerjaan latar belakang" in page
    assert "Gagal" in page


def test_an_installation_wide_run_shows_to_every_organizations_administrators_without_its_message(
    org: Organization, other_org: Organization, make_member: MakeMember
) -> None:
    fail_for_good(None)
    other_admin = make_member(other_org, Role.ADMINISTRATOR, username="budi", language="en")
    page = client_of(other_admin).get(URL).content.decode()
    assert 'data-job="tests.broken"' in page
    assert "Installation-wide" in page
    assert "RuntimeError" in page
    assert "spleen index" not in page


def test_another_organizations_runs_are_not_shown_and_cannot_be_retried(
    org: Organization, other_org: Organization, make_member: MakeMember
) -> None:
    run = fail_for_good(org)
    other_admin = make_member(other_org, Role.ADMINISTRATOR, username="budi", language="en")
    client = client_of(other_admin)
    assert 'data-job="tests.broken"' not in client.get(URL).content.decode()
    assert client.post(f"{URL}{run.pk}/retry/").status_code == 404
    assert not JobRun.objects.filter(retry_of=run).exists()


def test_an_administrator_retries_a_failed_job_by_hand_once_and_it_is_audited(org: Organization, admin: User) -> None:
    run = fail_for_good(org)
    client = client_of(admin)
    response = client.post(f"{URL}{run.pk}/retry/", follow=True)
    assert response.status_code == 200
    retry = JobRun.objects.get(retry_of=run)
    assert retry.status == JobStatus.QUEUED
    assert retry.attempts == 0
    assert retry.requested_by == admin
    assert retry.organization == org
    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="job_run")
    assert event.actor == admin
    assert event.object_id == str(retry.pk)
    assert event.organization == org
    # Twice is refused with a message; still one retry.
    response = client.post(f"{URL}{run.pk}/retry/", follow=True)
    assert "already been retried" in response.content.decode()
    assert JobRun.objects.filter(retry_of=run).count() == 1
    # The retry really runs.
    work_once()
    retry.refresh_from_db()
    assert retry.attempts == 1


def test_a_job_still_running_cannot_be_retried_by_hand(org: Organization, admin: User) -> None:
    run = enqueue_job("tests.echo", organization=org, arguments={"text": "x"})
    response = client_of(admin).post(f"{URL}{run.pk}/retry/", follow=True)
    assert "Only a failed job can be retried." in response.content.decode()
    assert not JobRun.objects.filter(retry_of=run).exists()


def test_the_page_is_refused_to_a_non_administrator_and_the_refusal_is_audited(
    org: Organization, make_member: MakeMember
) -> None:
    run = fail_for_good(org)
    officer = make_member(org, Role.CREDENTIALING_OFFICER, Role.COMPLIANCE_OFFICER, username="tono", language="en")
    client = client_of(officer)
    assert 'data-testid="background-jobs-link"' not in client.get("/").content.decode()
    assert client.get(URL).status_code == 403
    assert client.post(f"{URL}{run.pk}/retry/").status_code == 403
    refusals = AuditEvent.objects.filter(
        action=AuditAction.PERMISSION_DENIED, outcome=AuditOutcome.DENIED, object_type="job_run", actor=officer
    )
    assert refusals.count() == 2
    assert not JobRun.objects.filter(retry_of=run).exists()


def test_the_status_filter_shows_only_that_status(org: Organization, admin: User) -> None:
    fail_for_good(org)
    enqueue_job("tests.echo", organization=org, arguments={"text": "x"})
    page = client_of(admin).get(URL, {"status": "queued"}).content.decode()
    assert 'data-job="tests.echo"' in page
    assert 'data-job="tests.broken"' not in page


def test_the_page_reads_in_a_fixed_number_of_queries(
    org: Organization, admin: User, django_assert_max_num_queries: object
) -> None:
    for n in range(5):
        enqueue_job("tests.echo", organization=org, arguments={"text": str(n)})
    client: Client = client_of(admin)
    client.get(URL)
    from nyeri.background.selectors import recent_job_runs
    from nyeri.tenancy.scope import resolve_scope

    scope = resolve_scope(admin)
    assert scope is not None
    with django_assert_max_num_queries(2):  # type: ignore[operator]
        rows = recent_job_runs(scope)
    assert len(rows) == 5


def test_successful_housekeeping_runs_are_not_listed(org: Organization, admin: User) -> None:
    enqueue_job("background.recover_stalled")
    enqueue_job("tests.echo", arguments={"text": "x"})
    work_once()
    page = client_of(admin).get(URL).content.decode()
    assert 'data-testid="job-run" data-job="tests.echo"' in page
    assert 'data-testid="job-run" data-job="background.recover_stalled"' not in page


def test_the_page_shows_the_schedule_with_each_periodic_jobs_next_run(org: Organization, admin: User) -> None:
    from nyeri.background.schedule import PERIODIC_JOBS, enqueue_due

    page = client_of(admin).get(URL).content.decode()
    assert page.count('data-testid="periodic-job"') == len(PERIODIC_JOBS)
    assert "Daily at 01:00" in page
    assert "Every 15 minutes" in page
    assert page.count("Due now") == len(PERIODIC_JOBS)  # no worker ran yet
    enqueue_due()
    page = client_of(admin).get(URL).content.decode()
    assert "Due now" not in page
