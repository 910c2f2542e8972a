"""A system check: both code catalogues load (so a bad data file stops a deploy, not a request)."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

from nyeri.clinical.diagnoses.catalogue import CatalogueError, check_catalogues


@register()
def code_catalogues_valid(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    try:
        check_catalogues()
    except CatalogueError as exc:
        return [Error(str(exc), id="nyeri.diagnoses.E001")]
    return []
