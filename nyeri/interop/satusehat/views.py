"""The administrators' SATUSEHAT page: the connection (secret masked) and the outbox."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from nyeri.interop.models import OutboxStatus
from nyeri.interop.satusehat import selectors
from nyeri.tenancy.scope import request_scope


@login_required
def outbox(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    status = request.GET.get("status", "")
    rows = selectors.outbox_entries(scope, status=status)
    return render(
        request,
        "interop/satusehat_outbox.html",
        {
            "rows": rows,
            "connection": selectors.satusehat_settings(scope),
            "statuses": OutboxStatus.choices,
            "status": status if status in OutboxStatus.values else "",
        },
    )
