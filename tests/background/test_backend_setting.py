"""TASKS_BACKEND chooses the queue: the database by default, Redis on request, nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOW = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.TASKS['default']['BACKEND'], 'django_rq' in settings.INSTALLED_APPS)"
)


def settings_with(**env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in {"TASKS_BACKEND", "REDIS_URL"}}
    environment.update(env, DJANGO_SETTINGS_MODULE="nyeri.settings", NYERI_TESTING="1", HTTPS="0")
    return subprocess.run(
        [sys.executable, "-c", SHOW], cwd=ROOT, env=environment, capture_output=True, text=True, check=False
    )


def test_the_database_queue_is_the_default() -> None:
    result = settings_with()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django_tasks_db.DatabaseBackend", "False"]


def test_redis_is_chosen_with_its_app() -> None:
    result = settings_with(TASKS_BACKEND="redis", REDIS_URL="redis://cache.internal:6379/2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django_tasks_rq.RQBackend", "True"]


def test_an_unknown_backend_is_refused_at_start_up_with_the_variables_name() -> None:
    result = settings_with(TASKS_BACKEND="celery")
    assert result.returncode != 0
    assert "TASKS_BACKEND must be 'database' or 'redis'" in result.stderr
