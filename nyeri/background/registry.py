"""The platform's job definitions and their retry policies.

A job is a plain function decorated with ``@background_job``: it becomes a django-tasks
``Task`` (enqueued with ``nyeri.background.services.enqueue_job``) and is registered here
under a stable name, with its label for the administrators' page and its retry policy.
Each attempt runs the function; when it raises, the run is enqueued again with
``run_after`` = now + an exponentially growing delay with jitter, until its attempts are
used up: then it stays failed (and an administrator may retry it by hand).
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils.functional import Promise
from django_tasks import task
from django_tasks.base import Task


@dataclass(frozen=True)
class RetryPolicy:
    """How often a job is attempted, and how long it waits between attempts."""

    max_attempts: int = 5
    base_delay: timedelta = timedelta(seconds=30)
    factor: float = 2.0
    max_delay: timedelta = timedelta(hours=2)
    # Each delay is lengthened by a random share up to this (so that jobs that failed
    # together do not all come back at the same second).
    jitter: float = 0.25

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.factor < 1 or self.jitter < 0:
            raise ValueError("factor must be at least 1 and jitter not negative")

    def delay_after(self, attempt: int, *, rng: random.Random | None = None) -> timedelta:
        """The wait after failed attempt number ``attempt`` (1, 2, ...)."""
        raw = self.base_delay.total_seconds() * self.factor ** (attempt - 1)
        jittered = raw * (1 + (rng or random).uniform(0, self.jitter))
        return timedelta(seconds=min(jittered, self.max_delay.total_seconds()))


@dataclass(frozen=True)
class JobDefinition:
    name: str
    label: str | Promise
    task: Task[..., Any]
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # A housekeeping job that runs often: its successful runs are not listed on the page.
    quiet: bool = False


REGISTRY: dict[str, JobDefinition] = {}


def background_job(
    *, name: str, label: str | Promise, retry: RetryPolicy | None = None, quiet: bool = False
) -> Callable[[Callable[..., Any]], Task[..., Any]]:
    """Turn ``body`` into a registered, retried task named ``name``."""

    def decorate(body: Callable[..., Any]) -> Task[..., Any]:
        if name in REGISTRY:
            raise ValueError(f"background job {name!r} is defined twice")

        # Same module and name as the body: the task is found again (by the worker) under
        # the module attribute the decorator returns.
        @functools.wraps(body)
        def run(*, job_run_id: int, **arguments: Any) -> Any:
            from nyeri.background.execution import run_attempt

            return run_attempt(job_run_id, body, arguments)

        job_task: Task[..., Any] = task(run)
        REGISTRY[name] = JobDefinition(name=name, label=label, task=job_task, retry=retry or RetryPolicy(), quiet=quiet)
        return job_task

    return decorate


def definition(name: str) -> JobDefinition:
    try:
        return REGISTRY[name]
    except KeyError as exc:
        raise LookupError(f"no background job named {name!r}") from exc
