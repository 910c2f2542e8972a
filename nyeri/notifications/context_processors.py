"""The unread-notification count for the layout's badge, computed only if the page shows it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from nyeri.notifications.selectors import unread_count
from nyeri.tenancy.scope import request_scope


def unread_notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    try:
        scope = request_scope(request)
    except PermissionDenied:
        return {}
    # Lazy: a page that does not render the badge costs no query.
    return {"nav_unread_notifications": SimpleLazyObject(lambda: unread_count(scope))}
