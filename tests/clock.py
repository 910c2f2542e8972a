"""Run the suite on another day: ``NYERI_TEST_CLOCK=2027-02-28 pytest ...``.

The wall clock (``time.time``, ``datetime.now``, ``date.today``, Django's ``timezone.now``)
starts at 10:00 in Jakarta on that day and keeps ticking, so every test that builds dates
from "today" runs as if it were that day. The clock starts when this plugin is imported
(from tests/conftest.py), before any other conftest or test module is, so that a module
that reads the time when it is imported (``NOW = timezone.now()``) sees the same day.
``make test-clock`` (scripts/test-clock.sh) runs the date-sensitive part of the suite on
the days that break naive calendar arithmetic.
"""

from __future__ import annotations

import os
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

CLOCK = os.environ.get("NYERI_TEST_CLOCK", "")

if CLOCK:
    _traveller = time_machine.travel(
        datetime.combine(date.fromisoformat(CLOCK), time(10, 0), ZoneInfo("Asia/Jakarta")), tick=True
    )
    _traveller.start()


def pytest_report_header(config: pytest.Config) -> str | None:
    return f"clock: the tests run as if today were {CLOCK} (NYERI_TEST_CLOCK)" if CLOCK else None
