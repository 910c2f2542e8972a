"""The expiring-credentials dashboard, for credentialing officers and administrators."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from nyeri.tenancy.scope import request_scope
from nyeri.workforce.expiry.selectors import AHEAD_DAYS, RECENTLY_EXPIRED_DAYS, expiring_credentials


@login_required
def expiring(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    today = timezone.localdate()
    groups = expiring_credentials(scope, today=today)
    return render(
        request,
        "workforce/hours/expiring.html",
        {"groups": groups, "today": today, "ahead_days": AHEAD_DAYS, "behind_days": RECENTLY_EXPIRED_DAYS},
    )
