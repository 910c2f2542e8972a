"""Reads of a user's own notifications, in the organization they act in."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404

from nyeri.notifications.models import Notification
from nyeri.tenancy.scope import Scope

PAGE_SIZE = 30


def _own(scope: Scope) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=scope.user, organization=scope.organization)


def notifications_for(scope: Scope, *, page: int | str = 1, per_page: int = PAGE_SIZE) -> Page[Notification]:
    """One page of the user's notifications, newest first (two queries: a count and the rows)."""
    return Paginator(_own(scope).order_by("-created_at", "-pk"), per_page).get_page(page)


def unread_count(scope: Scope) -> int:
    """How many of the user's notifications are unread (one query)."""
    return _own(scope).filter(read_at__isnull=True).count()


def access_notification(scope: Scope, notification_id: int) -> Notification:
    """The user's own notification; anyone else's (or another organization's) is not found."""
    notification = _own(scope).filter(pk=notification_id).first()
    if notification is None:
        raise Http404("No such notification")
    return notification
