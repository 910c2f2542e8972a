"""The name django-axes counts failed logins against (settings.AXES_USERNAME_CALLABLE)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The typed username, trimmed and folded: an attacker cannot reset the counter by
    changing the case ("Admin", "ADMIN") or adding spaces to the same name."""
    name = ""
    if credentials:
        name = str(credentials.get("username") or "")
    elif request is not None and request.method == "POST":
        name = request.POST.get("username", "")
    return name.strip().casefold()
