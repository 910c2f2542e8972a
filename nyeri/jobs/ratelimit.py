"""A small per-IP rate limit for the public job board, kept in Django's cache.

Each client address may make ``JOBS_BOARD_RATE_LIMIT`` requests (default 120) per
``JOBS_BOARD_RATE_WINDOW`` seconds (default 60) to the board and posting pages; the next
ones get a translated 429 page with a ``Retry-After`` header. The counter lives in the
``default`` cache: per process with the default LocMem cache, shared between processes
when the deployment configures a shared cache (Redis) as ``CACHES["default"]``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

DEFAULT_LIMIT = 120
DEFAULT_WINDOW = 60

View = Callable[..., HttpResponse]


def limits() -> tuple[int, int]:
    return (
        int(getattr(settings, "JOBS_BOARD_RATE_LIMIT", DEFAULT_LIMIT)),
        int(getattr(settings, "JOBS_BOARD_RATE_WINDOW", DEFAULT_WINDOW)),
    )


def over_limit(request: HttpRequest) -> int:
    """0 when the request may proceed, else the seconds until the window ends."""
    limit, window = limits()
    now = int(time.time())
    bucket = now // window
    key = f"jobs:board:{request.META.get('REMOTE_ADDR') or 'unknown'}:{bucket}"
    if cache.add(key, 1, timeout=window + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window + 1)
            count = 1
    return 0 if count <= limit else (bucket + 1) * window - now


def rate_limited(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        wait = over_limit(request)
        if wait:
            response = render(request, "jobs/429.html", {"wait": max(wait, 1)}, status=429)
            response["Retry-After"] = str(max(wait, 1))
            return response
        return view(request, *args, **kwargs)

    return wrapped
