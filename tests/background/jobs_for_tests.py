"""Jobs that exist only for the tests of the queue: they fail on demand."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from nyeri.background.registry import RetryPolicy, background_job

# How many more times each token's job fails before it succeeds.
FAILURES_LEFT: dict[str, int] = {}

POLICY = RetryPolicy(max_attempts=4, base_delay=timedelta(seconds=10), factor=2, jitter=0.25)


@background_job(name="tests.flaky", label="Flaky test job", retry=POLICY)
def flaky(*, token: str) -> dict[str, Any]:
    left = FAILURES_LEFT.get(token, 0)
    if left:
        FAILURES_LEFT[token] = left - 1
        raise ConnectionError(f"the far side is down ({left} more failure(s) planned)")
    return {"token": token}


@background_job(name="tests.broken", label="Broken test job", retry=RetryPolicy(max_attempts=3, jitter=0))
def broken() -> None:
    raise RuntimeError("always broken: the spleen index is missing")


@background_job(name="tests.echo", label="Echo test job")
def echo(*, text: str) -> str:
    return text
