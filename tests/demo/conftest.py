"""The demo network, seeded once for every test in this folder.

Seeding the demo costs tens of seconds of CPU; these tests only read it (or change it inside
their own rolled-back transaction), so they share one copy per run instead of seeding it each.
The folder is a package: pytest runs its tests together, and the demo is flushed after the last.
A test that needs the demo with committed transactions (a backup, a browser) seeds its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command


@pytest.fixture(scope="package")
def seeded(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """What `seed_demo` printed (its accounts included) when it built the demo for this folder."""
    out = StringIO()
    with django_db_blocker.unblock():
        call_command("seed_demo", stdout=out)
    yield out.getvalue()
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def on_the_demo(seeded: str, db: None) -> None:
    """Every test here runs on the seeded demo, in a transaction rolled back after it."""
