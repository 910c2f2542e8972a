"""What views and API endpoints need from the request."""

from __future__ import annotations

from django.http import HttpRequest

from nyeri.accounts.models import User


def request_user(request: HttpRequest) -> User:
    """The acting user of a request that has passed authentication.

    Only called behind ``login_required`` or the API's authentication (a session or a
    personal token), both of which leave a real ``User`` on the request.
    """
    user = request.user
    assert isinstance(user, User)
    return user
