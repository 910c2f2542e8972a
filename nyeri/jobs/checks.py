"""A system check: every job-requirement defaults file loads (a bad file stops a deploy, not a request)."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

from nyeri.jobs.defaults import DefaultsFileError, all_defaults


@register()
def job_defaults_valid(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    try:
        all_defaults()
    except DefaultsFileError as exc:
        return [Error(str(exc), id="nyeri.jobs.E001")]
    return []
