"""The in-app list of the user's notifications."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from nyeri.notifications import selectors, services
from nyeri.tenancy.scope import request_scope


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    page = selectors.notifications_for(scope, page=request.GET.get("page", 1))
    return render(request, "notifications/list.html", {"page": page, "unread": selectors.unread_count(scope)})


@require_POST
@login_required
def read(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one notification read and go where it points (or back to the list)."""
    scope = request_scope(request)
    notification = selectors.access_notification(scope, notification_id)
    services.mark_read(scope=scope, notification=notification)
    target = notification.link
    if request.POST.get("open") and target and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return redirect(target)
    return redirect("notifications:list")


@require_POST
@login_required
def read_all(request: HttpRequest) -> HttpResponse:
    count = services.mark_all_read(scope=request_scope(request))
    if count:
        messages.success(
            request,
            ngettext("%(count)d notification marked as read.", "%(count)d notifications marked as read.", count)
            % {"count": count},
        )
    return redirect("notifications:list")
