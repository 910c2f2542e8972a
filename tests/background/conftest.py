"""The background-job tests run on the real database queue (django-tasks-db) and its worker."""

from __future__ import annotations

from collections.abc import Iterator
from unittest import mock

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from nyeri.accounts.models import User
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import resolve_scope
from tests.accounts_fixtures import give_second_factor, verify
from tests.background import jobs_for_tests  # noqa: F401  (registers the test jobs)
from tests.conftest import log_in

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def database_queue() -> Iterator[None]:
    with override_settings(TASKS=DATABASE_QUEUE):
        yield


def work_once(*extra: str) -> None:
    """One worker round: every task that is due now runs, then the worker exits.

    The worker closes stale database connections between tasks, as a long-running process
    should; here that connection holds the test's transaction, so it stays open.
    """
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("run_worker", "--batch", "--no-scheduler", *extra)


def client_of(user: User, language: str = "en") -> Client:
    """Logged in through the login page; an administrator also passes the second factor."""
    client = log_in(Client(HTTP_ACCEPT_LANGUAGE=language), user)
    scope = resolve_scope(user)
    if scope is not None and Role.ADMINISTRATOR in scope.roles:
        device, _codes = give_second_factor(user)
        verify(client, device)
    return client
